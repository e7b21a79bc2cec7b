package dev.triggers.operator.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.SourceFactories;
import dev.triggers.operator.testing.Manifests;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest in examples/ is loaded as the embedded mode loads it (the SQS and NATS examples pointed
 * at the ElasticMQ and nats-server it starts), with the operator's real sources, and is Ready.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one start and stop: stopping waits out the SQS example's 20 s long poll
class ExamplesTest {
    /** Every example Trigger: all Ready in the embedded mode (README's first command). */
    static final List<String> EXAMPLES = List.of("restart-web", "scale-worker", "restart-shop", "deploy-web", "deploy-web-on-main", "nightly-restart",
            "hourly-scaleup", "redeploy-on-sqs", "web-on-deploy", "web-on-release", "restart-web-in-window", "restart-web-after-freeze",
            "morning-reports", "web-flash-sale", "release-web", "nightly-web-notify");

    MockCluster cluster;
    LocalBackends backends;

    @BeforeAll
    void start() throws Exception {
        backends = LocalBackends.start();
        assertThat(backends.natsInstalled()).as("nats-server on the PATH (apt-get install -y nats-server)").isTrue();
        cluster = EmbeddedMain.load(MockCluster.start(), backends);
        OperatorConfig config = MockCluster.testConfig();
        var metrics = new SimpleMeterRegistry();
        cluster.startOperator(config, Clock.systemUTC(), metrics,
                SourceFactories.all(cluster.client(), config, Clock.systemUTC(), metrics));
    }

    @AfterAll
    void stop() {
        cluster.close();
        backends.close();
    }

    @Test
    void everyExampleIsReady() throws Exception {
        List<Trigger> triggers = cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).list().getItems();
        assertThat(triggers).extracting(t -> t.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(EXAMPLES);
        assertThat(Manifests.examples()).isNotEmpty();
        for (String name : EXAMPLES) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                TriggerStatus status = cluster.trigger(EmbeddedMain.NAMESPACE, name).getStatus();
                assertThat(status).as(name).isNotNull();
                assertThat(status.getStatus()).as("%s: %s", name, status.getErrorMessage()).isEqualTo("Ready");
            });
        }
    }

    /** The SQS example, rewired to ElasticMQ, really redeploys on a message. */
    @Test
    void theSqsExampleRedeploysOnAMessageToTheLocalQueue() throws Exception {
        await().ignoreExceptions().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "redeploy-on-sqs").getStatus().getStatus()).isEqualTo("Ready"));
        String queueUrl = cluster.trigger(EmbeddedMain.NAMESPACE, "redeploy-on-sqs").getSpec().getSource().getSqs().getQueueUrl();
        assertThat(queueUrl).startsWith(backends.sqsEndpoint());
        try (var sqs = software.amazon.awssdk.services.sqs.SqsClient.builder()
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                .region(software.amazon.awssdk.regions.Region.EU_WEST_1).endpointOverride(java.net.URI.create(backends.sqsEndpoint()))
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("test", "test"))).build()) {
            String id = sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody("{\"image\":\"web:1.4.2\"}")).messageId();
            await().untilAsserted(() -> assertThat(cluster.getDeployment(EmbeddedMain.NAMESPACE, "web").getSpec().getTemplate()
                    .getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, id));
        }
    }

    @Test
    void theManualFireInTheRedeployExampleRestartsWeb() {
        await().ignoreExceptions().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "restart-web").getStatus().getStatus()).isEqualTo("Ready"));
        cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).withName("restart-web")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"triggers.dev/fire-request\":\"1764150000\"}}}");
        await().untilAsserted(() -> assertThat(cluster.getDeployment(EmbeddedMain.NAMESPACE, "web").getSpec().getTemplate()
                .getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, "1764150000"));
    }

    @Test
    void theScaleUpExampleAddsTwoReplicas() {
        await().ignoreExceptions().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "scale-worker").getStatus().getStatus()).isEqualTo("Ready"));
        cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).withName("scale-worker")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"triggers.dev/fire-request\":\"burst-1\"}}}");
        await().untilAsserted(() -> assertThat(cluster.getDeployment(EmbeddedMain.NAMESPACE, "worker").getSpec().getReplicas()).isEqualTo(3));
    }

    /** The temporary scale-up example, fired by hand: 2 more replicas, and their revert kept on the status. */
    @Test
    void theTemporaryScaleUpExampleKeepsItsRevertOnTheStatus() {
        await().ignoreExceptions().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "morning-reports").getStatus().getStatus()).isEqualTo("Ready"));
        cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).withName("morning-reports")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"triggers.dev/fire-request\":\"early\"}}}");
        await().untilAsserted(() -> assertThat(cluster.getDeployment(EmbeddedMain.NAMESPACE, "reports").getSpec().getReplicas()).isEqualTo(3));
        var revert = cluster.trigger(EmbeddedMain.NAMESPACE, "morning-reports").getStatus().getScaleReverts().get("Deployment/reports");
        assertThat(revert.getFrom()).isEqualTo(1);
        assertThat(revert.getTo()).isEqualTo(3);
        assertThat(java.time.Instant.parse(revert.getRevertAt())).isBetween(java.time.Instant.now().plusSeconds(7000), java.time.Instant.now().plusSeconds(7200));
    }

    /** The HPA example (no HPA controller runs here): the HPA's minReplicas moves, web's spec.replicas does not. */
    @Test
    void theHpaExampleRaisesMinReplicasNotReplicas() {
        await().ignoreExceptions().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "web-flash-sale").getStatus().getStatus()).isEqualTo("Ready"));
        int replicas = cluster.getDeployment(EmbeddedMain.NAMESPACE, "web").getSpec().getReplicas();
        cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).withName("web-flash-sale")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"triggers.dev/fire-request\":\"sale-1\"}}}");
        await().untilAsserted(() -> assertThat(cluster.client().autoscaling().v2().horizontalPodAutoscalers().inNamespace(EmbeddedMain.NAMESPACE)
                .withName("web").get().getSpec().getMinReplicas()).isEqualTo(replicas + 2));
        assertThat(cluster.getDeployment(EmbeddedMain.NAMESPACE, "web").getSpec().getReplicas()).isEqualTo(replicas);
        await().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "web-flash-sale").getStatus().getLastFireResult())
                .startsWith("raised HorizontalPodAutoscaler demo/web minReplicas from 2 to " + (replicas + 2)));
    }

    /** The freeze example's end is behind us: Ready; moved ahead, the same Trigger is Suspended and says until when. */
    @Test
    void theFreezeExampleIsSuspendedOnlyUntilItsEnd() {
        await().ignoreExceptions().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "restart-web-after-freeze")
                .getStatus().getStatus()).isEqualTo("Ready"));
        cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).withName("restart-web-after-freeze")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspendUntil\":\"2099-01-05T08:00:00+01:00\"}}");
        await().untilAsserted(() -> {
            TriggerStatus status = cluster.trigger(EmbeddedMain.NAMESPACE, "restart-web-after-freeze").getStatus();
            assertThat(status.getStatus()).isEqualTo("Suspended");
            assertThat(status.getConditions()).anySatisfy(c -> assertThat(c.getMessage()).contains("suspended until 2099-01-05T07:00:00Z"));
        });
        // Back as the manifest says, for the other tests of this class.
        cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).withName("restart-web-after-freeze")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspendUntil\":\"2026-01-05T08:00:00+01:00\"}}");
        await().untilAsserted(() -> assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "restart-web-after-freeze").getStatus().getStatus())
                .isEqualTo("Ready"));
    }

    /** What README's first command prints: a kubeconfig that `kubectl get trg` can use. */
    @Test
    void theEmbeddedKubeconfigReachesTheApi(@TempDir Path dir) throws Exception {
        Path file = EmbeddedMain.writeKubeconfig(cluster, dir.resolve("kubeconfig"));
        Config config = Config.fromKubeconfig(Files.readString(file));
        try (KubernetesClient kubectl = new KubernetesClientBuilder().withConfig(config).build()) {
            assertThat(kubectl.resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).list().getItems()).hasSize(EXAMPLES.size());
            assertThat(kubectl.getNamespace()).isEqualTo(EmbeddedMain.NAMESPACE);
        }
    }
}
