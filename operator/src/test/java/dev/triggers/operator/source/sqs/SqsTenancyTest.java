package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster admin's tenancy policy applied to SQS Triggers: the operator's own AWS identity only in
 * listed namespaces, endpoints only on AWS or allowed hosts, and never on loopback, link-local or
 * Service addresses unless allowed. Refusals are Errors on the Trigger; other Triggers keep working.
 */
class SqsTenancyTest {
    static final String NS = "shop";
    ElasticMq elasticMq;
    SigningRecorder recorder;
    MockCluster cluster;
    String queueUrl;

    @BeforeEach
    void start() throws Exception {
        elasticMq = ElasticMq.start();
        recorder = new SigningRecorder(elasticMq.endpoint());
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        SqsTriggers.credentialsSecret(cluster, NS);
        queueUrl = elasticMq.createQueue("deploys", 30);
    }

    @AfterEach
    void stop() {
        cluster.close();
        recorder.close();
        elasticMq.close();
    }

    void startOperator(Map<String, String> env) {
        SqsSourceFactory sqs = new SqsSourceFactory(SqsSettings.defaults().with(s -> { s.initialBackoff = Duration.ofMillis(200); s.maxBackoff = Duration.ofSeconds(1); }), new SimpleMeterRegistry());
        cluster.startOperator(MockCluster.testConfig().with(c -> c.tenancy = TenantPolicy.fromEnv(env::get)), Clock.systemUTC(), List.of(sqs));
    }

    /** Loopback endpoints allowed (ElasticMQ), nothing else granted unless added. */
    static Map<String, String> loopbackAllowed(String awsIdentityNamespaces) {
        return Map.of(TenantPolicy.ENV_SQS_ALLOWED_ENDPOINTS, "127.0.0.1", TenantPolicy.ENV_ALLOWED_NETWORKS, "127.0.0.1/32",
                TenantPolicy.ENV_AWS_IDENTITY_NAMESPACES, awsIdentityNamespaces);
    }

    @Test
    void anUnlistedNamespaceMayNotUseTheOperatorsIdentity() {
        startOperator(loopbackAllowed("ops"));
        cluster.create(withoutSecret(trigger("no-credentials", recorder.endpoint())));
        cluster.create(trigger("own-credentials", elasticMq.endpoint()));

        Condition source = SqsAwait.sourceNotReady(cluster, NS, "no-credentials", "OperatorIdentityNotAllowed");
        assertThat(source.getMessage()).contains("namespace 'shop' may not use the operator's own AWS identity")
                .contains("credentialsSecretRef").contains("triggers.dev/credentials=true").contains("roleArn").contains("serviceAccountName")
                .contains("AWS_IDENTITY_NAMESPACES").contains("tenancy.awsIdentityNamespaces");
        assertThat(recorder.calls()).as("not one SQS call with the operator's identity").isEmpty();
        // The Trigger with its own credentials, same namespace and operator, is not affected.
        SqsAwait.status(cluster, NS, "own-credentials", TriggerStatus.READY);
    }

    @Test
    void aListedNamespaceUsesTheOperatorsIdentity() {
        // The operator's default chain: system properties come first in it.
        System.setProperty("aws.accessKeyId", "AKIAOPERATORIDENTITY");
        System.setProperty("aws.secretAccessKey", "operator-secret");
        try {
            startOperator(loopbackAllowed("ops,shop"));
            cluster.create(withoutSecret(trigger("no-credentials", recorder.endpoint())));
            SqsAwait.status(cluster, NS, "no-credentials", TriggerStatus.READY);

            String messageId = elasticMq.send(queueUrl, "deploy");
            await().untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                    .containsEntry(RedeployAction.EVENT_ID, messageId));
            await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
            assertThat(recorder.calls()).isNotEmpty().allSatisfy(c -> assertThat(c.accessKeyId()).isEqualTo("AKIAOPERATORIDENTITY"));
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void theClosedPolicyRefusesEndpointsThatAreNotAws() {
        startOperator(Map.of());
        String sent = elasticMq.send(queueUrl, "must stay");
        cluster.create(trigger("loopback", elasticMq.endpoint()));
        cluster.create(trigger("metadata", "http://169.254.169.254"));
        cluster.create(trigger("service", "http://10.96.0.1:9324"));

        for (String name : List.of("loopback", "metadata", "service")) {
            Condition source = SqsAwait.sourceNotReady(cluster, NS, name, "EndpointNotAllowed");
            assertThat(source.getMessage()).contains("spec.source.sqs.endpoint host").contains("is not an AWS SQS endpoint")
                    .contains("SQS_ALLOWED_ENDPOINTS").contains("tenancy.sqsAllowedEndpoints");
        }
        assertThat(elasticMq.messagesLeft(queueUrl)).isEqualTo(1);
        assertThat(elasticMq.messagesInFlight(queueUrl)).as("message %s never received", sent).isZero();
    }

    @Test
    void anAllowedHostIsStillRefusedOnPrivateAddresses() {
        startOperator(Map.of(TenantPolicy.ENV_SQS_ALLOWED_ENDPOINTS, "127.0.0.1,localhost,169.254.169.254,10.96.0.1"));
        cluster.create(trigger("loopback", elasticMq.endpoint()));
        cluster.create(trigger("by-name", "http://localhost:" + elasticMq.port()));
        cluster.create(trigger("metadata", "http://169.254.169.254"));
        cluster.create(trigger("service", "http://10.96.0.1:9324"));

        assertThat(SqsAwait.sourceNotReady(cluster, NS, "loopback", "EndpointNotAllowed").getMessage())
                .contains("resolves to 127.0.0.1, a loopback address").contains("ALLOWED_PRIVATE_NETWORKS").contains("tenancy.allowedPrivateNetworks");
        // A name is judged by what it resolves to.
        assertThat(SqsAwait.sourceNotReady(cluster, NS, "by-name", "EndpointNotAllowed").getMessage())
                .contains("host 'localhost' resolves to").contains("loopback address");
        assertThat(SqsAwait.sourceNotReady(cluster, NS, "metadata", "EndpointNotAllowed").getMessage()).contains("169.254.169.254, a link-local address");
        assertThat(SqsAwait.sourceNotReady(cluster, NS, "service", "EndpointNotAllowed").getMessage()).contains("10.96.0.1, a cluster Service address");
        assertThat(elasticMq.messagesInFlight(queueUrl)).isZero();
    }

    @Test
    void anAllowedLoopbackEndpointWorks() {
        startOperator(loopbackAllowed(""));
        cluster.create(trigger("loopback", elasticMq.endpoint()));
        SqsAwait.status(cluster, NS, "loopback", TriggerStatus.READY);

        String messageId = elasticMq.send(queueUrl, "deploy");
        await().untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_ID, messageId));
    }

    Trigger trigger(String name, String endpoint) {
        return SqsTriggers.redeployOnQueue(NS, name, "web", queueUrl, endpoint);
    }

    static Trigger withoutSecret(Trigger t) {
        t.getSpec().getSource().getSqs().setCredentialsSecretRef(null);
        return t;
    }
}
