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
import java.util.concurrent.ConcurrentHashMap;
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
    /** One SHA-256 per thread: MessageDigest.getInstance looks the provider up on every call. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    });
    // Compared with when there is no Secret, so an unknown Trigger costs the same work as a wrong token.
    private static final byte[] NO_TOKEN_HASH = sha256("0".repeat(43).getBytes(StandardCharsets.UTF_8));

    private final Clock clock;
    private final List<SharedIndexInformer<Secret>> informers = new ArrayList<>();
    /** What {@link #verify} needs of each token Secret, by informer key: worked out once per version of the Secret. */
    private final Map<String, Known> known = new ConcurrentHashMap<>();

    /**
     * A token Secret as {@link #verify} uses it: its owner, and the hashes of its tokens. The informer puts a new
     * object in its store on every change, so this is current while {@code secret} is the store's object.
     */
    private record Known(Secret secret, String owner, String ownerUid, byte[] tokenHash, byte[] previousHash, Instant previousUntil) {
        static Known of(Secret s) {
            Map<String, String> annotations = s.getMetadata().getAnnotations();
            Instant until = null;
            try {
                String expires = annotations == null ? null : annotations.get(ANNOTATION_PREVIOUS_EXPIRES);
                until = expires == null ? null : Instant.parse(expires);
            } catch (DateTimeParseException e) {
                // not valid: the previous token is not accepted, as previousStillValid says
            }
            return new Known(s, ownerName(s).orElse(null), WebhookTokens.ownerUid(s).orElse(""), hash(data(s, KEY_TOKEN)),
                    hash(data(s, KEY_PREVIOUS_TOKEN)), until);
        }

        private static byte[] hash(String token) {
            return token == null || token.isEmpty() ? null : sha256(token.getBytes(StandardCharsets.UTF_8));
        }
    }

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
                remember(s);
                owner(s).ifPresent(changed);
            }

            @Override
            public void onUpdate(Secret before, Secret after) {
                remember(after);
                owner(after).ifPresent(changed);
            }

            @Override
            public void onDelete(Secret s, boolean unknownFinalState) {
                known.remove(Cache.metaNamespaceKeyFunc(s));
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
        return Optional.ofNullable(cachedByKey(Cache.namespaceKeyFunc(namespace, secretName(trigger))));
    }

    private Secret cachedByKey(String key) {
        for (SharedIndexInformer<Secret> informer : informers) {
            Secret s = informer.getStore().getByKey(key);
            if (s != null) return s;
        }
        return null;
    }

    /** Works out what verify needs of this version of a token Secret (in the informer's thread, ahead of the calls). */
    private Known remember(Secret s) {
        Known k = Known.of(s);
        known.put(Cache.metaNamespaceKeyFunc(s), k);
        return k;
    }

    /**
     * Whether {@code presented} is the Trigger's token (or its previous one, inside the grace period).
     * Both sides are hashed (the stored tokens once per version of their Secret) and compared with
     * MessageDigest.isEqual, so neither the content nor the length of a wrong token, nor whether the Trigger
     * exists, shows in the time taken.
     */
    public Optional<Verified> verify(String namespace, String trigger, String presented) {
        byte[] presentedHash = sha256(presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8));
        String key = Cache.namespaceKeyFunc(namespace, secretName(trigger));
        Secret s = cachedByKey(key);
        Known k = s == null ? null : known.get(key);
        if (s != null && (k == null || k.secret() != s)) k = remember(s); // changed since the informer's handler ran
        if (k == null || !trigger.equals(k.owner())) {
            MessageDigest.isEqual(NO_TOKEN_HASH, presentedHash);
            return Optional.empty();
        }
        boolean ok = k.tokenHash() != null && MessageDigest.isEqual(k.tokenHash(), presentedHash);
        if (k.previousHash() != null && k.previousUntil() != null && clock.instant().isBefore(k.previousUntil())) {
            ok |= MessageDigest.isEqual(k.previousHash(), presentedHash);
        }
        return ok ? Optional.of(new Verified(k.ownerUid())) : Optional.empty();
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
        return SHA_256.get().digest(bytes);
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
    }
}
