package dev.triggers.operator.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A patch target keeps what fabric8 builds the request from (type, apiVersion, kind, name, namespace), and nothing else. */
class PatchTargetsTest {
    @Test
    void aTypedWorkloadKeepsItsTypeNameAndNamespaceOnly() {
        Deployment full = new DeploymentBuilder().withNewMetadata().withName("web").withNamespace("team-a").withResourceVersion("7")
                .addToAnnotations("a", "b").withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").build()).endMetadata()
                .withNewSpec().withReplicas(3).endSpec().build();
        Deployment target = PatchTargets.of(full);
        assertThat(target).isNotSameAs(full);
        assertThat(target.getApiVersion()).isEqualTo("apps/v1");
        assertThat(target.getKind()).isEqualTo("Deployment");
        assertThat(target.getMetadata().getName()).isEqualTo("web");
        assertThat(target.getMetadata().getNamespace()).isEqualTo("team-a");
        assertThat(target.getMetadata().getManagedFields()).isEmpty();
        assertThat(target.getMetadata().getResourceVersion()).isNull();
        assertThat(target.getSpec()).isNull();
    }

    @Test
    void aTriggerAndAGenericResourceKeepTheirKind() {
        Trigger trigger = Triggers.redeploy("team-a", "deploy-web", "web");
        Trigger target = PatchTargets.of(trigger);
        assertThat(target.getKind()).isEqualTo("Trigger");
        assertThat(target.getApiVersion()).isEqualTo(trigger.getApiVersion());
        assertThat(target.getMetadata().getName()).isEqualTo("deploy-web");
        assertThat(target.getSpec()).isNull();

        GenericKubernetesResource rollout = new GenericKubernetesResourceBuilder().withApiVersion("argoproj.io/v1alpha1").withKind("Rollout")
                .withNewMetadata().withName("web").withNamespace("team-a").endMetadata().withAdditionalProperties(Map.of("spec", Map.of("replicas", 2)))
                .build();
        GenericKubernetesResource generic = PatchTargets.of(rollout);
        assertThat(generic.getApiVersion()).isEqualTo("argoproj.io/v1alpha1");
        assertThat(generic.getKind()).isEqualTo("Rollout");
        assertThat(generic.getMetadata().getNamespace()).isEqualTo("team-a");
        assertThat(generic.getAdditionalProperties()).isEmpty();
    }
}
