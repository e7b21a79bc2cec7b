package dev.triggers.operator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark's mock gives created objects managedFields as a real API server's, and keeps them through patches. */
class RealShapedObjectsTest {

    @Test
    void createdObjectsCarryManagedFieldsOfRealisticSizeThatPatchesKeep() {
        try (MockCluster cluster = MockCluster.start(0, RealShapedObjects::onRequest)) {
            var client = cluster.client();
            cluster.namespace("shop");
            BenchFixtures.deployment(client, "shop", "web");
            client.resource(BenchFixtures.webhookTrigger("shop", "hook", "web", 0)).create();
            client.resource(BenchFixtures.cronTrigger("shop", "nightly", "web", "0 3 * * *")).create();
            client.secrets().inNamespace("shop").resource(new SecretBuilder().withNewMetadata().withName("hook-webhook").addToLabels("a", "b")
                    .endMetadata().withStringData(Map.of("token", "t", "url", "u")).build()).create();

            List<ManagedFieldsEntry> trigger = cluster.trigger("shop", "hook").getMetadata().getManagedFields();
            assertThat(trigger).extracting(ManagedFieldsEntry::getManager)
                    .containsExactly("kubectl-client-side-apply", "fabric8-kubernetes-client", "fabric8-kubernetes-client");
            assertThat(trigger).extracting(ManagedFieldsEntry::getSubresource).containsExactly(null, null, "status");
            String spec = json(client, trigger.get(0));
            assertThat(spec).contains("\"f:spec\"", "\"f:target\"", "\"f:source\"").doesNotContain("f:status", "f:name\":{},\"f:namespace");
            String status = json(client, trigger.get(2));
            assertThat(status).contains("k:{\\\"type\\\":\\\"SourceReady\\\"}", "\"f:webhookSecretName\"", "\"f:lastTransitionTime\"");
            assertThat(status.length()).isBetween(600, 2000);
            assertThat(json(client, cluster.trigger("shop", "nightly").getMetadata().getManagedFields().get(2)))
                    .contains("\"f:nextFireAt\"").doesNotContain("webhookSecretName");

            List<ManagedFieldsEntry> deployment = cluster.getDeployment("shop", "web").getMetadata().getManagedFields();
            assertThat(deployment).extracting(ManagedFieldsEntry::getManager)
                    .containsExactly("kubectl-client-side-apply", "kube-controller-manager", "kube-controller-manager");
            assertThat(json(client, deployment.get(0))).contains("k:{\\\"name\\\":\\\"app\\\"}", "\"f:image\"");

            var secret = client.secrets().inNamespace("shop").withName("hook-webhook").get().getMetadata().getManagedFields();
            assertThat(secret).extracting(ManagedFieldsEntry::getManager).containsExactly("fabric8-kubernetes-client");
            assertThat(json(client, secret.get(0))).contains("\"f:labels\"", "\"f:stringData\"");

            // The operator's writes (merge patches of labels and status, a JSON patch of status) keep them.
            Trigger t = cluster.trigger("shop", "hook");
            client.resource(t).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"triggers.dev/target\":\"web\"}}}");
            t = cluster.trigger("shop", "hook");
            TriggerStatus s = new TriggerStatus();
            s.setStatus("Ready");
            t.setStatus(s);
            client.resource(t).patchStatus();
            client.resources(Trigger.class).inNamespace("shop").withName("hook").subresource("status")
                    .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"add\",\"path\":\"/status/fireCount\",\"value\":1}]");
            Trigger after = cluster.trigger("shop", "hook");
            assertThat(after.getStatus().getFireCount()).isEqualTo(1L);
            assertThat(after.getMetadata().getManagedFields()).hasSize(3);
        }
    }

    @Test
    void managerIsTheUserAgentsProduct() {
        assertThat(RealShapedObjects.manager("fabric8-kubernetes-client/7.5.2")).isEqualTo("fabric8-kubernetes-client");
        assertThat(RealShapedObjects.manager("kubectl/v1.31.0 (linux/amd64) kubernetes/abc")).isEqualTo("kubectl");
        assertThat(RealShapedObjects.manager(null)).isEqualTo("unknown");
    }

    private static String json(io.fabric8.kubernetes.client.KubernetesClient client, ManagedFieldsEntry entry) {
        return client.getKubernetesSerialization().asJson(entry.getFieldsV1());
    }
}
