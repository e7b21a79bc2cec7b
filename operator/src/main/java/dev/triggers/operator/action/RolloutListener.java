package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.Trigger;
import java.time.Duration;

/** Told of each rollout that ended and is shown on its Trigger's status (after that status was written). */
public interface RolloutListener {
    RolloutListener NONE = (trigger, rollout, took) -> {};

    void ended(Trigger trigger, RolloutStatus rollout, Duration took);
}
