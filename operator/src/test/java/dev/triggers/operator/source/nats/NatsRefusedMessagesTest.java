package dev.triggers.operator.source.nats;

import static dev.triggers.operator.source.nats.NatsTestSupport.NS;
import static dev.triggers.operator.source.nats.NatsTestSupport.jetStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A JetStream message waiting in the cooldown when its Trigger is suspended is refused, not acked: it
 * is redelivered and fires once after the Trigger is resumed (the next valid spec).
 */
class NatsRefusedMessagesTest {
    static final String STREAM = "RELEASES";
    MockCluster cluster;
    NatsServer nats;
    Connection client;
    NatsTestSupport given;

    @BeforeEach
    void start() throws Exception {
        nats = NatsServer.start();
        client = Nats.connect(nats.url());
        client.jetStreamManagement().addStream(StreamConfiguration.builder().name(STREAM).subjects("releases.>").storageType(StorageType.File).build());
        cluster = MockCluster.start();
        cluster.namespace(NS);
        given = new NatsTestSupport(cluster);
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
        client.close();
        nats.close();
    }

    @Test
    void aMessageRefusedWhileSuspendedIsRedeliveredAndFiresOnceAfterResume() throws Exception {
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(new NatsSourceFactory()));
        cluster.deployment(NS, "web");
        given.create("web-on-release", "web", jetStream(nats.url(), "releases.web", STREAM, "web-restarter"));
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("web-on-release")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cooldownSeconds\":5}}");
        given.awaitStatus("web-on-release", TriggerStatus.READY);

        client.jetStream().publish("releases.web", "v1".getBytes());
        await().untilAsserted(() -> assertThat(given.eventId("web")).isEqualTo("1"));
        client.jetStream().publish("releases.web", "v2".getBytes()); // sequence 2: waits for the cooldown
        given.suspend("web-on-release");
        given.awaitStatus("web-on-release", TriggerStatus.SUSPENDED);
        Duration cooldownAndMargin = Duration.ofSeconds(7);
        await().pollDelay(cooldownAndMargin).atMost(cooldownAndMargin.plusSeconds(5)).until(() -> true);
        assertThat(given.eventId("web")).isEqualTo("1");
        assertThat(given.fireCount("web-on-release")).isEqualTo(1);

        cluster.client().resources(Trigger.class).inNamespace(NS).withName("web-on-release")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":false}}");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(given.eventId("web")).isEqualTo("2"));
        await().untilAsserted(() -> assertThat(given.fireCount("web-on-release")).isEqualTo(2));
        assertThat(given.status("web-on-release").getDroppedCount()).isNull();
    }
}
