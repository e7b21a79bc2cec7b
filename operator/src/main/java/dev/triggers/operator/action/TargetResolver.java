package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.TargetRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.tenancy.TargetAccess;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Finds the live workloads a Trigger's target names. Reads from the API: no cache of all workloads. */
public final class TargetResolver {
    private final KubernetesClient client;

    public TargetResolver(KubernetesClient client) {
        this.client = client;
    }

    /** The namespace the target lives in: its own, or the Trigger's. */
    public static String targetNamespace(Trigger trigger) {
        return TargetAccess.targetNamespace(trigger);
    }

    /** A one-line name of the target for messages, e.g. "Deployment shop/web". */
    public static String describe(Trigger trigger) {
        TargetRef target = trigger.getSpec().getTarget();
        String ns = targetNamespace(trigger);
        if (!target.isApplication()) return target.kindOrDefault() + " " + ns + "/" + target.getName();
        return "Application " + ns + "/" + (target.getName() != null ? target.getName() : selectorText(target.applicationSelector()));
    }

    /** The target's workloads; empty when there are none (the caller says so). */
    public List<HasMetadata> resolve(Trigger trigger) {
        TargetRef target = trigger.getSpec().getTarget();
        String ns = targetNamespace(trigger);
        if (target.isRollout()) {
            HasMetadata rollout = ArgoRollouts.get(client, ns, target.getName());
            return rollout == null ? List.of() : List.of(rollout);
        }
        if (!target.isApplication()) {
            Deployment deployment = client.apps().deployments().inNamespace(ns).withName(target.getName()).get();
            return deployment == null ? List.of() : List.of(deployment);
        }
        Map<String, String> labels = target.applicationSelector();
        List<HasMetadata> found = new ArrayList<>();
        found.addAll(client.apps().deployments().inNamespace(ns).withLabels(labels).list().getItems());
        found.addAll(client.apps().statefulSets().inNamespace(ns).withLabels(labels).list().getItems());
        found.addAll(client.apps().daemonSets().inNamespace(ns).withLabels(labels).list().getItems());
        return found;
    }

    /** One workload the target resolved before, read again by name (null: it is gone). */
    public HasMetadata get(WorkloadRef ref) {
        var apps = client.apps();
        return switch (ref.kind()) {
            case WorkloadRef.STATEFUL_SET -> apps.statefulSets().inNamespace(ref.namespace()).withName(ref.name()).get();
            case WorkloadRef.DAEMON_SET -> apps.daemonSets().inNamespace(ref.namespace()).withName(ref.name()).get();
            case ArgoRollouts.KIND -> ArgoRollouts.get(client, ref.namespace(), ref.name());
            default -> apps.deployments().inNamespace(ref.namespace()).withName(ref.name()).get();
        };
    }

    /** What to tell a person when {@link #resolve} found nothing. */
    public static String notFoundMessage(Trigger trigger) {
        TargetRef target = trigger.getSpec().getTarget();
        String ns = targetNamespace(trigger);
        if (!target.isApplication()) {
            return target.kindOrDefault() + " " + ns + "/" + target.getName() + " not found: create it, or fix spec.target.name";
        }
        return "no Deployment, StatefulSet or DaemonSet in namespace " + ns + " is labelled "
                + selectorText(target.applicationSelector()) + ": label the application's workloads, or fix spec.target";
    }

    public static WorkloadRef ref(HasMetadata workload) {
        return new WorkloadRef(workload.getKind(), workload.getMetadata().getNamespace(), workload.getMetadata().getName());
    }

    static String selectorText(Map<String, String> labels) {
        return labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().collect(Collectors.joining(","));
    }
}
