package dev.triggers.operator.source.webhook;

import dev.triggers.operator.action.FireExecutor;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.api.v1alpha1.WebhookSignature;
import dev.triggers.operator.source.Acknowledgement;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook source of one Trigger, on the leader: keeps its token Secret (mints it, mints a new one
 * when it is deleted, rotates it on a new triggers.dev/rotate-token value, revokes it on a new
 * triggers.dev/revoke-token value, drops the previous token after the grace period), reports the
 * tokens' digests for the status (what every replica checks calls against), and fires the events the
 * {@link WebhookServer} accepted, retrying a failed fire with backoff so an accepted event is not lost to
 * a passing API error.
 *
 * <p>The Secret is read by name only (the operator may not list or watch Secrets): at reconcile, and every
 * {@link WebhookSettings#recheckInterval()} by a GET that compares its resourceVersion with the last one
 * seen. So deleting the Secret revokes its token within one interval; the annotations act at once.
 */
final class WebhookTriggerSource implements TriggerSource {
    private static final Logger log = LoggerFactory.getLogger(WebhookTriggerSource.class);
    static final String REASON_MINTED = "WebhookTokenMinted";
    static final String REASON_ROTATED = "WebhookTokenRotated";
    static final String REASON_REVOKED = "WebhookTokenRevoked";
    static final String REASON_DROPPED = "WebhookEventDropped";

    private final SourceContext context;
    private final WebhookSourceFactory factory;
    private final String namespace;
    private final String name;
    private final String secretName;
    private final ScheduledFuture<?> periodic;
    /** The spec's signature as last observed (the periodic check reads it); not the whole Trigger, the cache has that. */
    private volatile WebhookSignature signature;
    private volatile String error;
    private volatile boolean closed;
    /** What the last read or write of the Secret showed; null until one succeeded. */
    private volatile Known known;
    /** The periodic check saw the Secret change or go: the next reconcile reads it again. */
    private volatile boolean stale;
    private volatile Instant expiryScheduled;
    /** Why the signing Secret cannot be used (null: fine, or no signature asked for); checked by the leader. */
    private volatile String signatureError;
    private volatile Instant signatureCheckedAt;

    /**
     * The Secret as last seen, and the Trigger inputs it was made for: while neither changed, a reconcile
     * (a fire request handed over by a standby, say) does not GET the Secret again within the interval.
     */
    private record Known(String resourceVersion, List<TriggerStatus.TokenDigest> digests, Instant previousUntil,
                         String uid, String rotate, String revoke, Instant at) {}

    WebhookTriggerSource(Trigger trigger, SourceContext context, WebhookSourceFactory factory) {
        this.context = context;
        this.factory = factory;
        this.signature = signature(trigger);
        this.namespace = trigger.getMetadata().getNamespace();
        this.name = trigger.getMetadata().getName();
        this.secretName = WebhookTokens.secretName(name);
        this.periodic = factory.schedulePeriodic(this::checkSecret);
        recover(trigger);
    }

    @Override
    public void observe(Trigger trigger) {
        signature = signature(trigger);
        if (trigger.getMetadata().getDeletionTimestamp() != null) return;
        checkSigningSecret(signature, false);
        if (fresh(trigger)) return;
        try {
            error = keepSecret(trigger);
        } catch (KubernetesClientException e) {
            error = KubernetesErrors.describe(e, "write", "webhook token Secret " + namespace + "/" + secretName);
            log.warn("{}/{}: {}", namespace, name, error);
        }
    }

    /** True when the last look at the Secret still holds: same inputs, nothing seen changing, not too old. */
    private boolean fresh(Trigger trigger) {
        Known k = known;
        Instant now = context.clock().instant();
        return k != null && !stale && error == null
                && Objects.equals(k.uid, trigger.getMetadata().getUid())
                && Objects.equals(k.rotate, annotation(trigger, WebhookTokens.ANNOTATION_ROTATE))
                && Objects.equals(k.revoke, annotation(trigger, WebhookTokens.ANNOTATION_REVOKE))
                && (k.previousUntil == null || now.isBefore(k.previousUntil))
                && now.isBefore(k.at.plus(factory.settings().recheckInterval()));
    }

    /** Makes the token Secret what the Trigger asks for; returns a problem for a person, or null. */
    private String keepSecret(Trigger trigger) {
        stale = false; // before the GET: a change the periodic check sees after it marks it stale again
        var secrets = context.client().secrets().inNamespace(namespace);
        if (known == null && !hasDigests(trigger)) {
            // No token was ever minted for this Trigger (a new one): create the Secret straight away rather than GET
            // it first, one request fewer per new Trigger. No Event either: nothing was revoked, and the status
            // names the Secret. One that exists anyway (409) is read and handled below.
            try {
                remember(secrets.resource(tokenSecret(trigger, WebhookTokens.newToken(), null, null)).create(), trigger);
                log.info("{}/{}: minted a webhook token into Secret {}", namespace, name, secretName);
                return null;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) throw e;
            }
        }
        Secret current = secrets.withName(secretName).get();
        Instant now = context.clock().instant();
        if (current == null) {
            remember(secrets.resource(tokenSecret(trigger, WebhookTokens.newToken(), null, null)).create(), trigger);
            event(REASON_MINTED, "minted a webhook token into Secret " + secretName + " (any earlier token of this Trigger is revoked)");
            return null;
        }
        Map<String, String> labels = current.getMetadata().getLabels();
        if (labels == null || !"true".equals(labels.get(WebhookTokens.LABEL))) {
            // No token of this Trigger works until the operator can mint one into its own Secret.
            known = new Known(current.getMetadata().getResourceVersion(), List.of(), null, trigger.getMetadata().getUid(),
                    annotation(trigger, WebhookTokens.ANNOTATION_ROTATE), annotation(trigger, WebhookTokens.ANNOTATION_REVOKE), now);
            return "Secret " + namespace + "/" + secretName + " exists but was not made by trigger-operator: delete or rename it,"
                    + " and the operator mints the webhook token into a new one";
        }
        if (!Objects.equals(WebhookTokens.ownerUid(current).orElse(null), trigger.getMetadata().getUid())) {
            // Left over from an earlier Trigger of the same name: its token must not work for this one.
            Secret fresh = tokenSecret(trigger, WebhookTokens.newToken(), null, null);
            fresh.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
            remember(secrets.resource(fresh).update(), trigger);
            event(REASON_MINTED, "minted a webhook token into Secret " + secretName + ", replacing one left by an earlier Trigger of this name");
            return null;
        }
        if (upToDate(current, trigger)) {
            remember(current, trigger);
            return null;
        }

        String token = WebhookTokens.data(current, WebhookTokens.KEY_TOKEN);
        String previous = WebhookTokens.previousStillValid(current, now) ? WebhookTokens.data(current, WebhookTokens.KEY_PREVIOUS_TOKEN) : null;
        Instant previousUntil = previous == null ? null : Instant.parse(current.getMetadata().getAnnotations().get(WebhookTokens.ANNOTATION_PREVIOUS_EXPIRES));
        String rotation = annotation(trigger, WebhookTokens.ANNOTATION_ROTATE);
        String revocation = annotation(trigger, WebhookTokens.ANNOTATION_REVOKE);
        String reason = null;
        String message = null;
        if (!WebhookTokens.wellFormed(token)) {
            // Only minted tokens: a chosen (guessable) one would be open to guessing from its digest in the status.
            token = WebhookTokens.newToken();
            previous = null;
            previousUntil = null;
            reason = REASON_MINTED;
            message = "minted a webhook token into Secret " + secretName + " (its token was missing or not one the operator minted)";
        } else if (revocation != null && !revocation.equals(secretAnnotation(current, WebhookTokens.ANNOTATION_REVOKED_FOR))) {
            token = WebhookTokens.newToken();
            previous = null;
            previousUntil = null;
            reason = REASON_REVOKED;
            message = "revoked the webhook token (and any previous one) on a new " + WebhookTokens.ANNOTATION_REVOKE
                    + " value; a new token is in Secret " + secretName;
        } else if (rotation != null && !rotation.equals(secretAnnotation(current, WebhookTokens.ANNOTATION_ROTATED_FOR))) {
            previous = token;
            previousUntil = now.plus(factory.settings().rotationGrace());
            token = WebhookTokens.newToken();
            reason = REASON_ROTATED;
            message = "rotated the webhook token in Secret " + secretName + ": the previous token is accepted until " + previousUntil;
        }
        Secret next = tokenSecret(trigger, token, previous, previousUntil);
        next.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
        remember(secrets.resource(next).update(), trigger);
        if (message != null) event(reason, message);
        return null;
    }

    private static boolean hasDigests(Trigger trigger) {
        return trigger.getStatus() != null && trigger.getStatus().getWebhookTokenDigests() != null
                && !trigger.getStatus().getWebhookTokenDigests().isEmpty();
    }

    /** Keeps what the Secret now holds: its version, and the digests of the tokens it makes valid. */
    private void remember(Secret s, Trigger trigger) {
        Instant now = context.clock().instant();
        List<TriggerStatus.TokenDigest> digests = new ArrayList<>();
        String token = WebhookTokens.data(s, WebhookTokens.KEY_TOKEN);
        if (WebhookTokens.wellFormed(token)) digests.add(new TriggerStatus.TokenDigest(WebhookTokens.digest(token), null));
        String previous = WebhookTokens.data(s, WebhookTokens.KEY_PREVIOUS_TOKEN);
        Instant previousUntil = null;
        if (previous != null && !previous.isEmpty() && WebhookTokens.previousStillValid(s, now)) {
            previousUntil = Instant.parse(s.getMetadata().getAnnotations().get(WebhookTokens.ANNOTATION_PREVIOUS_EXPIRES));
            digests.add(new TriggerStatus.TokenDigest(WebhookTokens.digest(previous), previousUntil.toString()));
            if (!previousUntil.equals(expiryScheduled)) {
                // Drop the previous token from the Secret and the status once it expired.
                expiryScheduled = previousUntil;
                factory.scheduleRecheck(this::recheck, Duration.between(now, previousUntil).plusSeconds(1));
            }
        }
        known = new Known(s.getMetadata().getResourceVersion(), List.copyOf(digests), previousUntil, trigger.getMetadata().getUid(),
                annotation(trigger, WebhookTokens.ANNOTATION_ROTATE), annotation(trigger, WebhookTokens.ANNOTATION_REVOKE), now);
    }

    private void event(String reason, String message) {
        log.info("{}/{}: {}", namespace, name, message);
        context.recordEvent(false, reason, message);
    }

    /** True when the Secret is this Trigger's, with a minted token, the current URL, no pending rotation or revocation, no expired previous token. */
    private boolean upToDate(Secret s, Trigger trigger) {
        if (!Objects.equals(WebhookTokens.ownerUid(s).orElse(null), trigger.getMetadata().getUid())) return false;
        String token = WebhookTokens.data(s, WebhookTokens.KEY_TOKEN);
        if (!WebhookTokens.wellFormed(token)) return false;
        if (!Objects.equals(WebhookTokens.data(s, WebhookTokens.KEY_URL), url() + "/" + token)) return false;
        String rotation = annotation(trigger, WebhookTokens.ANNOTATION_ROTATE);
        if (rotation != null && !rotation.equals(secretAnnotation(s, WebhookTokens.ANNOTATION_ROTATED_FOR))) return false;
        String revocation = annotation(trigger, WebhookTokens.ANNOTATION_REVOKE);
        if (revocation != null && !revocation.equals(secretAnnotation(s, WebhookTokens.ANNOTATION_REVOKED_FOR))) return false;
        boolean hasPrevious = WebhookTokens.data(s, WebhookTokens.KEY_PREVIOUS_TOKEN) != null;
        return !hasPrevious || WebhookTokens.previousStillValid(s, context.clock().instant());
    }

    private Secret tokenSecret(Trigger trigger, String token, String previous, Instant previousUntil) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(WebhookTokens.KEY_TOKEN, WebhookTokens.encode(token));
        data.put(WebhookTokens.KEY_URL, WebhookTokens.encode(url() + "/" + token));
        Map<String, String> annotations = new HashMap<>();
        String rotation = annotation(trigger, WebhookTokens.ANNOTATION_ROTATE);
        if (rotation != null) annotations.put(WebhookTokens.ANNOTATION_ROTATED_FOR, rotation);
        String revocation = annotation(trigger, WebhookTokens.ANNOTATION_REVOKE);
        if (revocation != null) annotations.put(WebhookTokens.ANNOTATION_REVOKED_FOR, revocation);
        if (previous != null) {
            data.put(WebhookTokens.KEY_PREVIOUS_TOKEN, WebhookTokens.encode(previous));
            annotations.put(WebhookTokens.ANNOTATION_PREVIOUS_EXPIRES, previousUntil.toString());
        }
        return new SecretBuilder()
                .withNewMetadata()
                .withNamespace(namespace).withName(secretName)
                .withLabels(Map.of(WebhookTokens.LABEL, "true", WebhookTokens.MANAGED_BY, WebhookTokens.OPERATOR))
                .withAnnotations(annotations)
                // Owned by the Trigger: deleted with it by the garbage collector.
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(Trigger.GROUP + "/" + Trigger.VERSION).withKind("Trigger")
                        .withName(name).withUid(trigger.getMetadata().getUid()).withController(true).build())
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
    }

    private static WebhookSignature signature(Trigger trigger) {
        return trigger.getSpec() == null || trigger.getSpec().getSource() == null || trigger.getSpec().getSource().getWebhook() == null
                ? null : trigger.getSpec().getSource().getWebhook().getSignature();
    }

    /** A Trigger annotation's value; null when absent or blank. */
    private static String annotation(Trigger trigger, String key) {
        Map<String, String> a = trigger.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(key);
        return v == null || v.isBlank() ? null : v;
    }

    private static String secretAnnotation(Secret s, String key) {
        Map<String, String> a = s.getMetadata().getAnnotations();
        return a == null ? null : a.get(key);
    }

    /** status.url: the public base URL and the path, never the token. */
    String url() {
        String base = context.config().webhookBaseUrl();
        while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        return base + "/hooks/" + namespace + "/" + name;
    }

    /**
     * Reads the signing Secret (by name: this also refreshes what this replica's server keeps of it), at most once
     * per recheck interval while it is fine; {@code periodic}: only to see whether an Error went away.
     */
    private void checkSigningSecret(WebhookSignature signature, boolean periodic) {
        if (signature == null) {
            signatureError = null;
            return;
        }
        Instant now = context.clock().instant();
        Instant last = signatureCheckedAt;
        if (periodic ? signatureError == null
                : signatureError == null && last != null && now.isBefore(last.plus(factory.settings().recheckInterval()))) {
            return;
        }
        String before = signatureError;
        signatureError = factory.signatures().load(namespace, signature).problem();
        signatureCheckedAt = now;
        if (signatureError != null && !signatureError.equals(before)) log.warn("{}/{}: {}", namespace, name, signatureError);
        if (periodic && !Objects.equals(before, signatureError) && !closed) context.healthChanged();
    }

    /**
     * The periodic check (on the recheck threads): one GET of the Secret by name. A version other than the
     * last one seen (deleted, edited) asks for a reconcile, which reads it again and mints what is missing.
     */
    private void checkSecret() {
        try {
            checkSigningSecret(signature, true);
        } catch (RuntimeException e) {
            log.debug("{}/{}: could not check the signing Secret: {}", namespace, name, e.getClass().getSimpleName());
        }
        Known k = known;
        if (closed || k == null) return; // not read yet: the reconcile that started this source reads it
        try {
            Secret s = context.client().secrets().inNamespace(namespace).withName(secretName).get();
            if (!Objects.equals(s == null ? null : s.getMetadata().getResourceVersion(), k.resourceVersion)) {
                stale = true;
                if (!closed) context.healthChanged();
            }
        } catch (RuntimeException e) {
            log.debug("{}/{}: could not check webhook token Secret {}: {}", namespace, name, secretName, e.getClass().getSimpleName());
        }
    }

    private void recheck() {
        if (!closed) context.healthChanged();
    }

    @Override
    public SourceHealth health() {
        String problem = error;
        if (problem != null) return SourceHealth.error("WebhookSecretError", problem);
        String signing = signatureError;
        if (signing != null) return SourceHealth.error("WebhookSigningSecretError", signing);
        Known k = known;
        return k != null && !k.digests.isEmpty()
                ? SourceHealth.ready("accepting POST " + url() + " with the token in Secret " + secretName)
                : SourceHealth.starting("minting the webhook token into Secret " + secretName);
    }

    @Override
    public void describe(TriggerStatus status) {
        status.setUrl(url());
        status.setWebhookSecretName(secretName);
        // Null (never read yet, e.g. the API failed): the status keeps the digests it has.
        Known k = known;
        if (k != null) status.setWebhookTokenDigests(k.digests);
    }

    /**
     * Fires an accepted event; the future completes once the event is kept in the API (answer 202 then, 503 if that
     * failed). A failed fire is retried with backoff, up to the configured attempts.
     */
    CompletableFuture<Void> accept(TriggerEvent event) {
        FireExecutor.Accepted accepted = context.fireAccepted(event);
        settleOnce(accepted.fired(), event);
        return accepted.recorded();
    }

    /** The fire the last accepted calls fold into, and how many of them share it (both guarded by this). */
    private CompletableFuture<FireResult> awaited;
    private long[] sharing;

    /**
     * Calls that fold into one fire share its future: it gets one callback, which settles them all, and the others only
     * count. A flood during a long cooldown then costs no memory per call (a callback each grew the heap until the fire).
     */
    private void settleOnce(CompletableFuture<FireResult> fired, TriggerEvent event) {
        long[] count;
        synchronized (this) {
            if (fired == awaited) {
                sharing[0]++;
                return;
            }
            awaited = fired;
            count = sharing = new long[] {1};
        }
        settleAfter(fired, event, 1, () -> {
            synchronized (this) {
                if (awaited == fired) awaited = null; // a call that still gets this future settles on its own
                return count[0];
            }
        });
    }

    /** Callbacks waiting on the fire the last accepted calls fold into, and how many calls share it (tests). */
    synchronized long[] awaitedFire() {
        return awaited == null ? new long[] {0, 0} : new long[] {awaited.getNumberOfDependents(), sharing[0]};
    }

    /** The events an earlier leader answered 202 for and had not fired (status.acceptedEvents): fired here, once. */
    private void recover(Trigger trigger) {
        Map<String, TriggerStatus.EventRecord> left = trigger.getStatus() == null ? null : trigger.getStatus().getAcceptedEvents();
        if (left == null || left.isEmpty()) return;
        List<TriggerEvent> events = new ArrayList<>();
        for (Map.Entry<String, TriggerStatus.EventRecord> e : left.entrySet()) {
            TriggerStatus.EventRecord r = e.getValue();
            Instant at;
            try {
                at = Instant.parse(r.getReceivedAt());
            } catch (RuntimeException bad) {
                at = context.clock().instant(); // only the operator writes the status; keep the event whatever its time says
            }
            events.add(new TriggerEvent(TriggerEvent.WEBHOOK, e.getKey(), at, r.getCaller()));
        }
        List<CompletableFuture<FireResult>> futures = context.recoverAccepted(events);
        for (int i = 0; i < futures.size(); i++) {
            TriggerEvent event = events.get(i);
            settleAfter(futures.get(i), event, 1, () -> 1L);
        }
    }

    private void submit(TriggerEvent event, int attempt, long events) {
        settleAfter(context.fire(event), event, attempt, () -> events);
    }

    /**
     * The fire's events are counted as fired; if it failed they are retried as one (they would fold into one fire
     * anyway), or dropped and said so (see {@link #notFired}).
     *
     * @param events how many accepted calls the fire settles, read once it ended
     */
    private void settleAfter(CompletableFuture<FireResult> fired, TriggerEvent event, int attempt, java.util.function.LongSupplier events) {
        Acknowledgement.afterFire(fired, ok -> factory.eventOutcome(namespace, name, "fired", events.getAsLong()),
                r -> notFired(event, attempt, events.getAsLong(), r));
    }

    private void notFired(TriggerEvent event, int attempt, long events, FireResult r) {
        if (r.refused()) {
            // Refused at the moment of the patch (suspended, invalid, not granted, deleted): the executor
            // counted and recorded it; retrying would only be refused again.
            factory.eventOutcome(namespace, name, "dropped", events);
            return;
        }
        WebhookTriggerSource now = factory.local(context.trigger()).orElse(null);
        if (now == null) {
            drop(event, events, "its Trigger is suspended, deleted or invalid now (last fire: " + r.summary() + ")");
        } else if (attempt >= factory.settings().fireAttempts()) {
            drop(event, events, "its fire failed " + attempt + " times, last: " + r.summary());
        } else {
            Duration delay = factory.settings().retryDelay(attempt + 1);
            log.info("{}/{}: webhook event {} not fired yet ({}), retry {} in {} ms", namespace, name, event.id(),
                    r.summary(), attempt, delay.toMillis());
            // Retry through the Trigger's current source, so a swapped source still carries it.
            factory.scheduleRecheck(() -> now.submit(event, attempt + 1, events), delay);
        }
    }

    private void drop(TriggerEvent event, long events, String why) {
        String message = "webhook event " + event.id() + (events > 1 ? " (with " + (events - 1) + " more folded into its fire)" : "")
                + " was accepted but not fired: " + why;
        log.warn("{}/{}: {}", namespace, name, message);
        factory.eventOutcome(namespace, name, "dropped", events);
        context.recordEvent(true, REASON_DROPPED, message);
    }

    @Override
    public void close() {
        closed = true;
        periodic.cancel(false);
        factory.closed(context.trigger(), this);
    }
}
