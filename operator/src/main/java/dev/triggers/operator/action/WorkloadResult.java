package dev.triggers.operator.action;

import dev.triggers.operator.support.KubernetesErrors;
/**
 * What a fire did to one workload.
 *
 * @param workload the workload
 * @param outcome what happened
 * @param message for a person: what changed, or what went wrong and how to fix it
 * @param started what there is to follow of the rollout this result started (read from the patch's response, so
 *     no request is added to the fire), or null: nothing to follow (failed, at the ceiling)
 */
public record WorkloadResult(WorkloadRef workload, Outcome outcome, String message, RolloutStart started) {

    public WorkloadResult(WorkloadRef workload, Outcome outcome, String message) {
        this(workload, outcome, message, null);
    }

    /** This result, with the rollout it started. */
    public WorkloadResult startedRollout(RolloutStart started) {
        return new WorkloadResult(workload, outcome, message, started);
    }

    public enum Outcome {
        /** The pod template or the replica count was patched. */
        PATCHED,
        /** This event was already applied (a repeated fire after a crash): nothing changed. */
        ALREADY_APPLIED,
        /** ScaleUp at maxReplicas: recorded, not an error. */
        AT_CEILING,
        /** A paused Deployment: not patched; with rollout following on, the fire waits until it is resumed. */
        PAUSED,
        /** A workload of a later wave (action.maxConcurrent): not patched yet; the rollout follower starts its wave. */
        WAITING,
        FAILED,
        /** Failed for a reason that passes (API unreachable, conflict, 5xx): the executor retries. */
        UNAVAILABLE
    }

    public boolean failed() {
        return outcome == Outcome.FAILED || outcome == Outcome.UNAVAILABLE || outcome == Outcome.PAUSED;
    }

    public static WorkloadResult failed(WorkloadRef workload, String message) {
        return new WorkloadResult(workload, Outcome.FAILED, message);
    }

    /** A failure classified by {@link KubernetesErrors#isTransient}. */
    public static WorkloadResult failed(WorkloadRef workload, Exception cause, String message) {
        return new WorkloadResult(workload, KubernetesErrors.isTransient(cause) ? Outcome.UNAVAILABLE : Outcome.FAILED, message);
    }
}
