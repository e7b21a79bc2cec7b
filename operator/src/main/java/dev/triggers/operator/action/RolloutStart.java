package dev.triggers.operator.action;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/**
 * What a fire left to follow on one workload: the workload's generation after the patch (its controller has acted on
 * the patch once status.observedGeneration reaches it), the replicas a ScaleUp asked for (0 for a Redeploy), and the
 * workload's own deadline in seconds (a Deployment's progressDeadlineSeconds; {@link #DEFAULT_DEADLINE_SECONDS}
 * for the others, as Kubernetes defaults it).
 */
public record RolloutStart(long generation, int replicas, int deadlineSeconds) {
    /** Kubernetes' default progressDeadlineSeconds, used for workloads that have none (StatefulSets, DaemonSets). */
    public static final int DEFAULT_DEADLINE_SECONDS = 600;

    /** From the workload as the patch left it (its response), or as found when the event was already applied. */
    public static RolloutStart of(HasMetadata workload, int replicas) {
        Long generation = workload.getMetadata().getGeneration();
        int deadline = DEFAULT_DEADLINE_SECONDS;
        if (workload instanceof Deployment d && d.getSpec() != null && d.getSpec().getProgressDeadlineSeconds() != null) {
            deadline = d.getSpec().getProgressDeadlineSeconds();
        }
        // An Argo Rollout has the same field, with the same default.
        if (ArgoRollouts.isRollout(workload)
                && ((io.fabric8.kubernetes.api.model.GenericKubernetesResource) workload).get("spec", "progressDeadlineSeconds") instanceof Number n) {
            deadline = n.intValue();
        }
        return new RolloutStart(generation == null ? 0 : generation, replicas, deadline);
    }
}
