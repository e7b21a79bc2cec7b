package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two operators elect a leader through a Lease: only the leader polls the queue. */
class SqsLeaderTest {
    static final String NS = "shop";
    ElasticMq elasticMq;
    MockCluster cluster;

    @BeforeEach
    void start() {
        elasticMq = ElasticMq.start();
        cluster = MockCluster.start();
        cluster.namespace("default"); // where the Lease lives
        // JOSDK checks its Lease permissions with a SelfSubjectRulesReview, which the CRUD mock rejects (422): answer it.
        cluster.server().expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewMetadata().endMetadata().withNewStatus().withIncomplete(false)
                        .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("get", "list", "watch", "create", "update", "patch", "delete").endResourceRule()
                        .endStatus().build()).always();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        SqsTriggers.credentialsSecret(cluster, NS);
    }

    @AfterEach
    void stop() {
        cluster.close();
        elasticMq.close();
    }

    @Test
    void onlyTheLeaderReceives() {
        OperatorConfig config = MockCluster.testConfig().with(c -> { c.leaderElection = true; c.leaseNamespace = "default"; c.exitOnLostLeadership = false; });
        SqsSourceFactory first = factory();
        SqsSourceFactory second = factory();
        TriggerOperator a = cluster.startOperator(config, Clock.systemUTC(), List.of(first));
        TriggerOperator b = cluster.startOperator(config, Clock.systemUTC(), List.of(second));
        String queueUrl = elasticMq.createQueue("deploys", 30);
        cluster.create(SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", queueUrl, elasticMq.endpoint()));

        await().atMost(Duration.ofSeconds(60)).until(() -> first.activePollers() + second.activePollers() == 1);
        SqsSourceFactory leader = first.activePollers() == 1 ? first : second;
        SqsSourceFactory standby = leader == first ? second : first;
        TriggerOperator standbyOperator = leader == first ? b : a;

        List<String> sent = List.of(elasticMq.send(queueUrl, "one"), elasticMq.send(queueUrl, "two"), elasticMq.send(queueUrl, "three"));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
        assertThat(leader.receivedCount()).isEqualTo(3);
        assertThat(leader.deletedCount()).isEqualTo(3);
        assertThat(standby.receivedCount()).isZero();
        assertThat(standby.activePollers()).isZero();
        assertThat(standbyOperator.sources().runningCount()).isZero();
        assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations().get(RedeployAction.EVENT_ID))
                .isIn(sent);
    }

    SqsSourceFactory factory() {
        return new SqsSourceFactory(SqsSettings.defaults().with(s -> { s.initialBackoff = Duration.ofMillis(200); s.maxBackoff = Duration.ofSeconds(1); }), new SimpleMeterRegistry());
    }
}
