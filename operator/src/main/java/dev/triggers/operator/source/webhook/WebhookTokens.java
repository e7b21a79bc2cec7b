package dev.triggers.operator.source.webhook;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The token check, and what the webhook token Secrets hold. It runs on every replica and reads no
 * Secret: a call is checked against the SHA-256 digests in its Trigger's {@code status.webhookTokenDigests},
 * as this replica's Trigger informer (JOSDK's, which runs on standbys too) last saw them. Only the
 * leader reads and writes the Secret {@code <trigger>-webhook}, by name (see {@link WebhookTriggerSource}).
 *
 * <p>Why a digest in the status is no escalation: only the operator and whoever may write triggers/status
 * in the Trigger's own namespace can set it. Such a writer can make a token of their choosing fire that one
 * Trigger, whose target and action its spec already fixes (and which anyone who may patch the Trigger can
 * fire with the fire-request annotation anyway); it reaches no other Trigger, namespace or Secret. The
 * reconciler also puts the digests of the Secret's tokens back on its next reconcile, which that status
 * change itself causes. The digest of a 256-bit random token tells its readers nothing about the token;
 * the operator only keeps tokens shaped like the ones it mints (see {@link #wellFormed}).
 *
 * <p>A token Secret holds {@value #KEY_TOKEN} and {@value #KEY_URL} (the URL with the token); during a
 * rotation's grace period also {@value #KEY_PREVIOUS_TOKEN}, accepted until the time in its
 * {@value #ANNOTATION_PREVIOUS_EXPIRES} annotation.
 */
public final class WebhookTokens {
    public static final String LABEL = Trigger.GROUP + "/webhook-token";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String OPERATOR = "trigger-operator";
    public static final String KEY_TOKEN = "token";
    public static final String KEY_URL = "url";
    public static final String KEY_PREVIOUS_TOKEN = "previous-token";
    public static final String ANNOTATION_PREVIOUS_EXPIRES = Trigger.GROUP + "/previous-token-expires-at";
    /** On the Secret: the value of the Trigger's rotate-token annotation this token was minted for. */
    public static final String ANNOTATION_ROTATED_FOR = Trigger.GROUP + "/rotated-for";
    /** On the Secret: the value of the Trigger's revoke-token annotation this token was minted for. */
    public static final String ANNOTATION_REVOKED_FOR = Trigger.GROUP + "/revoked-for";
    /** On the Trigger: a new value mints a new token; the previous one keeps working for the grace period. */
    public static final String ANNOTATION_ROTATE = Trigger.GROUP + "/rotate-token";
    /** On the Trigger: a new value mints a new token and refuses the previous one at once (no grace period). */
    public static final String ANNOTATION_REVOKE = Trigger.GROUP + "/revoke-token";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern MINTED = Pattern.compile("[A-Za-z0-9_-]{43}");
    // Compared when there is nothing to compare with, so an unknown Trigger costs the same work as a wrong token.
    private static final byte[] NO_DIGEST = new byte[32];

    private final Clock clock;
    private volatile Function<ResourceID, Optional<Trigger>> triggers = id -> Optional.empty();

    /** What a valid call proved: the Trigger (as this replica's informer sees it) whose token it presented. */
    public record Verified(Trigger trigger) {}

    public WebhookTokens(Clock clock) {
        this.clock = clock;
    }

    /** Where Triggers are looked up: the operator's Trigger informer cache. Until set, every token is refused. */
    void useTriggers(Function<ResourceID, Optional<Trigger>> triggers) {
        this.triggers = triggers;
    }

    Optional<Trigger> trigger(String namespace, String name) {
        return triggers.apply(new ResourceID(name, namespace));
    }

    public static String secretName(String trigger) {
        return trigger + "-webhook";
    }

    /** 32 bytes from SecureRandom, URL-safe base64 without padding (43 characters). */
    public static String newToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Shaped like a minted token (43 URL-safe base64 characters): anything else in a Secret is replaced. */
    static boolean wellFormed(String token) {
        return token != null && MINTED.matcher(token).matches();
    }

    /** What the status holds for a token: SHA-256, lowercase hex. */
    public static String digest(String token) {
        return HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Whether {@code presented} is one of the Trigger's tokens: its current one, or its previous one before
     * that digest's expiresAt. The presented token is hashed and compared with MessageDigest.isEqual
     * against every digest (at least one), so neither the content nor the length of a wrong token, nor
     * whether the Trigger exists, shows in the time taken.
     */
    public Optional<Verified> verify(String namespace, String trigger, String presented) {
        byte[] presentedHash = sha256(presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8));
        Optional<Trigger> found = trigger(namespace, trigger);
        List<TriggerStatus.TokenDigest> digests = found.map(Trigger::getStatus).map(TriggerStatus::getWebhookTokenDigests).orElse(List.of());
        if (digests.isEmpty()) {
            MessageDigest.isEqual(NO_DIGEST, presentedHash);
            return Optional.empty();
        }
        boolean ok = false;
        for (TriggerStatus.TokenDigest d : digests) {
            boolean match = MessageDigest.isEqual(decode(d.getSha256()), presentedHash);
            // The clock only for a previous token's expiry (after the constant-time compare, which always runs).
            ok |= match && (d.getExpiresAt() == null || stillValid(d.getExpiresAt(), clock.instant()));
        }
        return ok && presented != null && !presented.isEmpty() ? Optional.of(new Verified(found.get())) : Optional.empty();
    }

    private static byte[] decode(String hex) {
        try {
            return hex == null || hex.length() != 64 ? NO_DIGEST : HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            return NO_DIGEST;
        }
    }

    private static boolean stillValid(String expiresAt, Instant now) {
        try {
            return now.isBefore(Instant.parse(expiresAt));
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    static boolean previousStillValid(Secret s, Instant now) {
        Map<String, String> annotations = s.getMetadata().getAnnotations();
        String expires = annotations == null ? null : annotations.get(ANNOTATION_PREVIOUS_EXPIRES);
        return expires != null && stillValid(expires, now);
    }

    /** A data value of the Secret, decoded; null when absent. */
    static String data(Secret s, String key) {
        Map<String, String> data = s.getData();
        String v = data == null ? null : data.get(key);
        if (v == null) return null;
        try {
            return new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String encode(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    static Optional<String> ownerUid(Secret s) {
        List<OwnerReference> refs = s.getMetadata().getOwnerReferences();
        if (refs == null) return Optional.empty();
        return refs.stream().filter(r -> "Trigger".equals(r.getKind()) && r.getApiVersion() != null
                && r.getApiVersion().startsWith(Trigger.GROUP + "/")).findFirst().map(OwnerReference::getUid);
    }

    /** One digest per thread: MessageDigest.getInstance looks the provider up on every call (it showed in the ingest profile). */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    });

    /** SHA-256 on the calling thread's own digest (getInstance per call showed in the ingest profile). */
    static byte[] sha256(byte[] bytes) {
        return SHA256.get().digest(bytes); // digest() resets it for the next call
    }
}
