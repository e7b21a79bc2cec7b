package dev.triggers.operator.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerGrant;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.SourceFactories;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** examples/cross-namespace-grant.yaml as the embedded mode loads it: granted, it fires into demo; ungranted, it says how to grant. */
class GrantExampleTest {
    MockCluster cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = EmbeddedMain.load(MockCluster.start());
        OperatorConfig config = MockCluster.testConfig();
        var metrics = new SimpleMeterRegistry();
        cluster.startOperator(config, Clock.systemUTC(), metrics, SourceFactories.all(cluster.client(), config, Clock.systemUTC(), metrics));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void theGrantedTriggerRestartsWebInDemoUntilTheGrantIsDeleted() {
        await().untilAsserted(() -> assertThat(status().getStatus()).as("%s", status().getErrorMessage()).isEqualTo(TriggerStatus.READY));
        requestFire("release-42");
        await().untilAsserted(() -> assertThat(cluster.getDeployment(EmbeddedMain.NAMESPACE, "web").getSpec().getTemplate().getMetadata()
                .getAnnotations()).containsEntry(RedeployAction.EVENT_ID, "release-42").containsEntry(RedeployAction.FIRED_BY, "ci.restart-demo-web"));

        cluster.client().resources(TriggerGrant.class).inNamespace(EmbeddedMain.NAMESPACE).withName("from-ci").delete();
        await().untilAsserted(() -> {
            assertThat(status().getStatus()).isEqualTo(TriggerStatus.ERROR);
            assertThat(status().getErrorMessage()).contains("no TriggerGrant in 'demo' lets Triggers of 'ci' Redeploy there")
                    .contains("kind: TriggerGrant");
        });
        requestFire("release-43");
        assertThat(cluster.getDeployment(EmbeddedMain.NAMESPACE, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_ID, "release-42");
    }

    @Test
    void aGrantLimitedToWebDoesNotCoverAnotherDeployment() {
        await().untilAsserted(() -> assertThat(status().getStatus()).isEqualTo(TriggerStatus.READY));
        cluster.deployment(EmbeddedMain.NAMESPACE, "api");
        cluster.client().resources(Trigger.class).inNamespace("ci").withName("restart-demo-web")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"target\":{\"name\":\"api\"}}}");
        await().untilAsserted(() -> {
            assertThat(status().getStatus()).isEqualTo(TriggerStatus.ERROR);
            assertThat(status().getErrorMessage()).contains("Deployment demo/api is not covered by any TriggerGrant for namespace 'ci'");
        });
    }

    private void requestFire(String value) {
        cluster.client().resources(Trigger.class).inNamespace("ci").withName("restart-demo-web")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"triggers.dev/fire-request\":\"" + value + "\"}}}");
    }

    private TriggerStatus status() {
        Trigger t = cluster.trigger("ci", "restart-demo-web");
        return t == null || t.getStatus() == null ? new TriggerStatus() : t.getStatus();
    }
}
