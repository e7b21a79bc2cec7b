package dev.triggers.operator.source;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Fires a Trigger once per new value of its triggers.dev/fire-request annotation (any source type), the
 * way Flux's reconcile.fluxcd.io/requestedAt works. The value is the event id; the handled value is
 * recorded in status.lastFireRequest, so a restart does not fire it again and a repeat after a crash
 * patches the same template. A failed request is retried after the recheck interval.
 */
public final class ManualFireSource implements TriggerSource {
    private final SourceContext context;
    private String inFlight;
    private Instant retryAfter = Instant.MIN;

    public ManualFireSource(SourceContext context) {
        this.context = context;
    }

    @Override
    public synchronized void observe(Trigger trigger) {
        Map<String, String> annotations = trigger.getMetadata().getAnnotations();
        String requested = annotations == null ? null : annotations.get(Trigger.ANNOTATION_FIRE_REQUEST);
        if (requested == null || requested.isBlank()) return;
        String handled = trigger.getStatus() == null ? null : trigger.getStatus().getLastFireRequest();
        if (requested.equals(handled) || requested.equals(inFlight)) return;
        Instant now = context.clock().instant();
        if (now.isBefore(retryAfter)) return;
        inFlight = requested;
        // Redeliverable: the annotation stays until a fire handles it, so a refused request comes back.
        context.fire(TriggerEvent.redeliverable(TriggerEvent.MANUAL, requested, now)).whenComplete((result, error) -> {
            synchronized (this) {
                if (error != null || !result.succeeded()) {
                    if (Objects.equals(inFlight, requested)) inFlight = null;
                    retryAfter = context.clock().instant().plus(context.config().recheckInterval());
                }
            }
        });
    }

    @Override
    public SourceHealth health() {
        return SourceHealth.ready("fires on each new value of the " + Trigger.ANNOTATION_FIRE_REQUEST + " annotation");
    }

    @Override
    public void close() {}
}
