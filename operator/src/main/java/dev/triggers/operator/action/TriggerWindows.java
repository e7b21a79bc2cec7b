package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.schedule.MaintenanceWindows;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/** The scheduler's view of spec.windows, read from the Trigger's newest spec at each decision. */
final class TriggerWindows implements FireScheduler.Windows {
    private final Function<ResourceID, Optional<Trigger>> triggers;

    TriggerWindows(Function<ResourceID, Optional<Trigger>> triggers) {
        this.triggers = triggers;
    }

    @Override
    public Optional<Instant> opensAt(ResourceID trigger, Instant at) {
        Trigger t = triggers.apply(trigger).orElse(null);
        if (t == null || t.getSpec() == null || t.getSpec().getWindows() == null || t.getSpec().getWindows().isEmpty()) return Optional.of(at);
        try {
            return MaintenanceWindows.of(t.getSpec().getWindows()).opensAt(at);
        } catch (IllegalArgumentException e) {
            // An invalid spec: the reconciler says so and the fire guard refuses its fires; nothing to hold here.
            return Optional.of(at);
        }
    }
}
