package dev.triggers.operator.source.nats;

import static dev.triggers.operator.source.nats.NatsTestSupport.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The NATS example manifests, applied as they are (only the server URL points at the test's server). */
class NatsExamplesTest {
    static final Path EXAMPLES = Path.of("..", "examples");
    MockCluster cluster;
    NatsTestSupport given;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(new NatsSourceFactory()));
        given = new NatsTestSupport(cluster);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void coreExampleRestartsWebOnAPublish() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            apply("nats-core.yaml", nats.url());
            given.awaitStatus("web-on-deploy", TriggerStatus.READY);
            try (Connection publisher = Nats.connect(nats.url())) {
                publisher.publish("deploy.web", "v2 is out".getBytes());
                publisher.flush(Duration.ofSeconds(5));
            }
            await().untilAsserted(() -> assertThat(given.fireCount("web-on-deploy")).isEqualTo(1));
        }
    }

    @Test
    void jetStreamExampleRestartsWebOnAStoredReleaseWithTheTokenFromItsSecret() throws Exception {
        try (NatsServer nats = NatsServer.start("--auth", "change-me");
             Connection admin = Nats.connect(new Options.Builder().server(nats.url()).token("change-me".toCharArray()).build())) {
            admin.jetStreamManagement().addStream(StreamConfiguration.builder().name("RELEASES").subjects("releases.>").storageType(StorageType.File).build());
            apply("nats-jetstream.yaml", nats.url());
            given.awaitStatus("web-on-release", TriggerStatus.READY);
            admin.jetStream().publish("releases.web", "v2 is out".getBytes());
            await().untilAsserted(() -> assertThat(given.eventId("web")).isEqualTo("1"));
            await().untilAsserted(() -> assertThat(admin.jetStreamManagement().getConsumerInfo("RELEASES", "demo_web-restarter")
                    .getAckFloor().getStreamSequence()).isEqualTo(1));
        }
    }

    void apply(String example, String serverUrl) throws Exception {
        String yaml = Files.readString(EXAMPLES.resolve(example)).replace("nats://nats.nats.svc:4222", serverUrl);
        List<HasMetadata> items = cluster.client().load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
        assertThat(items).extracting(HasMetadata::getKind).contains("Namespace", "Deployment", "Trigger");
        for (HasMetadata item : items) cluster.client().resource(item).createOr(op -> op.update());
        assertThat(cluster.getDeployment(NS, "web")).isNotNull();
    }
}
