package dev.triggers.operator.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two replicas on one API: only the Lease holder fires; when it stops, the standby takes over and fires. */
class LeaderElectionTest {
    static final String NS = "shop";
    /** Generous: the API and informers are real, and CI machines can be busy. Passing runs never wait for it. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String OPERATOR_NS = "trigger-system";
    MockCluster cluster;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.namespace(OPERATOR_NS);
        allowLeases(cluster);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /**
     * Before it campaigns, JOSDK POSTs a SelfSubjectRulesReview and requires create, update and get on
     * leases in its answer. The CRUD mock rejects that review (422 "metadata is required": JOSDK sends it
     * without metadata, which a real API server accepts) and could not compute its status anyway, so
     * Operator.start() fails. Tests answer it as an API server would for the chart's leader-election Role.
     */
    static void allowLeases(MockCluster cluster) {
        cluster.server().expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, Map.of("apiVersion", "authorization.k8s.io/v1", "kind", "SelfSubjectRulesReview",
                        "spec", Map.of("namespace", OPERATOR_NS),
                        "status", Map.of("incomplete", false, "nonResourceRules", List.of(), "resourceRules", List.of(
                                Map.of("apiGroups", List.of("coordination.k8s.io"), "resources", List.of("leases"), "verbs", List.of("create")),
                                Map.of("apiGroups", List.of("coordination.k8s.io"), "resources", List.of("leases"),
                                        "resourceNames", List.of(OperatorConfig.LEASE_NAME), "verbs", List.of("get", "update", "patch"))))))
                .always();
    }

    @Test
    void onlyTheLeaderFiresAndTheStandbyTakesOverWhenItStops() {
        OperatorConfig config = MockCluster.testConfig().with(c -> { c.leaderElection = true; c.leaseNamespace = OPERATOR_NS; c.exitOnLostLeadership = false; });
        SimpleMeterRegistry metricsA = new SimpleMeterRegistry();
        SimpleMeterRegistry metricsB = new SimpleMeterRegistry();
        TriggerOperator a = cluster.startOperator(config, Clock.systemUTC(), metricsA, List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
        TriggerOperator b = cluster.startOperator(config, Clock.systemUTC(), metricsB, List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
        await().atMost(TIMEOUT).until(() -> a.isLeader() || b.isLeader());
        TriggerOperator leader = a.isLeader() ? a : b;
        TriggerOperator standby = leader == a ? b : a;
        MeterRegistry leaderMetrics = leader == a ? metricsA : metricsB;
        MeterRegistry standbyMetrics = leader == a ? metricsB : metricsA;
        assertThat(standby.isLeader()).isFalse();
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(leader.identity());
        assertThat(standby.isReady()).as("a standby is ready: its informers are synced").isTrue();

        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        requestFire("first");
        // The counter moves before the status is patched: wait for both.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(fires(leaderMetrics)).isEqualTo(1.0);
            assertThat(lastFireRequest()).isEqualTo("first");
        });
        assertThat(fires(standbyMetrics)).isZero();
        assertThat(gauge(leaderMetrics)).isEqualTo(1.0);
        assertThat(gauge(standbyMetrics)).isZero();

        leader.close();
        // Given back (no holder), unless the standby's retry already took it in between.
        assertThat(lease().getSpec().getHolderIdentity()).as("the stopped leader gave the Lease back")
                .isIn(null, standby.identity());

        await().atMost(TIMEOUT).until(standby::isLeader);
        requestFire("second");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(fires(standbyMetrics)).isEqualTo(1.0);
            assertThat(lastFireRequest()).isEqualTo("second");
        });
        assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("triggers.dev/event-id", "second");
        assertThat(fires(leaderMetrics)).as("the old leader fired nothing more").isEqualTo(1.0);
    }

    void requestFire(String value) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + Trigger.ANNOTATION_FIRE_REQUEST + "\":\"" + value + "\"}}}");
    }

    String lastFireRequest() {
        Trigger trigger = cluster.trigger(NS, "restart-web");
        return trigger.getStatus() == null ? null : trigger.getStatus().getLastFireRequest();
    }

    Lease lease() {
        return cluster.client().leases().inNamespace(OPERATOR_NS).withName(OperatorConfig.LEASE_NAME).get();
    }

    static double fires(MeterRegistry metrics) {
        return metrics.find("trigger_fires_total").counters().stream().mapToDouble(Counter::count).sum();
    }

    static double gauge(MeterRegistry metrics) {
        return metrics.get("trigger_operator_leader").gauge().value();
    }
}
