package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One fire, run synchronously against the mock API: the action is looked up by type, the guard is asked for the
 * Trigger and each workload, and what cannot be reached is a failure that says why.
 */
class ActionRunnerTest {
    static final String NS = "shop";
    MockCluster cluster;
    String refusal;
    String workloadRefusalFor;
    ActionRunner runner;
    final TriggerEvent event = new TriggerEvent(TriggerEvent.WEBHOOK, "e1", Instant.parse("2026-11-29T08:00:00Z"));

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        FireGuard guard = new FireGuard() {
            @Override
            public String refusal(Trigger trigger) {
                return refusal;
            }

            @Override
            public String workloadRefusal(Trigger trigger, HasMetadata workload) {
                return workload.getMetadata().getName().equals(workloadRefusalFor) ? "not granted: " + workload.getMetadata().getName() : null;
            }
        };
        runner = new ActionRunner(new TargetResolver(cluster.client()), guard,
                List.of(new RedeployAction(cluster.client()), new ScaleUpAction(cluster.client())));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    Map<String, String> template(String name) {
        return cluster.getDeployment(NS, name).getSpec().getTemplate().getMetadata().getAnnotations();
    }

    @Test
    void aRedeployPatchesThePodTemplateWithTheEventAndTheSameEventAgainChangesNothing() {
        cluster.deployment(NS, "web");
        Trigger t = Triggers.redeploy(NS, "restart-web", "web");
        FireResult first = runner.run(t, "shop/restart-web", event);
        assertThat(first.succeeded()).isTrue();
        assertThat(template("web")).containsEntry(RedeployAction.EVENT_ID, "e1").containsEntry(RedeployAction.FIRED_BY, "shop.restart-web")
                .containsEntry(RedeployAction.RESTARTED_AT, "2026-11-29T08:00:00Z");
        FireResult again = runner.run(t, "shop/restart-web", event);
        assertThat(again.workloads()).singleElement().extracting(WorkloadResult::outcome).isEqualTo(WorkloadResult.Outcome.ALREADY_APPLIED);
    }

    @Test
    void aScaleUpIsLookedUpByTheActionType() {
        cluster.deployment(NS, "web", 2, Map.of("app", "web"));
        FireResult result = runner.run(Triggers.scaleUp(NS, "grow-web", "web", 2, 3), "shop/grow-web", event);
        assertThat(result.summary()).isEqualTo("scaled Deployment shop/web from 2 to 3 replicas, now at maxReplicas");
        assertThat(cluster.getDeployment(NS, "web").getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void aRefusalAtTheMomentOfTheFirePatchesNothing() {
        cluster.deployment(NS, "web");
        refusal = "spec.suspend is true";
        FireResult result = runner.run(Triggers.redeploy(NS, "restart-web", "web"), "shop/restart-web", event);
        assertThat(result.refused()).isTrue();
        assertThat(template("web")).isNullOrEmpty();
        assertThat(runner.run(null, "shop/gone", event).summary()).isEqualTo("Trigger shop/gone no longer exists");
    }

    @Test
    void aWorkloadTheGuardRefusesFailsAloneAndTheOthersArePatched() {
        cluster.deployment(NS, "web", 1, Map.of("app.kubernetes.io/instance", "shop"));
        cluster.deployment(NS, "worker", 1, Map.of("app.kubernetes.io/instance", "shop"));
        workloadRefusalFor = "worker";
        FireResult result = runner.run(Triggers.application(NS, "restart-shop", "shop"), "shop/restart-shop", event);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.summary()).isEqualTo("1 of 2 workloads done; failed: not granted: worker");
        assertThat(template("web")).containsEntry(RedeployAction.EVENT_ID, "e1");
        assertThat(template("worker")).isNullOrEmpty();
    }

    @Test
    void aMissingTargetIsAFailureThatNamesIt() {
        FireResult result = runner.run(Triggers.redeploy(NS, "restart-web", "web"), "shop/restart-web", event);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.retryable()).isFalse();
        assertThat(result.summary()).contains("Deployment shop/web not found");
    }
}
