package dev.triggers.operator.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactories;
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
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest in examples/ is applied, as the embedded mode does, with the operator's real sources,
 * and reaches the state its comments promise (or a clear Error where it needs an outside service that
 * this test does not start).
 */
class ExamplesTest {
    /** Trigger name -> "Ready", or "Error: <fragment of errorMessage>". Every example Trigger must be here. */
    static final Map<String, String> PROMISED = new TreeMap<>(Map.ofEntries(
            Map.entry("restart-web", "Ready"),
            Map.entry("scale-worker", "Ready"),
            Map.entry("restart-shop", "Ready"),
            Map.entry("deploy-web", "Ready"),
            Map.entry("deploy-web-on-main", "Ready"),
            Map.entry("nightly-restart", "Ready"),
            Map.entry("hourly-scaleup", "Ready"),
            // No AWS and no NATS server from the test machine: the sources say why they cannot receive
            // (SqsExampleTest and NatsExamplesTest run these examples against ElasticMQ and nats-server).
            Map.entry("redeploy-on-sqs", "Error: SQS endpoint"),
            Map.entry("web-on-deploy", "Error: cannot connect to NATS at"),
            Map.entry("web-on-release", "Error: cannot connect to NATS at")));

    MockCluster cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = EmbeddedMain.load(MockCluster.start());
        OperatorConfig config = MockCluster.testConfig();
        var metrics = new SimpleMeterRegistry();
        cluster.startOperator(config, Clock.systemUTC(), metrics,
                SourceFactories.all(cluster.client(), config, Clock.systemUTC(), metrics));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void everyExampleReachesThePromisedState() throws Exception {
        List<Trigger> triggers = cluster.client().resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).list().getItems();
        assertThat(triggers).extracting(t -> t.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(PROMISED.keySet());
        assertThat(Manifests.examples()).isNotEmpty();
        PROMISED.forEach((name, promise) -> await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TriggerStatus status = cluster.trigger(EmbeddedMain.NAMESPACE, name).getStatus();
            assertThat(status).as(name).isNotNull();
            if (promise.equals("Ready")) {
                assertThat(status.getStatus()).as("%s: %s", name, status.getErrorMessage()).isEqualTo("Ready");
            } else {
                assertThat(status.getStatus()).as(name).isEqualTo("Error");
                assertThat(status.getErrorMessage()).as(name).contains(promise.substring("Error: ".length()));
            }
        }));
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

    /** What README's first command prints: a kubeconfig that `kubectl get trg` can use. */
    @Test
    void theEmbeddedKubeconfigReachesTheApi(@TempDir Path dir) throws Exception {
        Path file = EmbeddedMain.writeKubeconfig(cluster, dir.resolve("kubeconfig"));
        Config config = Config.fromKubeconfig(Files.readString(file));
        try (KubernetesClient kubectl = new KubernetesClientBuilder().withConfig(config).build()) {
            assertThat(kubectl.resources(Trigger.class).inNamespace(EmbeddedMain.NAMESPACE).list().getItems()).hasSize(PROMISED.size());
            assertThat(kubectl.getNamespace()).isEqualTo(EmbeddedMain.NAMESPACE);
        }
    }
}
