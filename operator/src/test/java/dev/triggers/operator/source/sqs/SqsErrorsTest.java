package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Problems with the queue are data on the status, and the source recovers by itself when they go away. */
class SqsErrorsTest {
    static final String NS = "shop";
    ElasticMq elasticMq;
    MockCluster cluster;
    SqsSourceFactory sqs;

    @BeforeEach
    void start() {
        elasticMq = ElasticMq.start();
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        SqsTriggers.credentialsSecret(cluster, NS);
        sqs = new SqsSourceFactory(SqsSettings.defaults().with(s -> { s.initialBackoff = Duration.ofMillis(200); s.maxBackoff = Duration.ofSeconds(1); }), new SimpleMeterRegistry());
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(sqs));
    }

    @AfterEach
    void stop() {
        cluster.close();
        elasticMq.close();
    }

    @Test
    void aWrongQueueUrlIsAnErrorWithTheAwsCodeUntilTheQueueExists() {
        String missing = elasticMq.endpoint() + "/000000000000/no-such-queue";
        cluster.create(SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", missing, elasticMq.endpoint()));

        Condition source = awaitSourceNotReady("deploy-on-message", "QueueNotFound");
        assertThat(source.getMessage()).contains(missing).containsPattern("AWS error (QueueDoesNotExist|AWS.SimpleQueueService.NonExistentQueue)")
                .contains("check spec.source.sqs.queueUrl");
        assertThat(cluster.trigger(NS, "deploy-on-message").getStatus().getErrorMessage()).contains("does not exist");

        elasticMq.createQueue("no-such-queue", 30);
        awaitStatus("deploy-on-message", TriggerStatus.READY);
    }

    @Test
    void aMissingSecretIsAnErrorUntilItIsCreated() {
        Trigger trigger = SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", elasticMq.createQueue("q", 30), elasticMq.endpoint());
        trigger.getSpec().getSource().getSqs().setCredentialsSecretRef(new SecretRef("team-aws"));
        cluster.create(trigger);

        Condition source = awaitSourceNotReady("deploy-on-message", "CredentialsSecretNotFound");
        assertThat(source.getMessage()).contains("Secret 'team-aws'").contains("namespace '" + NS + "'").contains("accessKeyId");

        // Complete, but not opted in: the operator does not read it.
        secret("team-aws", Map.of("accessKeyId", "AKIDTEAM", "secretAccessKey", "s3cr3t-value"), Map.of());
        source = awaitSourceNotReady("deploy-on-message", "CredentialsSecretNotOptedIn");
        assertThat(source.getMessage()).isEqualTo(CredentialsSecrets.notOptedInMessage("spec.source.sqs.credentialsSecretRef", NS, "team-aws"))
                .contains("kubectl label secret -n shop team-aws triggers.dev/credentials=true").doesNotContain("AKIDTEAM");
        assertThat(cluster.trigger(NS, "deploy-on-message").getStatus().getErrorMessage()).contains("does not carry the label triggers.dev/credentials=true");

        secret("team-aws", Map.of("accessKeyId", "AKIDTEAM"));
        source = awaitSourceNotReady("deploy-on-message", "CredentialsSecretIncomplete");
        assertThat(source.getMessage()).contains("secretAccessKey").doesNotContain("AKIDTEAM");

        secret("team-aws", Map.of("accessKeyId", "AKIDTEAM", "secretAccessKey", "s3cr3t-value"));
        awaitStatus("deploy-on-message", TriggerStatus.READY);
        assertThat(cluster.client().getKubernetesSerialization().asJson(cluster.trigger(NS, "deploy-on-message").getStatus()))
                .doesNotContain("s3cr3t-value").doesNotContain("AKIDTEAM");
    }

    @Test
    void anEndpointThatIsDownIsAnError() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + closedPort;
        cluster.create(SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", endpoint + "/000000000000/q", endpoint));

        Condition source = awaitSourceNotReady("deploy-on-message", "EndpointUnreachable");
        assertThat(source.getMessage()).contains(endpoint).contains("ConnectException");
        assertThat(cluster.trigger(NS, "deploy-on-message").getStatus().getErrorMessage()).contains("cannot reach SQS endpoint");
    }

    @Test
    void elasticMqRestartedOnTheSamePortMakesTheTriggerReadyAgainByItself() {
        String queueUrl = elasticMq.createQueue("deploys", 30);
        cluster.create(SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", queueUrl, elasticMq.endpoint()));
        awaitStatus("deploy-on-message", TriggerStatus.READY);

        elasticMq.stop();
        awaitSourceNotReady("deploy-on-message", "EndpointUnreachable");

        elasticMq.restart();
        elasticMq.createQueue("deploys", 30); // ElasticMQ keeps queues in memory only
        awaitStatus("deploy-on-message", TriggerStatus.READY);

        String messageId = elasticMq.send(queueUrl, "after the outage");
        await().untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_ID, messageId));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
    }

    void secret(String name, Map<String, String> data) {
        secret(name, data, Map.of(CredentialsSecrets.LABEL, "true"));
    }

    void secret(String name, Map<String, String> data, Map<String, String> labels) {
        // Replaced whole (data and labels), as kubectl apply of a new manifest would.
        cluster.client().secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(NS).withLabels(labels).endMetadata()
                .withStringData(data).build()).createOr(op -> op.update());
    }

    Condition awaitSourceNotReady(String name, String reason) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TriggerStatus s = cluster.trigger(NS, name).getStatus();
            assertThat(s).isNotNull();
            assertThat(s.getStatus()).isEqualTo(TriggerStatus.ERROR);
            assertThat(sourceReady(s)).extracting(Condition::getStatus, Condition::getReason).containsExactly("False", reason);
        });
        return sourceReady(cluster.trigger(NS, name).getStatus());
    }

    /** The newest SourceReady: the mock's JSON merge patch appends to lists where an API server replaces them. */
    static Condition sourceReady(TriggerStatus status) {
        return status.getConditions().stream().filter(c -> "SourceReady".equals(c.getType())).reduce((a, b) -> b).orElseThrow();
    }

    void awaitStatus(String name, String status) {
        cluster.awaitStatus(NS, name, status);
    }
}
