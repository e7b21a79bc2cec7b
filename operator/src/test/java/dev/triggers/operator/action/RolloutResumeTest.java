package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.RolloutFollowing;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import dev.triggers.operator.testing.WorkloadControllers;
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
 * A new leader (or a restarted operator) follows again the rollouts its predecessor left Progressing on the status. The
 * mock runs no Deployment controller: the test writes the Deployment's status as the controller would.
 */
class RolloutResumeTest {
    static final String NS = "shop";
    MockCluster cluster;
    WorkloadControllers controllers;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        controllers = new WorkloadControllers(cluster.client());
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** What the earlier leader left: the Deployment restarted for {@code templateEvent}, the status Progressing for e1. */
    void leftByTheEarlierLeader(String templateEvent) {
        cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        new RedeployAction(cluster.client()).apply(cluster.getDeployment(NS, "web"), t,
                new TriggerEvent(TriggerEvent.WEBHOOK, templateEvent, Instant.now()));
        String startedAt = Instant.now().minusSeconds(20).toString();
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"status\":\"Ready\",\"lastRollout\":{\"eventId\":\"e1\",\"startedAt\":\""
                        + startedAt + "\",\"state\":\"Progressing\",\"reason\":\"rollout started\"}}}");
    }

    void startOperator() {
        cluster.startOperator(MockCluster.testConfig().with(c -> c.rollouts = new RolloutFollowing(true, 200, 5000)), Clock.systemUTC(),
                List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    RolloutStatus rollout() {
        return cluster.trigger(NS, "restart-web").getStatus().getLastRollout();
    }

    @Test
    void aRolloutLeftProgressingIsFollowedToItsEnd() {
        leftByTheEarlierLeader("e1");
        controllers.deploymentRolling(NS, "web", 1);
        startOperator();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(rollout().getState()).isEqualTo(RolloutStatus.PROGRESSING));

        controllers.deploymentComplete(NS, "web");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(rollout().getState()).isEqualTo(RolloutStatus.COMPLETE));
        assertThat(rollout().getEventId()).isEqualTo("e1");
        assertThat(Duration.between(Instant.parse(rollout().getStartedAt()), Instant.parse(rollout().getEndedAt())))
                .as("timed from the rollout's start, not the takeover").isGreaterThanOrEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void aRolloutWhoseWorkloadWasRestartedAgainMeanwhileIsSuperseded() {
        leftByTheEarlierLeader("someone-else");
        startOperator();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(rollout().getState()).isEqualTo(RolloutStatus.SUPERSEDED));
        assertThat(rollout().getReason()).contains("someone-else");
    }
}
