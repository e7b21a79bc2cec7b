package dev.triggers.operator.source.webhook;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.action.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook source of one Trigger, on the leader: keeps its token Secret (mints it, mints a new one
 * when it is deleted, rotates it on a new triggers.dev/rotate-token value, drops the previous token
 * after the grace period) and fires the events the {@link WebhookServer} accepted, retrying a failed
 * fire with backoff so an accepted event is not lost to a passing API error.
 */
final class WebhookTriggerSource implements TriggerSource {
    private static final Logger log = LoggerFactory.getLogger(WebhookTriggerSource.class);
    static final String REASON_MINTED = "WebhookTokenMinted";
    static final String REASON_ROTATED = "WebhookTokenRotated";
    static final String REASON_DROPPED = "WebhookEventDropped";

    private final SourceContext context;
    private final WebhookSourceFactory factory;
    private final String namespace;
    private final String name;
    private final String secretName;
    private volatile Trigger latest;
    private volatile String error;
    private volatile boolean closed;

    WebhookTriggerSource(Trigger trigger, SourceContext context, WebhookSourceFactory factory) {
        this.context = context;
        this.factory = factory;
        this.latest = trigger;
        this.namespace = trigger.getMetadata().getNamespace();
        this.name = trigger.getMetadata().getName();
        this.secretName = WebhookTokens.secretName(name);
    }

    Trigger latest() {
        return latest;
    }

    @Override
    public void observe(Trigger trigger) {
        latest = trigger;
        if (trigger.getMetadata().getDeletionTimestamp() != null) return;
        try {
            error = keepSecret(trigger);
        } catch (KubernetesClientException e) {
            error = KubernetesErrors.describe(e, "write", "webhook token Secret " + namespace + "/" + secretName);
            log.warn("{}/{}: {}", namespace, name, error);
        }
    }

    /** Makes the token Secret what the Trigger asks for; returns a problem for a person, or null. */
    private String keepSecret(Trigger trigger) {
        Secret cached = factory.tokens().cached(namespace, name).orElse(null);
        if (cached != null && upToDate(cached, trigger)) return null;
        // Something to do: decide on the API's copy, since the informer may not show our last write yet.
        Secret current = context.client().secrets().inNamespace(namespace).withName(secretName).get();
        Instant now = context.clock().instant();
        if (current == null) {
            context.client().secrets().inNamespace(namespace).resource(tokenSecret(trigger, WebhookTokens.newToken(), null, null)).create();
            minted("minted a webhook token into Secret " + secretName + " (any earlier token of this Trigger is revoked)");
            return null;
        }
        Map<String, String> labels = current.getMetadata().getLabels();
        if (labels == null || !"true".equals(labels.get(WebhookTokens.LABEL))) {
            return "Secret " + namespace + "/" + secretName + " exists but was not made by trigger-operator: delete or rename it,"
                    + " and the operator mints the webhook token into a new one";
        }
        if (!Objects.equals(WebhookTokens.ownerUid(current).orElse(null), trigger.getMetadata().getUid())) {
            // Left over from an earlier Trigger of the same name: its token must not work for this one.
            Secret fresh = tokenSecret(trigger, WebhookTokens.newToken(), null, null);
            fresh.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
            context.client().secrets().inNamespace(namespace).resource(fresh).update();
            minted("minted a webhook token into Secret " + secretName + ", replacing one left by an earlier Trigger of this name");
            return null;
        }
        if (upToDate(current, trigger)) return null;

        String token = WebhookTokens.data(current, WebhookTokens.KEY_TOKEN);
        String previous = WebhookTokens.previousStillValid(current, now) ? WebhookTokens.data(current, WebhookTokens.KEY_PREVIOUS_TOKEN) : null;
        Instant previousUntil = previous == null ? null : Instant.parse(current.getMetadata().getAnnotations().get(WebhookTokens.ANNOTATION_PREVIOUS_EXPIRES));
        String rotation = rotateRequest(trigger);
        String message = null;
        if (token == null || token.isEmpty()) {
            token = WebhookTokens.newToken();
            message = "minted a webhook token into Secret " + secretName + " (its token was missing)";
        } else if (rotation != null && !rotation.equals(rotatedFor(current))) {
            previous = token;
            previousUntil = now.plus(factory.settings().rotationGrace());
            token = WebhookTokens.newToken();
            message = "rotated the webhook token in Secret " + secretName + ": the previous token is accepted until " + previousUntil;
            factory.scheduleRecheck(this::recheck, Duration.between(now, previousUntil).plusSeconds(1));
        }
        Secret next = tokenSecret(trigger, token, previous, previousUntil);
        next.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
        context.client().secrets().inNamespace(namespace).resource(next).update();
        if (message != null) {
            log.info("{}/{}: {}", namespace, name, message);
            context.recordEvent(false, message.startsWith("rotated") ? REASON_ROTATED : REASON_MINTED, message);
        }
        return null;
    }

    private void minted(String message) {
        log.info("{}/{}: {}", namespace, name, message);
        context.recordEvent(false, REASON_MINTED, message);
    }

    /** True when the Secret is this Trigger's, with a token, the current URL, no pending rotation and no expired previous token. */
    private boolean upToDate(Secret s, Trigger trigger) {
        if (!Objects.equals(WebhookTokens.ownerUid(s).orElse(null), trigger.getMetadata().getUid())) return false;
        String token = WebhookTokens.data(s, WebhookTokens.KEY_TOKEN);
        if (token == null || token.isEmpty()) return false;
        if (!Objects.equals(WebhookTokens.data(s, WebhookTokens.KEY_URL), url() + "/" + token)) return false;
        String rotation = rotateRequest(trigger);
        if (rotation != null && !rotation.equals(rotatedFor(s))) return false;
        boolean hasPrevious = WebhookTokens.data(s, WebhookTokens.KEY_PREVIOUS_TOKEN) != null;
        return !hasPrevious || WebhookTokens.previousStillValid(s, context.clock().instant());
    }

    private Secret tokenSecret(Trigger trigger, String token, String previous, Instant previousUntil) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(WebhookTokens.KEY_TOKEN, WebhookTokens.encode(token));
        data.put(WebhookTokens.KEY_URL, WebhookTokens.encode(url() + "/" + token));
        Map<String, String> annotations = new HashMap<>();
        String rotation = rotateRequest(trigger);
        if (rotation != null) annotations.put(WebhookTokens.ANNOTATION_ROTATED_FOR, rotation);
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

    private static String rotateRequest(Trigger trigger) {
        Map<String, String> a = trigger.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(WebhookTokens.ANNOTATION_ROTATE);
        return v == null || v.isBlank() ? null : v;
    }

    private static String rotatedFor(Secret s) {
        Map<String, String> a = s.getMetadata().getAnnotations();
        return a == null ? null : a.get(WebhookTokens.ANNOTATION_ROTATED_FOR);
    }

    /** status.url: the public base URL and the path, never the token. */
    String url() {
        String base = context.config().webhookBaseUrl();
        while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        return base + "/hooks/" + namespace + "/" + name;
    }

    /** The token Secret was added, changed or deleted: let the reconciler look (and mint a new one if it is gone). */
    void secretChanged() {
        if (!closed) context.healthChanged();
    }

    private void recheck() {
        if (!closed) context.healthChanged();
    }

    @Override
    public SourceHealth health() {
        String problem = error;
        if (problem != null) return SourceHealth.error("WebhookSecretError", problem);
        Optional<Secret> s = factory.tokens().cached(namespace, name);
        boolean ready = s.isPresent() && Objects.equals(WebhookTokens.ownerUid(s.get()).orElse(null), latest.getMetadata().getUid())
                && WebhookTokens.data(s.get(), WebhookTokens.KEY_TOKEN) != null;
        return ready
                ? SourceHealth.ready("accepting POST " + url() + " with the token in Secret " + secretName)
                : SourceHealth.starting("minting the webhook token into Secret " + secretName);
    }

    @Override
    public void describe(TriggerStatus status) {
        status.setUrl(url());
        status.setWebhookSecretName(secretName);
    }

    /** Fires an accepted event; a failed fire is retried with backoff, up to the configured attempts. */
    void accept(TriggerEvent event) {
        submit(event, 1);
    }

    private void submit(TriggerEvent event, int attempt) {
        context.fire(event).whenComplete((result, thrown) -> {
            FireResult r = thrown != null ? FireResult.failed(thrown.toString()) : result;
            if (r.succeeded()) {
                factory.eventOutcome(namespace, name, "fired");
                return;
            }
            if (r.refused()) {
                // Refused at the moment of the patch (suspended, invalid, not granted, deleted): the executor
                // counted and recorded it; retrying would only be refused again.
                factory.eventOutcome(namespace, name, "dropped");
                return;
            }
            WebhookTriggerSource now = factory.local(context.trigger()).orElse(null);
            if (now == null) {
                drop(event, "its Trigger is suspended, deleted or invalid now (last fire: " + r.summary() + ")");
            } else if (attempt >= factory.settings().fireAttempts()) {
                drop(event, "its fire failed " + attempt + " times, last: " + r.summary());
            } else {
                Duration delay = factory.settings().retryDelay(attempt + 1);
                log.info("{}/{}: webhook event {} not fired yet ({}), retry {} in {} ms", namespace, name, event.id(),
                        r.summary(), attempt, delay.toMillis());
                // Retry through the Trigger's current source, so a swapped source still carries it.
                factory.scheduleRecheck(() -> now.submit(event, attempt + 1), delay);
            }
        });
    }

    private void drop(TriggerEvent event, String why) {
        String message = "webhook event " + event.id() + " was accepted but not fired: " + why;
        log.warn("{}/{}: {}", namespace, name, message);
        factory.eventOutcome(namespace, name, "dropped");
        context.recordEvent(true, REASON_DROPPED, message);
    }

    @Override
    public void close() {
        closed = true;
        factory.closed(context.trigger(), this);
    }
}
