package dev.triggers.operator.action;

import dev.triggers.operator.support.PatchTargets;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * Argo Rollouts' Rollout (argoproj.io/v1alpha1) as a target. The operator has no Java model of it: it reads and
 * patches it as a generic object, through a fixed resource context (no discovery request per fire), and asks the API
 * whether the kind is served only when a Rollout is not found, to tell a missing CRD from a missing object.
 */
public final class ArgoRollouts {
    public static final String KIND = "Rollout";
    public static final String API_VERSION = "argoproj.io/v1alpha1";
    static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup("argoproj.io").withVersion("v1alpha1").withKind(KIND).withPlural("rollouts").withNamespaced(true).build();

    private ArgoRollouts() {}

    /** The kind is not served by this cluster: Argo Rollouts (its CRDs) is not installed. */
    public static final class NotInstalled extends IllegalStateException {
        NotInstalled() {
            super("the Rollout kind (" + API_VERSION + ") is not served by this cluster: install Argo Rollouts, or target a Deployment");
        }
    }

    static boolean isRollout(HasMetadata workload) {
        return workload instanceof GenericKubernetesResource && KIND.equals(workload.getKind());
    }

    /** The Rollout, or null when there is none by that name; throws {@link NotInstalled} when the kind is not served. */
    static GenericKubernetesResource get(KubernetesClient client, String namespace, String name) {
        GenericKubernetesResource rollout;
        try {
            rollout = client.genericKubernetesResources(CONTEXT).inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            // A real API server answers 404 for a kind it does not serve, not an empty answer: check which it was.
            if (e.getCode() == 404 && !served(client)) throw new NotInstalled();
            throw e;
        }
        if (rollout == null && !served(client)) throw new NotInstalled();
        return rollout;
    }

    private static boolean served(KubernetesClient client) {
        var resources = client.getApiResources(API_VERSION);
        return resources != null && resources.getResources().stream().anyMatch(r -> "rollouts".equals(r.getName()));
    }

    /** The Rollout as a resource to patch (through the object in hand: no GET first). */
    static Resource<GenericKubernetesResource> resource(KubernetesClient client, HasMetadata rollout) {
        return client.genericKubernetesResources(CONTEXT).inNamespace(rollout.getMetadata().getNamespace())
                .resource(PatchTargets.of((GenericKubernetesResource) rollout));
    }

    /** spec.replicas (1 when unset, as Argo Rollouts defaults it). */
    static int replicas(HasMetadata rollout) {
        Object replicas = ((GenericKubernetesResource) rollout).get("spec", "replicas");
        return replicas instanceof Number n ? n.intValue() : 1;
    }
}
