package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import java.util.Map;
import java.util.Objects;

/**
 * Where one workload's rollout stands, read from the workload as its controller last wrote its status: a plain
 * function, the same rules as `kubectl rollout status`. Nothing is decided before status.observedGeneration reaches
 * the generation the fire's patch produced: until then the status describes the workload before the fire.
 */
final class RolloutProgress {
    static final String NEW_REPLICA_SET_AVAILABLE = "NewReplicaSetAvailable";
    static final String PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded";

    private RolloutProgress() {}

    /** The state (Progressing, Complete, Failed or Superseded) and why. */
    record Progress(String state, String reason) {
        boolean ended() {
            return !RolloutStatus.PROGRESSING.equals(state);
        }

        static Progress progressing(String reason) {
            return new Progress(RolloutStatus.PROGRESSING, reason);
        }
    }

    /**
     * @param live the workload as read now (null: it is gone)
     * @param start what the fire's patch left to follow
     * @param eventId the event the fire carried: written on the workload by the patch, so another value there means a
     *     newer change replaced this one
     * @param scaleUp whether the fire was a ScaleUp (new replicas available) rather than a Redeploy (new pods everywhere)
     */
    static Progress of(HasMetadata live, WorkloadRef ref, RolloutStart start, String eventId, boolean scaleUp) {
        if (live == null) return new Progress(RolloutStatus.FAILED, ref + " was deleted during its rollout");
        boolean argo = ArgoRollouts.isRollout(live);
        // A Rollout is restarted through spec.restartAt: the event id is on the Rollout itself, not on its pod template.
        String marker = scaleUp ? annotation(live.getMetadata().getAnnotations(), ScaleUpAction.SCALED_BY_EVENT)
                : annotation(argo ? live.getMetadata().getAnnotations() : templateAnnotations(live), RedeployAction.EVENT_ID);
        if (!Objects.equals(marker, eventId)) {
            return new Progress(RolloutStatus.SUPERSEDED, ref + (scaleUp ? " was scaled" : "'s pod template was changed") + " again"
                    + (marker != null ? " (event " + marker + ")" : "") + " before this rollout ended");
        }
        if (live instanceof Deployment d) return deployment(d, ref, start, scaleUp);
        if (live instanceof StatefulSet s) return statefulSet(s, ref, start, scaleUp);
        if (live instanceof DaemonSet ds) return daemonSet(ds, ref, start);
        if (argo) return argoRollout((io.fabric8.kubernetes.api.model.GenericKubernetesResource) live, ref, start, scaleUp);
        return new Progress(RolloutStatus.FAILED, ref + ": cannot follow the rollout of a " + live.getKind());
    }

    private static Progress deployment(Deployment d, WorkloadRef ref, RolloutStart start, boolean scaleUp) {
        DeploymentStatus s = d.getStatus();
        if (s == null || !observed(s.getObservedGeneration(), start)) return waitingForController(ref);
        DeploymentCondition progressing = s.getConditions() == null ? null
                : s.getConditions().stream().filter(c -> "Progressing".equals(c.getType())).findFirst().orElse(null);
        if (progressing != null && PROGRESS_DEADLINE_EXCEEDED.equals(progressing.getReason())) {
            return new Progress(RolloutStatus.FAILED, ref + " exceeded its progress deadline"
                    + (progressing.getMessage() != null ? ": " + progressing.getMessage() : ""));
        }
        int wanted = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        int available = n(s.getAvailableReplicas());
        if (scaleUp) {
            return available >= start.replicas() ? new Progress(RolloutStatus.COMPLETE, ref + ": " + available + " replicas available")
                    : Progress.progressing(ref + ": " + available + " of " + start.replicas() + " replicas available");
        }
        int updated = n(s.getUpdatedReplicas());
        // As kubectl rollout status: every replica updated, no old one left, every updated one available.
        if (updated < wanted) return Progress.progressing(ref + ": " + updated + " of " + wanted + " replicas updated");
        if (n(s.getReplicas()) > updated) return Progress.progressing(ref + ": " + (n(s.getReplicas()) - updated) + " old replicas pending termination");
        if (available < updated) return Progress.progressing(ref + ": " + available + " of " + updated + " updated replicas available");
        if (progressing != null && !NEW_REPLICA_SET_AVAILABLE.equals(progressing.getReason())) {
            return Progress.progressing(ref + ": Progressing is " + progressing.getReason());
        }
        return new Progress(RolloutStatus.COMPLETE, ref + " rolled out: " + updated + " replicas updated and available");
    }

    private static Progress statefulSet(StatefulSet set, WorkloadRef ref, RolloutStart start, boolean scaleUp) {
        StatefulSetStatus s = set.getStatus();
        if (s == null || !observed(s.getObservedGeneration(), start)) return waitingForController(ref);
        int ready = n(s.getReadyReplicas());
        if (scaleUp) {
            return ready >= start.replicas() ? new Progress(RolloutStatus.COMPLETE, ref + ": " + ready + " replicas ready")
                    : Progress.progressing(ref + ": " + ready + " of " + start.replicas() + " replicas ready");
        }
        int wanted = set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas();
        int updated = n(s.getUpdatedReplicas());
        if (updated < wanted) return Progress.progressing(ref + ": " + updated + " of " + wanted + " pods updated");
        if (ready < wanted) return Progress.progressing(ref + ": " + ready + " of " + wanted + " pods ready");
        if (s.getUpdateRevision() != null && !s.getUpdateRevision().equals(s.getCurrentRevision())) {
            return Progress.progressing(ref + ": revision " + s.getUpdateRevision() + " not yet current");
        }
        return new Progress(RolloutStatus.COMPLETE, ref + " rolled out: revision " + s.getUpdateRevision() + ", " + ready + " pods ready");
    }

    private static Progress daemonSet(DaemonSet set, WorkloadRef ref, RolloutStart start) {
        DaemonSetStatus s = set.getStatus();
        if (s == null || !observed(s.getObservedGeneration(), start)) return waitingForController(ref);
        int desired = n(s.getDesiredNumberScheduled());
        int updated = n(s.getUpdatedNumberScheduled());
        int available = n(s.getNumberAvailable());
        if (updated < desired) return Progress.progressing(ref + ": " + updated + " of " + desired + " pods updated");
        if (available < desired) return Progress.progressing(ref + ": " + available + " of " + desired + " pods available");
        return new Progress(RolloutStatus.COMPLETE, ref + " rolled out: " + desired + " pods updated and available");
    }

    /**
     * An Argo Rollout, as its controller reports it: status.phase Degraded is Failed (with its message); a restart is
     * Complete once status.restartedAt shows the spec.restartAt the fire wrote and the phase is Healthy; a ScaleUp once
     * the new replicas are available and the phase is Healthy. Its status.observedGeneration is a string.
     */
    private static Progress argoRollout(io.fabric8.kubernetes.api.model.GenericKubernetesResource r, WorkloadRef ref, RolloutStart start,
                                        boolean scaleUp) {
        Object observed = r.get("status", "observedGeneration");
        Long generation = observed == null ? null : parseLong(String.valueOf(observed));
        if (!observed(generation, start)) return waitingForController(ref);
        String phase = String.valueOf(r.<Object>get("status", "phase"));
        if ("Degraded".equals(phase)) {
            Object message = r.get("status", "message");
            return new Progress(RolloutStatus.FAILED, ref + " is Degraded" + (message != null ? ": " + message : ""));
        }
        if (scaleUp) {
            Object available = r.get("status", "availableReplicas");
            int n = available instanceof Number v ? v.intValue() : 0;
            return n >= start.replicas() && "Healthy".equals(phase) ? new Progress(RolloutStatus.COMPLETE, ref + ": " + n + " replicas available")
                    : Progress.progressing(ref + ": " + n + " of " + start.replicas() + " replicas available (phase " + phase + ")");
        }
        Object wanted = r.get("spec", "restartAt");
        Object restarted = r.get("status", "restartedAt");
        if (wanted != null && !wanted.equals(restarted)) return Progress.progressing(ref + ": pods restarting (phase " + phase + ")");
        if (!"Healthy".equals(phase)) return Progress.progressing(ref + ": phase " + phase);
        return new Progress(RolloutStatus.COMPLETE, ref + " restarted: phase Healthy");
    }

    private static Long parseLong(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return null; // an older controller wrote a hash here: not comparable, so not decided on
        }
    }

    private static boolean observed(Long observedGeneration, RolloutStart start) {
        return observedGeneration != null && observedGeneration >= start.generation();
    }

    private static Progress waitingForController(WorkloadRef ref) {
        return Progress.progressing(ref + ": its controller has not observed the change yet");
    }

    private static int n(Integer value) {
        return value == null ? 0 : value;
    }

    private static String annotation(Map<String, String> annotations, String key) {
        return annotations == null ? null : annotations.get(key);
    }

    static Map<String, String> templateAnnotations(HasMetadata workload) {
        PodTemplateSpec template = null;
        if (workload instanceof Deployment d && d.getSpec() != null) template = d.getSpec().getTemplate();
        if (workload instanceof StatefulSet s && s.getSpec() != null) template = s.getSpec().getTemplate();
        if (workload instanceof DaemonSet ds && ds.getSpec() != null) template = ds.getSpec().getTemplate();
        return template == null || template.getMetadata() == null ? null : template.getMetadata().getAnnotations();
    }
}
