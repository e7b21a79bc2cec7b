package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * What a fire does to one workload (spec.action.type). The values it writes come from the event only, so the same
 * event applied again (after a crash, a redelivery) changes nothing and says so.
 */
public interface WorkloadAction {
    /** The spec.action.type this action serves. */
    String type();

    WorkloadResult apply(HasMetadata workload, Trigger trigger, TriggerEvent event);
}
