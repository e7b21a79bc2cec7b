package dev.triggers.operator.source.nats;

import static dev.triggers.operator.source.nats.NatsTestSupport.NS;
import static dev.triggers.operator.source.nats.NatsTestSupport.jetStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Given a JetStream Trigger, when messages are stored on the stream, then each fires, and is acked
 * only after its action succeeded: a failed patch or an operator restart loses nothing.
 */
class NatsJetStreamTest {
    static final String STREAM = "DEPLOYS";
    /** The durable "web-restarter" of a Trigger in namespace demo, as the server knows it (README: namespace_durable). */
    static final String SERVER_DURABLE = "demo_web-restarter";
    MockCluster cluster;
    NatsServer nats;
    Connection client;
    JetStreamManagement jsm;
    NatsTestSupport given;

    @BeforeEach
    void start() throws Exception {
        nats = NatsServer.start();
        client = Nats.connect(nats.url());
        jsm = client.jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects("deploys.>").storageType(StorageType.File).build());
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

    TriggerOperator operator(SourceFactory factory) {
        return cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(factory));
    }

    @Test
    void storedMessageFiresWithItsSequenceAndIsAckedAfterTheFire() throws Exception {
        operator(new NatsSourceFactory());
        cluster.deployment(NS, "web");
        given.create("web-on-release", "web", jetStream(nats.url(), "deploys.web", STREAM, "web-restarter"));
        given.awaitStatus("web-on-release", TriggerStatus.READY);
        assertThat(given.sourceReady("web-on-release").getMessage()).contains("at least once").contains("web-restarter");

        client.jetStream().publish("deploys.web", "v2".getBytes());

        await().untilAsserted(() -> assertThat(given.fireCount("web-on-release")).isEqualTo(1));
        assertThat(given.eventId("web")).isEqualTo("1");
        assertThat(given.status("web-on-release").getLastEvent().getId()).isEqualTo("1");
        await().untilAsserted(() -> assertThat(acked(SERVER_DURABLE)).isEqualTo(1));
        ConsumerInfo info = jsm.getConsumerInfo(STREAM, SERVER_DURABLE);
        assertThat(info.getConsumerConfiguration().getAckPolicy()).isEqualTo(AckPolicy.Explicit);
        assertThat(info.getConsumerConfiguration().getAckWait()).isEqualTo(JetStreamConsumer.ACK_WAIT);
    }

    @Test
    void messagesFetchedTogetherCoalesceIntoOneFireAndAreAllAcked() throws Exception {
        for (int i = 0; i < 5; i++) client.jetStream().publish("deploys.web", ("v" + i).getBytes());
        operator(new NatsSourceFactory());
        cluster.deployment(NS, "web");
        given.create("web-on-release", "web", jetStream(nats.url(), "deploys.web", STREAM, "web-restarter"));

        await().ignoreExceptions().untilAsserted(() -> assertThat(acked(SERVER_DURABLE)).isEqualTo(5));
        assertThat(given.fireCount("web-on-release")).isEqualTo(1);
        assertThat(given.status("web-on-release").getCoalescedCount()).isEqualTo(4);
        assertThat(given.eventId("web")).isEqualTo("5");
    }

    @Test
    void failingPatchIsNeverAckedAndTheMessageFiresAfterTheFix() throws Exception {
        operator(new NatsSourceFactory());
        cluster.deployment(NS, "web");
        given.pause("web", true);
        given.create("web-on-release", "web", jetStream(nats.url(), "deploys.web", STREAM, "web-restarter"));
        await().untilAsserted(() -> assertThat(given.sourceReady("web-on-release")).isNotNull()
                .extracting(c -> c.getStatus()).isEqualTo("True"));

        client.jetStream().publish("deploys.web", "v2".getBytes());

        await().untilAsserted(() -> assertThat(given.status("web-on-release").getErrorMessage()).contains("is paused"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(jsm.getConsumerInfo(STREAM, SERVER_DURABLE).getRedelivered()).isPositive());
        assertThat(acked(SERVER_DURABLE)).as("never acked before the action succeeded").isZero();
        assertThat(jsm.getConsumerInfo(STREAM, SERVER_DURABLE).getNumAckPending()).isEqualTo(1);
        assertThat(given.eventId("web")).isNull();

        given.pause("web", false);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(given.eventId("web")).isEqualTo("1"));
        await().untilAsserted(() -> assertThat(acked(SERVER_DURABLE)).isEqualTo(1));
        given.awaitStatus("web-on-release", TriggerStatus.READY);
    }

    @Test
    void operatorRestartedBetweenReceiveAndAckLosesNothing() throws Exception {
        // A durable with a short AckWait, as an admin may have made it (under the namespaced name): the operator binds to it.
        jsm.addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder().durable(SERVER_DURABLE).filterSubject("deploys.web")
                .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(2)).build());
        List<String> received = new CopyOnWriteArrayList<>();
        TriggerOperator first = operator(new StalledFires(new NatsSourceFactory(), received));
        cluster.deployment(NS, "web");
        given.create("web-on-release", "web", jetStream(nats.url(), "deploys.web", STREAM, "web-restarter"));
        given.awaitStatus("web-on-release", TriggerStatus.READY);

        client.jetStream().publish("deploys.web", "v2".getBytes());
        await().until(() -> received.contains("1"));
        first.close(); // the operator goes away while the action is in flight

        assertThat(acked(SERVER_DURABLE)).isZero();
        assertThat(given.eventId("web")).isNull();

        operator(new NatsSourceFactory());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(given.eventId("web")).isEqualTo("1"));
        await().untilAsserted(() -> assertThat(acked(SERVER_DURABLE)).isEqualTo(1));
    }

    @Test
    void unknownStreamIsAnErrorUntilTheStreamExists() throws Exception {
        operator(new NatsSourceFactory());
        cluster.deployment(NS, "web");
        given.create("web-on-release", "web", jetStream(nats.url(), "releases.web", "RELEASES", "web-restarter"));

        given.awaitStatus("web-on-release", TriggerStatus.ERROR);
        assertThat(given.sourceReady("web-on-release").getReason()).isEqualTo("StreamNotFound");
        assertThat(given.status("web-on-release").getErrorMessage()).contains("JetStream stream 'RELEASES' not found");

        jsm.addStream(StreamConfiguration.builder().name("RELEASES").subjects("releases.>").storageType(StorageType.File).build());
        given.awaitStatus("web-on-release", TriggerStatus.READY);
        client.jetStream().publish("releases.web", "v3".getBytes());
        await().untilAsserted(() -> assertThat(given.eventId("web")).isEqualTo("1"));
    }

    @Test
    void serverRestartedOnTheSamePortResumesConsumingWithoutTouchingTheTrigger() throws Exception {
        operator(new NatsSourceFactory());
        cluster.deployment(NS, "web");
        Trigger created = given.create("web-on-release", "web", jetStream(nats.url(), "deploys.web", STREAM, "web-restarter"));
        given.awaitStatus("web-on-release", TriggerStatus.READY);

        client.close();
        nats.stop();
        given.awaitStatus("web-on-release", TriggerStatus.ERROR);
        assertThat(given.sourceReady("web-on-release").getReason()).isEqualTo("Disconnected");
        assertThat(given.status("web-on-release").getErrorMessage()).contains("disconnected from NATS at " + nats.url());

        nats.startAgain();
        given.awaitStatus("web-on-release", TriggerStatus.READY);
        client = Nats.connect(nats.url());
        jsm = client.jetStreamManagement();
        client.jetStream().publish("deploys.web", "v2".getBytes());
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(given.eventId("web")).isEqualTo("1"));
        await().untilAsserted(() -> assertThat(acked(SERVER_DURABLE)).isEqualTo(1));
        assertThat(cluster.trigger(NS, "web-on-release").getMetadata().getGeneration()).isEqualTo(created.getMetadata().getGeneration());
    }

    @Test
    void mismatchedDurableIsAnError() throws Exception {
        jsm.addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder().durable(SERVER_DURABLE).filterSubject("deploys.api")
                .ackPolicy(AckPolicy.Explicit).build());
        operator(new NatsSourceFactory());
        cluster.deployment(NS, "web");
        given.create("web-on-release", "web", jetStream(nats.url(), "deploys.web", STREAM, "web-restarter"));
        given.awaitStatus("web-on-release", TriggerStatus.ERROR);
        assertThat(given.status("web-on-release").getErrorMessage()).contains("filters [deploys.api]").contains(SERVER_DURABLE);
    }

    @Test
    void sameStreamAndDurableInTwoNamespacesAreTwoConsumersOnTwoConnections() throws Exception {
        NatsSourceFactory factory = new NatsSourceFactory();
        operator(factory);
        // A durable "restarter" that a third namespace's admin made: neither Trigger may bind to it.
        jsm.addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder().durable("restarter").filterSubject("deploys.web")
                .ackPolicy(AckPolicy.Explicit).build());
        for (String ns : List.of("team-a", "team-b")) {
            cluster.namespace(ns);
            cluster.deployment(ns, "web");
            given.create(ns, "web-on-release", "web", jetStream(nats.url(), "deploys.web", STREAM, "restarter"));
        }
        given.awaitStatus("team-a", "web-on-release", TriggerStatus.READY);
        given.awaitStatus("team-b", "web-on-release", TriggerStatus.READY);
        assertThat(factory.connections().size()).as("one connection per namespace").isEqualTo(2);
        assertThat(jsm.getConsumerNames(STREAM)).containsExactlyInAnyOrder("restarter", "team-a_restarter", "team-b_restarter");

        client.jetStream().publish("deploys.web", "v2".getBytes());

        // Each namespace's consumer gets the message: both Deployments restart, both acks land on their own consumer.
        await().untilAsserted(() -> assertThat(given.eventId("team-a", "web")).isEqualTo("1"));
        await().untilAsserted(() -> assertThat(given.eventId("team-b", "web")).isEqualTo("1"));
        await().untilAsserted(() -> assertThat(acked("team-a_restarter")).isEqualTo(1));
        await().untilAsserted(() -> assertThat(acked("team-b_restarter")).isEqualTo(1));
        assertThat(jsm.getConsumerInfo(STREAM, "restarter").getDelivered().getStreamSequence()).as("the admin's durable is untouched").isZero();
    }

    /** The stream sequence up to which every message is acked. */
    long acked(String durable) throws Exception {
        return jsm.getConsumerInfo(STREAM, durable).getAckFloor().getStreamSequence();
    }

    /** The real NATS source, but its fires never complete: an operator that dies while acting. */
    static final class StalledFires implements SourceFactory {
        private final NatsSourceFactory real;
        private final List<String> received;

        StalledFires(NatsSourceFactory real, List<String> received) {
            this.real = real;
            this.received = received;
        }

        @Override
        public String type() {
            return SourceSpec.NATS;
        }

        @Override
        public List<String> validate(Trigger trigger) {
            return real.validate(trigger);
        }

        @Override
        public TriggerSource start(Trigger trigger, SourceContext context) {
            return real.start(trigger, new SourceContext() {
                @Override
                public ResourceID trigger() {
                    return context.trigger();
                }

                @Override
                public CompletableFuture<FireResult> fire(TriggerEvent event) {
                    received.add(event.id());
                    return new CompletableFuture<>();
                }

                @Override
                public void healthChanged() {
                    context.healthChanged();
                }

                @Override
                public void recordEvent(boolean warning, String reason, String message) {
                    context.recordEvent(warning, reason, message);
                }

                @Override
                public KubernetesClient client() {
                    return context.client();
                }

                @Override
                public Clock clock() {
                    return context.clock();
                }

                @Override
                public OperatorConfig config() {
                    return context.config();
                }
            });
        }

        @Override
        public void close() {
            real.close();
        }
    }
}
