package dev.triggers.operator.action;

import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.ScaleUpSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;

/**
 * Raises replicas by step, never past maxReplicas. The new count and the event id are written in one
 * patch guarded by the workload's resourceVersion: the event id on the workload is what makes a repeated
 * fire of the same event (after a crash, or a cron slot re-fired) change nothing. The scale subresource
 * cannot carry that marker, so the workload itself is patched.
 */
public final class ScaleUpAction implements WorkloadAction {
    public static final String SCALED_BY_EVENT = "triggers.dev/scaled-by-event";
    private static final int CONFLICT_RETRIES = 3;

    private final KubernetesClient client;

    public ScaleUpAction(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public String type() {
        return ActionSpec.SCALE_UP;
    }

    @Override
    public WorkloadResult apply(HasMetadata workload, Trigger trigger, TriggerEvent event) {
        ScaleUpSpec scaleUp = trigger.getSpec().actionOrDefault().getScaleUp();
        WorkloadRef ref = TargetResolver.ref(workload);
        if (!(workload instanceof Deployment) && !(workload instanceof StatefulSet)) {
            return WorkloadResult.failed(ref, ref + " cannot be scaled: ScaleUp acts on Deployments and StatefulSets");
        }
        int max = scaleUp.getMaxReplicas();
        for (int attempt = 1; ; attempt++) {
            Map<String, String> annotations = workload.getMetadata().getAnnotations();
            if (annotations != null && event.id().equals(annotations.get(SCALED_BY_EVENT))) {
                return new WorkloadResult(ref, WorkloadResult.Outcome.ALREADY_APPLIED, ref + " already scaled for event " + event.id())
                        .startedRollout(RolloutStart.of(workload, replicas(workload)));
            }
            int current = replicas(workload);
            if (current >= max) {
                return new WorkloadResult(ref, WorkloadResult.Outcome.AT_CEILING,
                        ref + " is at maxReplicas " + max + " (" + current + " replicas): not scaled further");
            }
            int wanted = Math.min(current + scaleUp.stepOrDefault(), max);
            String patch = client.getKubernetesSerialization().asJson(Map.of(
                    "metadata", Map.of("resourceVersion", workload.getMetadata().getResourceVersion(),
                            "annotations", Map.of(SCALED_BY_EVENT, event.id())),
                    "spec", Map.of("replicas", wanted)));
            // Through the object in hand: fabric8's withName(..).patch(..) GETs the object first.
            var resource = client.resource(workload);
            try {
                HasMetadata patched = resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
                String ceiling = wanted == max ? ", now at maxReplicas" : "";
                return new WorkloadResult(ref, WorkloadResult.Outcome.PATCHED,
                        "scaled " + ref + " from " + current + " to " + wanted + " replicas" + ceiling)
                        .startedRollout(RolloutStart.of(patched == null ? workload : patched, wanted));
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
                    return WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "scale", ref));
                }
                workload = resource.get();
                if (workload == null) return WorkloadResult.failed(ref, ref + " not found");
            } catch (RuntimeException e) {
                return WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "scale", ref));
            }
        }
    }

    static int replicas(HasMetadata workload) {
        Integer replicas = null;
        if (workload instanceof Deployment d) replicas = d.getSpec().getReplicas();
        if (workload instanceof StatefulSet s) replicas = s.getSpec().getReplicas();
        return replicas == null ? 1 : replicas;
    }
}
