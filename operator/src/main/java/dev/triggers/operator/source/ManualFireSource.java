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
 * patches the same template. A failed request is retried after the recheck interval. The triggers.dev/fire-now
 * annotation is the same request as an override: it fires at once, outside the maintenance windows and the cooldown.
 */
public final class ManualFireSource implements TriggerSource {
    private final SourceContext context;
    private String inFlight;
    /**
     * Values whose fire succeeded here, newest last (a few): a fire-request held for a window and then carried by a
     * fire-now's fire is done, although status.lastFireRequest names only the newest of the two.
     */
    private final java.util.LinkedHashSet<String> done = new java.util.LinkedHashSet<>();
    private Instant retryAfter = Instant.MIN;

    public ManualFireSource(SourceContext context) {
        this.context = context;
    }

    @Override
    public synchronized void observe(Trigger trigger) {
        Map<String, String> annotations = trigger.getMetadata().getAnnotations();
        String now = annotations == null ? null : annotations.get(Trigger.ANNOTATION_FIRE_NOW);
        boolean override = now != null && !now.isBlank() && !now.equals(handled(trigger));
        String requested = override ? now : annotations == null ? null : annotations.get(Trigger.ANNOTATION_FIRE_REQUEST);
        if (requested == null || requested.isBlank()) return;
        if (requested.equals(handled(trigger)) || requested.equals(inFlight) || done.contains(requested)) return;
        Instant at = context.clock().instant();
        if (at.isBefore(retryAfter)) return;
        inFlight = requested;
        // Redeliverable: the annotation stays until a fire handles it, so a refused request comes back.
        TriggerEvent event = TriggerEvent.redeliverable(TriggerEvent.MANUAL, requested, at);
        Acknowledgement.afterFire(override ? context.fireNow(event) : context.fire(event), fired -> {
            synchronized (this) {
                done.add(requested);
                if (done.size() > 4) done.remove(done.iterator().next());
            }
        }, failed -> {
            synchronized (this) {
                if (Objects.equals(inFlight, requested)) inFlight = null;
                retryAfter = context.clock().instant().plus(context.config().recheckInterval());
            }
        });
    }

    private static String handled(Trigger trigger) {
        return trigger.getStatus() == null ? null : trigger.getStatus().getLastFireRequest();
    }

    @Override
    public SourceHealth health() {
        return SourceHealth.ready("fires on each new value of the " + Trigger.ANNOTATION_FIRE_REQUEST + " and " + Trigger.ANNOTATION_FIRE_NOW
                + " annotations");
    }

    @Override
    public void close() {}
}
