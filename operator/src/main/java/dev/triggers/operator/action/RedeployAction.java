package dev.triggers.operator.action;

import dev.triggers.operator.support.PatchTargets;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;

/**
 * A rolling restart, as `kubectl rollout restart` does it, plus why: the pod template gets
 * kubectl's restartedAt and the triggers.dev/* annotations. The values come from the event only, so
 * two events always give two templates (even within one second) and the same event repeated after a
 * crash gives the same template (no second rollout). An Argo Rollouts Rollout is restarted its own way, through
 * spec.restartAt (a new pod template would be a new revision, with its canary or blue-green steps), the triggers.dev/*
 * annotations then on the Rollout itself.
 */
public final class RedeployAction implements WorkloadAction {
    public static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
    public static final String FIRED_BY = "triggers.dev/fired-by";
    public static final String EVENT_SOURCE = "triggers.dev/event-source";
    public static final String EVENT_ID = "triggers.dev/event-id";

    private final KubernetesClient client;

    public RedeployAction(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public String type() {
        return ActionSpec.REDEPLOY;
    }

    @Override
    public WorkloadResult apply(HasMetadata workload, Trigger trigger, TriggerEvent event) {
        WorkloadRef ref = TargetResolver.ref(workload);
        if (workload instanceof Deployment d && Boolean.TRUE.equals(d.getSpec().getPaused())) {
            return new WorkloadResult(ref, WorkloadResult.Outcome.PAUSED, ref + " is paused, so it was not restarted: resume it with "
                    + "`kubectl rollout resume deployment/" + ref.name() + " -n " + ref.namespace() + "`");
        }
        Map<String, String> wanted = Map.of(
                RESTARTED_AT, DateTimeFormatter.ISO_INSTANT.format(event.receivedAt().truncatedTo(ChronoUnit.SECONDS)),
                FIRED_BY, trigger.getMetadata().getNamespace() + "." + trigger.getMetadata().getName(),
                EVENT_SOURCE, event.source(),
                EVENT_ID, event.id());
        if (ArgoRollouts.isRollout(workload)) return restartRollout(workload, ref, wanted);
        Map<String, String> current = templateAnnotations(workload);
        if (alreadyRestarted(current, wanted)) {
            return new WorkloadResult(ref, WorkloadResult.Outcome.ALREADY_APPLIED, ref + " already restarted for event " + event.id())
                    .startedRollout(RolloutStart.of(workload, 0));
        }
        String patch = client.getKubernetesSerialization().asJson(
                Map.of("spec", Map.of("template", Map.of("metadata", Map.of("annotations", wanted)))));
        try {
            // Through PatchTargets: fabric8's withName(..).patch(..) would GET the object first.
            HasMetadata patched = client.resource(PatchTargets.of(workload)).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            return new WorkloadResult(ref, WorkloadResult.Outcome.PATCHED, "restarted " + ref)
                    .startedRollout(RolloutStart.of(patched == null ? workload : patched, 0));
        } catch (RuntimeException e) {
            return WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "patch", ref));
        }
    }

    /**
     * This Trigger already restarted the workload for this event: a retry, a new leader firing what the status kept, or a
     * keyed webhook call another replica handed over (its time and source differ; its id is the same). Nothing to patch.
     */
    private static boolean alreadyRestarted(Map<String, String> current, Map<String, String> wanted) {
        return current != null && Objects.equals(current.get(EVENT_ID), wanted.get(EVENT_ID)) && Objects.equals(current.get(FIRED_BY), wanted.get(FIRED_BY));
    }

    private WorkloadResult restartRollout(HasMetadata rollout, WorkloadRef ref, Map<String, String> wanted) {
        Map<String, String> annotations = new java.util.HashMap<>(wanted);
        String restartAt = annotations.remove(RESTARTED_AT);
        Map<String, String> current = rollout.getMetadata().getAnnotations();
        if (alreadyRestarted(current, wanted)) {
            return new WorkloadResult(ref, WorkloadResult.Outcome.ALREADY_APPLIED, ref + " already restarted for event " + annotations.get(EVENT_ID))
                    .startedRollout(RolloutStart.of(rollout, ArgoRollouts.replicas(rollout)));
        }
        String patch = client.getKubernetesSerialization().asJson(
                Map.of("metadata", Map.of("annotations", annotations), "spec", Map.of("restartAt", restartAt)));
        try {
            HasMetadata patched = ArgoRollouts.resource(client, rollout).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            return new WorkloadResult(ref, WorkloadResult.Outcome.PATCHED, "restarted " + ref + " (spec.restartAt " + restartAt + ")")
                    .startedRollout(RolloutStart.of(patched == null ? rollout : patched, ArgoRollouts.replicas(rollout)));
        } catch (RuntimeException e) {
            return WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "patch", ref));
        }
    }

    private static Map<String, String> templateAnnotations(HasMetadata workload) {
        PodTemplateSpec template = null;
        if (workload instanceof Deployment d) template = d.getSpec().getTemplate();
        if (workload instanceof StatefulSet s) template = s.getSpec().getTemplate();
        if (workload instanceof DaemonSet ds) template = ds.getSpec().getTemplate();
        return template == null || template.getMetadata() == null ? null : template.getMetadata().getAnnotations();
    }
}
