package dev.triggers.operator.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.SourceFactories;
import dev.triggers.operator.testing.MockCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** On a machine without nats-server the NATS examples say, in their status, what to install. */
class EmbeddedWithoutNatsTest {
    @Test
    void theNatsExamplesSayWhatToInstall() throws Exception {
        try (LocalBackends backends = LocalBackends.start(false); MockCluster cluster = EmbeddedMain.load(MockCluster.start(), backends)) {
            assertThat(backends.natsInstalled()).isFalse();
            OperatorConfig config = MockCluster.testConfig();
            var metrics = new SimpleMeterRegistry();
            cluster.startOperator(config, Clock.systemUTC(), metrics, SourceFactories.all(cluster.client(), config, Clock.systemUTC(), metrics));
            for (String name : List.of("web-on-deploy", "web-on-release")) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    TriggerStatus status = cluster.trigger(EmbeddedMain.NAMESPACE, name).getStatus();
                    assertThat(status).as(name).isNotNull();
                    assertThat(status.getStatus()).as(name).isEqualTo("Error");
                    assertThat(status.getErrorMessage()).as(name).contains("nats-server is not installed: apt-get install -y nats-server");
                });
            }
            // The others are untouched by the missing server.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(cluster.trigger(EmbeddedMain.NAMESPACE, "redeploy-on-sqs").getStatus().getStatus()).isEqualTo("Ready"));
        }
    }
}
