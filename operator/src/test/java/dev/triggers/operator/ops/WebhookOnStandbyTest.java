package dev.triggers.operator.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.webhook.WebhookSettings;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
import dev.triggers.operator.source.webhook.WebhookTokens;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two real operator replicas under leader election, each with its webhook server: the standby, which never
 * reconciles and reads no Secret, checks a token against the status digests its own Trigger informer (JOSDK's)
 * holds, and hands the accepted event to the leader.
 */
class WebhookOnStandbyTest {
    static final String NS = "shop";
    MockCluster cluster;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.namespace(LeaderElectionTest.OPERATOR_NS);
        LeaderElectionTest.allowLeases(cluster);
        cluster.deployment(NS, "web");
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    record Replica(TriggerOperator operator, WebhookSourceFactory webhook) {}

    Replica replica(OperatorConfig config) {
        var metrics = new SimpleMeterRegistry();
        WebhookSourceFactory webhook = WebhookSourceFactory.open(cluster.client(), config,
                WebhookSettings.defaults().with(s -> s.bindAddress = "127.0.0.1"), Clock.systemUTC(), metrics);
        return new Replica(cluster.startOperator(config.with(c -> c.webhookBaseUrl = "http://hooks.example.com"), Clock.systemUTC(), metrics,
                List.of(webhook)), webhook);
    }

    @Test
    void aStandbyChecksTheTokenFromItsTriggerInformerAndHandsTheEventToTheLeader() throws Exception {
        OperatorConfig config = MockCluster.testConfig().with(c -> { c.leaderElection = true; c.leaseNamespace = LeaderElectionTest.OPERATOR_NS; });
        Replica a = replica(config);
        Replica b = replica(config);
        await().atMost(LeaderElectionTest.TIMEOUT).until(() -> a.operator().isLeader() || b.operator().isLeader());
        Replica standby = a.operator().isLeader() ? b : a;
        assertThat(standby.operator().isLeader()).isFalse();

        cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        String token = await().atMost(LeaderElectionTest.TIMEOUT).until(() -> {
            var s = cluster.client().secrets().inNamespace(NS).withName(WebhookTokens.secretName("deploy-web")).get();
            return s == null ? null : new String(java.util.Base64.getDecoder().decode(s.getData().get(WebhookTokens.KEY_TOKEN)));
        }, t -> t != null);
        await().atMost(LeaderElectionTest.TIMEOUT).until(() -> standby.webhook().tokens().verify(NS, "deploy-web", token).isPresent());

        HttpResponse<String> wrong = post(standby, WebhookTokens.newToken());
        assertThat(wrong.statusCode()).isEqualTo(404);
        HttpResponse<String> accepted = post(standby, token);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = accepted.body().replaceAll("^\\{\"eventId\":\"([^\"]+)\"}$", "$1");
        await().atMost(LeaderElectionTest.TIMEOUT).untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate()
                .getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, id));
        // The fire record is written after the patch (off the fire path): wait for it rather than race it.
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "deploy-web").getStatus().getLastFireRequest()).isEqualTo(id));
    }

    @Test
    void anIdempotencyKeyAnswersTheSameEventIdOnEveryReplicaAndARetryOnTheStandbyRestartsNothingMore() throws Exception {
        OperatorConfig config = MockCluster.testConfig().with(c -> { c.leaderElection = true; c.leaseNamespace = LeaderElectionTest.OPERATOR_NS; });
        Replica a = replica(config);
        Replica b = replica(config);
        await().atMost(LeaderElectionTest.TIMEOUT).until(() -> a.operator().isLeader() || b.operator().isLeader());
        Replica leader = a.operator().isLeader() ? a : b;
        Replica standby = leader == a ? b : a;

        cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        String token = await().atMost(LeaderElectionTest.TIMEOUT).until(() -> {
            var s = cluster.client().secrets().inNamespace(NS).withName(WebhookTokens.secretName("deploy-web")).get();
            return s == null ? null : new String(java.util.Base64.getDecoder().decode(s.getData().get(WebhookTokens.KEY_TOKEN)));
        }, t -> t != null);
        await().atMost(LeaderElectionTest.TIMEOUT).until(() -> standby.webhook().tokens().verify(NS, "deploy-web", token).isPresent()
                && leader.webhook().tokens().verify(NS, "deploy-web", token).isPresent());

        HttpResponse<String> first = post(leader, token, "pipeline-4711");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        String id = first.body().replaceAll("^\\{\"eventId\":\"([^\"]+)\"}$", "$1");
        await().atMost(LeaderElectionTest.TIMEOUT).untilAsserted(() -> assertThat(template()).containsEntry(RedeployAction.EVENT_ID, id));
        String restartedAt = template().get(RedeployAction.RESTARTED_AT);

        // The caller's retry lands on the other replica: the same answer, handed to the leader, and no second restart.
        HttpResponse<String> retry = post(standby, token, "pipeline-4711");
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(202);
        assertThat(retry.body()).isEqualTo(first.body());
        await().atMost(LeaderElectionTest.TIMEOUT).untilAsserted(() -> assertThat(cluster.trigger(NS, "deploy-web").getStatus().getLastFireRequest()).isEqualTo(id));
        assertThat(template()).containsEntry(RedeployAction.EVENT_ID, id).containsEntry(RedeployAction.RESTARTED_AT, restartedAt);

        // Another key is another event, on either replica.
        HttpResponse<String> other = post(standby, token, "pipeline-4712");
        assertThat(other.statusCode()).isEqualTo(202);
        assertThat(other.body()).isNotEqualTo(first.body());
    }

    Map<String, String> template() {
        return cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations();
    }

    HttpResponse<String> post(Replica replica, String token) throws Exception {
        return post(replica, token, null);
    }

    HttpResponse<String> post(Replica replica, String token, String idempotencyKey) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.webhook().port() + "/hooks/" + NS + "/deploy-web"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (idempotencyKey != null) request.header("Idempotency-Key", idempotencyKey);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
