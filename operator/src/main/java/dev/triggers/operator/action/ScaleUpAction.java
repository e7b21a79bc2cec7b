package dev.triggers.operator.action;

import dev.triggers.operator.support.PatchTargets;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.ScaleRevert;
import dev.triggers.operator.api.v1alpha1.ScaleUpSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Raises replicas by step, never past maxReplicas. The new count and the event id are written in one
 * patch guarded by the object's resourceVersion: the event id on it is what makes a repeated
 * fire of the same event (after a crash, or a cron slot re-fired) change nothing. The scale subresource
 * cannot carry that marker, so the workload itself is patched.
 *
 * <p>A workload that an autoscaling/v2 HorizontalPodAutoscaler targets is not scaled through spec.replicas (the HPA
 * would write it back): the HPA's minReplicas is raised instead, to the workload's replicas plus step, within both
 * the Trigger's and the HPA's maxReplicas. With revertAfterSeconds, each raise is handed to {@link ScaleReverts}.
 */
public final class ScaleUpAction implements WorkloadAction {
    public static final String SCALED_BY_EVENT = "triggers.dev/scaled-by-event";
    private static final int CONFLICT_RETRIES = 3;

    private final KubernetesClient client;
    private final ScaleReverts reverts;

    public ScaleUpAction(KubernetesClient client) {
        this(client, null);
    }

    /** @param reverts keeps and makes the reverts of temporary scale-ups (null: revertAfterSeconds is not served) */
    ScaleUpAction(KubernetesClient client, ScaleReverts reverts) {
        this.client = client;
        this.reverts = reverts;
    }

    @Override
    public String type() {
        return ActionSpec.SCALE_UP;
    }

    @Override
    public WorkloadResult apply(HasMetadata workload, Trigger trigger, TriggerEvent event) {
        WorkloadRef ref = TargetResolver.ref(workload);
        if (!(workload instanceof Deployment) && !(workload instanceof StatefulSet) && !ArgoRollouts.isRollout(workload)) {
            return WorkloadResult.failed(ref, ref + " cannot be scaled: ScaleUp acts on Deployments, StatefulSets and Rollouts");
        }
        HorizontalPodAutoscaler hpa;
        try {
            hpa = autoscalerOf(workload);
        } catch (AmbiguousAutoscalers e) {
            return WorkloadResult.failed(ref, e.getMessage());
        } catch (RuntimeException e) {
            return WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "list HorizontalPodAutoscalers in namespace", ref.namespace()));
        }
        boolean temporary = trigger.getSpec().actionOrDefault().getScaleUp().getRevertAfterSeconds() != null && reverts != null;
        if (!temporary) return raise(workload, hpa, trigger, event);
        synchronized (reverts.lock(ResourceID.fromResource(trigger))) {
            return raise(workload, hpa, trigger, event);
        }
    }

    /** Raises spec.replicas, or the HPA's minReplicas when {@code hpa} is not null. */
    private WorkloadResult raise(HasMetadata workload, HorizontalPodAutoscaler hpa, Trigger trigger, TriggerEvent event) {
        ScaleUpSpec scaleUp = trigger.getSpec().actionOrDefault().getScaleUp();
        WorkloadRef ref = TargetResolver.ref(workload);
        HasMetadata object = hpa != null ? hpa : workload;
        String field = hpa == null ? ref + " spec.replicas" : "HorizontalPodAutoscaler " + ref.namespace() + "/" + hpa.getMetadata().getName() + " minReplicas";
        for (int attempt = 1; ; attempt++) {
            Map<String, String> annotations = object.getMetadata().getAnnotations();
            if (annotations != null && event.id().equals(annotations.get(SCALED_BY_EVENT))) {
                return new WorkloadResult(ref, WorkloadResult.Outcome.ALREADY_APPLIED, ref + " already scaled for event " + event.id())
                        .startedRollout(hpa == null ? RolloutStart.of(workload, replicas(workload)) : null);
            }
            int current = hpa == null ? replicas(workload) : minReplicas(hpa);
            int ceiling = hpa == null ? scaleUp.getMaxReplicas() : Math.min(scaleUp.getMaxReplicas(), maxReplicas(hpa));
            // With an HPA, "up by step" counts from the replicas it runs now: a minimum below them would change nothing.
            int base = hpa == null ? current : Math.max(current, replicas(workload));
            int wanted = Math.min(base + scaleUp.stepOrDefault(), ceiling);
            Temporary temporary = temporary(trigger, workload, hpa, current);
            if (wanted <= current) {
                String extended = temporary == null || temporary.earlier == null || !temporary.intact ? ""
                        : "; " + keep(trigger, workload, hpa, temporary.earlier.getFrom(), current, temporary);
                // Without an HPA, the words of the fires before this feature (dashboards may match them).
                String text = hpa == null ? ref + " is at maxReplicas " + ceiling + " (" + current + " replicas): not scaled further"
                        : field + " is " + current + ", at the ceiling (scaleUp.maxReplicas " + scaleUp.getMaxReplicas()
                        + ", the HPA's maxReplicas " + maxReplicas(hpa) + "): not raised further";
                return new WorkloadResult(ref, WorkloadResult.Outcome.AT_CEILING, text + extended);
            }
            String patch = client.getKubernetesSerialization().asJson(Map.of(
                    "metadata", Map.of("resourceVersion", object.getMetadata().getResourceVersion(),
                            "annotations", Map.of(SCALED_BY_EVENT, event.id())),
                    "spec", Map.of(hpa == null ? "replicas" : "minReplicas", wanted)));
            // Through PatchTargets: fabric8's withName(..).patch(..) would GET the object first.
            var resource = resource(client, object);
            try {
                HasMetadata patched = resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
                if (hpa == null && patched != null) workload = patched;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
                    return WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "scale", hpa == null ? ref : field));
                }
                object = resource.get();
                if (object == null) return WorkloadResult.failed(ref, (hpa == null ? ref.toString() : field) + " not found");
                if (hpa == null) workload = object;
                else hpa = (HorizontalPodAutoscaler) object;
                continue;
            } catch (RuntimeException e) {
                return WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "scale", hpa == null ? ref : field));
            }
            String message = hpa == null ? "scaled " + ref + " from " + current + " to " + wanted + " replicas"
                    : "raised " + field + " from " + current + " to " + wanted + " (" + ref + " runs " + replicas(workload)
                    + "; spec.replicas is left to the HPA)";
            if (wanted == ceiling) message += ", now at " + (hpa == null ? "maxReplicas" : "the ceiling");
            if (temporary != null) {
                int from = temporary.intact ? temporary.earlier.getFrom() : current;
                if (temporary.earlier != null && !temporary.intact) {
                    message += "; the earlier revert is dropped: " + field + " was changed by another writer (" + temporary.earlier.getTo()
                            + " set by this Trigger, " + current + " found)";
                }
                message += "; " + keep(trigger, workload, hpa, from, wanted, temporary);
            }
            // With an HPA its controller decides when replicas come: no rollout of this Trigger's to follow.
            return new WorkloadResult(ref, WorkloadResult.Outcome.PATCHED, message).startedRollout(hpa == null ? RolloutStart.of(workload, wanted) : null);
        }
    }

    /** A temporary scale-up's revert as it stands before this fire: the earlier one, and whether the value is still its. */
    private record Temporary(int revertAfterSeconds, ScaleRevert earlier, boolean intact) {}

    private Temporary temporary(Trigger trigger, HasMetadata workload, HorizontalPodAutoscaler hpa, int current) {
        Integer seconds = trigger.getSpec().actionOrDefault().getScaleUp().getRevertAfterSeconds();
        if (seconds == null || reverts == null) return null;
        ScaleRevert earlier = reverts.pending(trigger, ScaleReverts.key(workload));
        String hpaName = hpa == null ? null : hpa.getMetadata().getName();
        boolean intact = earlier != null && Objects.equals(earlier.getTo(), current) && Objects.equals(earlier.getHorizontalPodAutoscaler(), hpaName);
        return new Temporary(seconds, earlier, intact);
    }

    /** Schedules (or moves) the revert to {@code from} and says when it is due. */
    private String keep(Trigger trigger, HasMetadata workload, HorizontalPodAutoscaler hpa, int from, int to, Temporary temporary) {
        String revertAt = reverts.clockNow().plusSeconds(temporary.revertAfterSeconds).toString();
        ScaleRevert revert = new ScaleRevert(workload.getKind(), workload.getMetadata().getNamespace(), workload.getMetadata().getName(),
                hpa == null ? null : hpa.getMetadata().getName(), from, to, revertAt);
        String problem = reverts.raised(trigger, ScaleReverts.key(workload), revert);
        return "back to " + from + " at " + revertAt + (problem == null ? "" : " (" + problem + ")");
    }

    /** The autoscaling/v2 HPA whose scaleTargetRef is the workload, or null. Two are an error Kubernetes shares. */
    private HorizontalPodAutoscaler autoscalerOf(HasMetadata workload) {
        String ns = workload.getMetadata().getNamespace();
        List<HorizontalPodAutoscaler> found = client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).list().getItems().stream()
                .filter(h -> targets(h, workload)).sorted(Comparator.comparing(h -> h.getMetadata().getName())).toList();
        if (found.size() > 1) {
            throw new AmbiguousAutoscalers(found.size() + " HorizontalPodAutoscalers target " + TargetResolver.ref(workload) + " ("
                    + found.stream().map(h -> h.getMetadata().getName()).collect(Collectors.joining(", "))
                    + "): Kubernetes scales with neither; delete all but one");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    private static final class AmbiguousAutoscalers extends RuntimeException {
        AmbiguousAutoscalers(String message) {
            super(message, null, false, false);
        }
    }

    /** Whether the HPA's scaleTargetRef names this workload (the same API group, kind and name). */
    static boolean targets(HorizontalPodAutoscaler hpa, HasMetadata workload) {
        var ref = hpa.getSpec() == null ? null : hpa.getSpec().getScaleTargetRef();
        if (ref == null) return false;
        String group = workload.getApiVersion() == null || !workload.getApiVersion().contains("/") ? "apps" : workload.getApiVersion().split("/")[0];
        boolean sameGroup = ref.getApiVersion() == null || ref.getApiVersion().startsWith(group + "/");
        return sameGroup && workload.getKind().equals(ref.getKind()) && workload.getMetadata().getName().equals(ref.getName());
    }

    /** The object as a resource to patch and read again: a Rollout through its fixed context, anything else by its type. */
    static io.fabric8.kubernetes.client.dsl.Resource<? extends HasMetadata> resource(KubernetesClient client, HasMetadata object) {
        return ArgoRollouts.isRollout(object) ? ArgoRollouts.resource(client, object) : client.resource(PatchTargets.of(object));
    }

    static int minReplicas(HorizontalPodAutoscaler hpa) {
        Integer min = hpa.getSpec().getMinReplicas();
        return min == null ? 1 : min;
    }

    static int maxReplicas(HorizontalPodAutoscaler hpa) {
        Integer max = hpa.getSpec().getMaxReplicas();
        return max == null ? Integer.MAX_VALUE : max;
    }

    static int replicas(HasMetadata workload) {
        Integer replicas = null;
        if (workload instanceof Deployment d) replicas = d.getSpec().getReplicas();
        if (workload instanceof StatefulSet s) replicas = s.getSpec().getReplicas();
        if (ArgoRollouts.isRollout(workload)) return ArgoRollouts.replicas(workload);
        return replicas == null ? 1 : replicas;
    }
}
