package dev.triggers.operator.source.webhook;

import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The webhook token Secrets, as the operator sees them through one label-filtered informer (never all
 * Secrets of the cluster), and the token check. It runs on every replica, so any replica can
 * authenticate a call; only the leader mints and rotates (see {@link WebhookTriggerSource}).
 *
 * <p>A token Secret {@code <trigger>-webhook} holds {@value #KEY_TOKEN} and {@value #KEY_URL} (the URL
 * with the token); during a rotation's grace period also {@value #KEY_PREVIOUS_TOKEN}, accepted until
 * the time in its {@value #ANNOTATION_PREVIOUS_EXPIRES} annotation.
 */
public final class WebhookTokens implements AutoCloseable {
    public static final String LABEL = Trigger.GROUP + "/webhook-token";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String OPERATOR = "trigger-operator";
    public static final String KEY_TOKEN = "token";
    public static final String KEY_URL = "url";
    public static final String KEY_PREVIOUS_TOKEN = "previous-token";
    public static final String ANNOTATION_PREVIOUS_EXPIRES = Trigger.GROUP + "/previous-token-expires-at";
    /** On the Secret: the value of the Trigger's rotate-token annotation this token was minted for. */
    public static final String ANNOTATION_ROTATED_FOR = Trigger.GROUP + "/rotated-for";
    /** On the Trigger: a new value mints a new token; the previous one keeps working for the grace period. */
    public static final String ANNOTATION_ROTATE = Trigger.GROUP + "/rotate-token";

    private static final SecureRandom RANDOM = new SecureRandom();
    // Checked when there is no Secret, so an unknown Trigger costs the same work as a wrong token.
    private static final String NO_TOKEN = "0".repeat(43);

    private final Clock clock;
    private final List<SharedIndexInformer<Secret>> informers = new ArrayList<>();

    /** What a valid call proved: the Secret (and so the Trigger uid) its token belongs to. */
    public record Verified(String ownerUid) {}

    /**
     * Starts watching token Secrets (in the given namespaces, or all) and waits for the first list.
     *
     * @param changed told the Trigger whose token Secret was added, changed or deleted
     */
    public WebhookTokens(KubernetesClient client, Clock clock, Set<String> namespaces, Consumer<ResourceID> changed) {
        this.clock = clock;
        ResourceEventHandler<Secret> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret s) {
                owner(s).ifPresent(changed);
            }

            @Override
            public void onUpdate(Secret before, Secret after) {
                owner(after).ifPresent(changed);
            }

            @Override
            public void onDelete(Secret s, boolean unknownFinalState) {
                owner(s).ifPresent(changed);
            }
        };
        if (namespaces.isEmpty()) {
            informers.add(client.secrets().inAnyNamespace().withLabel(LABEL, "true").inform(handler, 0));
        } else {
            for (String ns : namespaces) informers.add(client.secrets().inNamespace(ns).withLabel(LABEL, "true").inform(handler, 0));
        }
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

    /** The Trigger's token Secret as last seen by the informer. */
    public Optional<Secret> cached(String namespace, String trigger) {
        String key = Cache.namespaceKeyFunc(namespace, secretName(trigger));
        for (SharedIndexInformer<Secret> informer : informers) {
            Secret s = informer.getStore().getByKey(key);
            if (s != null) return Optional.of(s);
        }
        return Optional.empty();
    }

    /**
     * Whether {@code presented} is the Trigger's token (or its previous one, inside the grace period).
     * Both sides are hashed and compared with MessageDigest.isEqual, so neither the content nor the
     * length of a wrong token, nor whether the Trigger exists, shows in the time taken.
     */
    public Optional<Verified> verify(String namespace, String trigger, String presented) {
        byte[] presentedHash = sha256(presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8));
        Optional<Secret> secret = cached(namespace, trigger).filter(s -> ownerName(s).map(trigger::equals).orElse(false));
        if (secret.isEmpty()) {
            matches(NO_TOKEN, presentedHash);
            return Optional.empty();
        }
        Secret s = secret.get();
        boolean ok = matches(data(s, KEY_TOKEN), presentedHash);
        String previous = data(s, KEY_PREVIOUS_TOKEN);
        if (previous != null && previousStillValid(s, clock.instant())) ok |= matches(previous, presentedHash);
        return ok ? Optional.of(new Verified(ownerUid(s).orElse(""))) : Optional.empty();
    }

    static boolean previousStillValid(Secret s, Instant now) {
        Map<String, String> annotations = s.getMetadata().getAnnotations();
        String expires = annotations == null ? null : annotations.get(ANNOTATION_PREVIOUS_EXPIRES);
        if (expires == null) return false;
        try {
            return now.isBefore(Instant.parse(expires));
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean matches(String token, byte[] presentedHash) {
        return token != null && !token.isEmpty() && MessageDigest.isEqual(sha256(token.getBytes(StandardCharsets.UTF_8)), presentedHash);
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

    /** The Trigger that owns a token Secret, from its controller ownerReference. */
    static Optional<ResourceID> owner(Secret s) {
        return ownerName(s).map(name -> new ResourceID(name, s.getMetadata().getNamespace()));
    }

    static Optional<String> ownerName(Secret s) {
        return triggerOwner(s).map(OwnerReference::getName);
    }

    static Optional<String> ownerUid(Secret s) {
        return triggerOwner(s).map(OwnerReference::getUid);
    }

    private static Optional<OwnerReference> triggerOwner(Secret s) {
        List<OwnerReference> refs = s.getMetadata().getOwnerReferences();
        if (refs == null) return Optional.empty();
        return refs.stream().filter(r -> "Trigger".equals(r.getKind()) && r.getApiVersion() != null
                && r.getApiVersion().startsWith(Trigger.GROUP + "/")).findFirst();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
    }
}
