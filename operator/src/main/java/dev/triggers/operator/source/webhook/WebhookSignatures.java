package dev.triggers.operator.source.webhook;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.WebhookSignature;
import dev.triggers.operator.source.CredentialsSecrets;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Provider signatures ({@code spec.source.webhook.signature}) and their signing secrets.
 *
 * <p>Every replica answers webhooks and the operator may neither list nor watch Secrets, so each replica
 * reads a signing Secret by name (GET) when a call first needs it and keeps it in memory for
 * {@link WebhookSettings#recheckInterval()}: a changed secret is used within that, on every replica. The
 * leader also reads it at reconcile, so a missing Secret, a Secret without the opt-in label
 * {@value CredentialsSecrets#LABEL}, or a missing key is an Error on the Trigger. The secret itself is never
 * logged nor written anywhere.
 */
final class WebhookSignatures {
    /** HMAC: the signed timestamp may be this far from our clock, either way. */
    static final Duration REPLAY_WINDOW = Duration.ofMinutes(5);
    static final String GITHUB_SIGNATURE = "X-Hub-Signature-256";
    static final String GITHUB_DELIVERY = "X-GitHub-Delivery";
    static final String GITLAB_TOKEN = "X-Gitlab-Token";
    static final String GITLAB_DELIVERY = "X-Gitlab-Event-UUID";

    /** The signing secret as last read: its bytes, or why there are none (a message for a person). */
    record Loaded(byte[] secret, String problem) {}

    private final KubernetesClient client;
    private final Clock clock;
    private final Cache<String, Loaded> secrets;
    /** HMAC signatures seen inside the window (by Trigger): a second call with one is a replay. */
    private final Cache<String, Boolean> seen;

    WebhookSignatures(KubernetesClient client, Clock clock, Duration recheck) {
        this.client = client;
        this.clock = clock;
        this.secrets = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(recheck).executor(Runnable::run).build();
        this.seen = Caffeine.newBuilder().maximumSize(200_000).expireAfterWrite(REPLAY_WINDOW.multipliedBy(2))
                .ticker(() -> { Instant now = clock.instant(); return now.getEpochSecond() * 1_000_000_000L + now.getNano(); })
                .executor(Runnable::run).build();
    }

    /** The secret as kept in memory, or null when it must be read first (a GET: not on an I/O thread). */
    Loaded cached(String namespace, WebhookSignature signature) {
        return secrets.getIfPresent(cacheKey(namespace, signature));
    }

    /** Reads the Secret now (a GET) and keeps what it found. */
    Loaded load(String namespace, WebhookSignature signature) {
        Loaded loaded = read(namespace, signature);
        secrets.put(cacheKey(namespace, signature), loaded);
        return loaded;
    }

    private Loaded read(String namespace, WebhookSignature signature) {
        String name = signature.getSecretRef() == null ? null : signature.getSecretRef().getName();
        String field = "spec.source.webhook.signature.secretRef";
        if (name == null || name.isBlank()) return new Loaded(null, field + ".name is required");
        Secret s;
        try {
            s = client.secrets().inNamespace(namespace).withName(name).get();
        } catch (RuntimeException e) {
            return new Loaded(null, KubernetesErrors.describe(e, "read", "signing Secret " + namespace + "/" + name));
        }
        if (s == null) return new Loaded(null, "Secret '" + name + "' (" + field + ") not found in namespace " + namespace);
        if (!CredentialsSecrets.optedIn(s)) return new Loaded(null, CredentialsSecrets.notOptedInMessage(field, namespace, name));
        String key = signature.keyOrDefault();
        byte[] secret = decode(s, key);
        if (secret == null || secret.length == 0) {
            return new Loaded(null, "Secret '" + name + "' (" + field + ") has no data key '" + key + "' holding the signing secret");
        }
        return new Loaded(secret, null);
    }

    private static byte[] decode(Secret s, String key) {
        if (s.getData() != null && s.getData().get(key) != null) {
            try {
                return Base64.getDecoder().decode(s.getData().get(key));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        String plain = s.getStringData() == null ? null : s.getStringData().get(key);
        return plain == null ? null : plain.getBytes(StandardCharsets.UTF_8);
    }

    private static String cacheKey(String namespace, WebhookSignature signature) {
        String name = signature.getSecretRef() == null ? "" : signature.getSecretRef().getName();
        return namespace + "/" + name + "/" + signature.keyOrDefault();
    }

    /**
     * Whether the call carries a valid signature of this provider. Compared in constant time (MessageDigest.isEqual
     * over values of a fixed length); an HMAC signature is accepted once, and only inside the replay window.
     *
     * @param headers the request's header values by name (any case)
     * @param trigger "namespace/name": replays are per Trigger
     */
    boolean verify(WebhookSignature signature, byte[] secret, Function<String, String> headers, byte[] body, String trigger) {
        switch (signature.getType()) {
            case WebhookSignature.GITHUB -> {
                String presented = headers.apply(GITHUB_SIGNATURE);
                byte[] expected = ("sha256=" + HexFormat.of().formatHex(hmac(secret, body))).getBytes(StandardCharsets.US_ASCII);
                return presented != null && MessageDigest.isEqual(sha256(expected),
                        sha256(presented.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8)));
            }
            case WebhookSignature.GITLAB -> {
                String presented = headers.apply(GITLAB_TOKEN);
                // Digests of both: equal length whatever was sent, so the time taken says nothing of the secret's length.
                return presented != null && MessageDigest.isEqual(sha256(secret), sha256(presented.getBytes(StandardCharsets.UTF_8)));
            }
            case WebhookSignature.HMAC -> {
                String presented = headers.apply(signature.headerOrDefault());
                String timestamp = headers.apply(signature.timestampHeaderOrDefault());
                if (presented == null || timestamp == null) return false;
                String hex = presented.trim().toLowerCase(Locale.ROOT);
                if (hex.startsWith("sha256=")) hex = hex.substring(7);
                byte[] signed = concat((timestamp.trim() + ".").getBytes(StandardCharsets.UTF_8), body);
                boolean valid = MessageDigest.isEqual(sha256(HexFormat.of().formatHex(hmac(secret, signed)).getBytes(StandardCharsets.US_ASCII)),
                        sha256(hex.getBytes(StandardCharsets.UTF_8)));
                if (!valid || !inWindow(timestamp.trim())) return false;
                // Only a valid signature is remembered: forged ones cannot fill the cache nor block a real one.
                return seen.asMap().putIfAbsent(trigger + "\n" + hex, Boolean.TRUE) == null;
            }
            default -> {
                return false;
            }
        }
    }

    /** The provider's delivery id, which becomes the call's Idempotency-Key; null when it has none. */
    static String deliveryId(WebhookSignature signature, Function<String, String> headers) {
        String id = switch (signature.getType()) {
            case WebhookSignature.GITHUB -> headers.apply(GITHUB_DELIVERY);
            case WebhookSignature.GITLAB -> headers.apply(GITLAB_DELIVERY);
            default -> null;
        };
        return id == null || id.isBlank() || id.length() > IdempotencyKeys.MAX_KEY_LENGTH ? null : id.trim();
    }

    private boolean inWindow(String timestamp) {
        try {
            long seconds = Long.parseLong(timestamp);
            long now = clock.instant().getEpochSecond();
            return Math.abs(now - seconds) <= REPLAY_WINDOW.toSeconds();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static byte[] hmac(byte[] secret, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
