package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.ScaleRevert;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A temporary scale-up through the whole operator, across a restart: the first operator fires and stops before the
 * revert is due; a second one, which never saw the fire, reverts on time from what the status holds. Real time (a
 * few seconds): JOSDK and the operator's own timers run here, not virtual time.
 */
class ScaleRevertRestartTest {
    static final String NS = "shop";
    MockCluster cluster;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    TriggerOperator operator() {
        return cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    @Test
    void anOperatorRestartInTheMiddleStillRevertsOnTime() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = Triggers.scaleUp(NS, "burst-worker", "worker", 2, 10);
        trigger.getSpec().getAction().getScaleUp().setRevertAfterSeconds(10);
        cluster.create(trigger);
        TriggerOperator first = operator();
        awaitStatus("burst-worker", TriggerStatus.READY);

        requestFire("burst-worker", "1");
        await().untilAsserted(() -> assertThat(replicas()).isEqualTo(4));
        ScaleRevert held = cluster.trigger(NS, "burst-worker").getStatus().getScaleReverts().get("Deployment/worker");
        assertThat(held.getFrom()).isEqualTo(2);
        assertThat(held.getTo()).isEqualTo(4);
        Instant revertAt = Instant.parse(held.getRevertAt());
        first.close();
        assertThat(Instant.now()).as("stopped before the revert was due").isBefore(revertAt);
        assertThat(replicas()).isEqualTo(4);

        operator();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(replicas()).isEqualTo(2));
        assertThat(Instant.now()).as("not before its time").isAfterOrEqualTo(revertAt);
        // On time: the new operator's timer, not a late sweep (slack for two shared cores starting an operator).
        assertThat(Instant.now()).as("on time").isBefore(revertAt.plusSeconds(10));
        await().untilAsserted(() -> {
            TriggerStatus status = cluster.trigger(NS, "burst-worker").getStatus();
            assertThat(status.getScaleReverts()).isNullOrEmpty();
            assertThat(status.getLastRevert()).contains("reverted Deployment shop/worker spec.replicas from 4 to 2");
        });
    }

    @Test
    void theStatusSaysWhenTheHpasMinReplicasWasRaisedInsteadOfReplicas() {
        cluster.deployment(NS, "web", 3, Map.of());
        cluster.client().autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).resource(new HorizontalPodAutoscalerBuilder()
                .withNewMetadata().withName("web").withNamespace(NS).endMetadata()
                .withNewSpec().withNewScaleTargetRef().withApiVersion("apps/v1").withKind("Deployment").withName("web").endScaleTargetRef()
                .withMinReplicas(2).withMaxReplicas(10).endSpec().build()).create();
        cluster.create(Triggers.scaleUp(NS, "burst-web", "web", 2, 8));
        operator();
        awaitStatus("burst-web", TriggerStatus.READY);

        requestFire("burst-web", "1");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "burst-web").getStatus().getLastFireResult())
                .startsWith("raised HorizontalPodAutoscaler shop/web minReplicas from 2 to 5"));
        assertThat(cluster.getDeployment(NS, "web").getSpec().getReplicas()).isEqualTo(3);
    }

    int replicas() {
        return cluster.getDeployment(NS, "worker").getSpec().getReplicas();
    }

    void requestFire(String name, String value) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + Trigger.ANNOTATION_FIRE_REQUEST + "\":\"" + value + "\"}}}");
    }

    void awaitStatus(String name, String status) {
        cluster.awaitStatus(NS, name, status);
    }
}
