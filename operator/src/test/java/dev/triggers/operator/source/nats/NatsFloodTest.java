package dev.triggers.operator.source.nats;

import static dev.triggers.operator.source.nats.NatsTestSupport.core;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tenant floods core NATS: what waits for its Trigger is bounded, the excess is dropped and
 * counted, the connection stays up, and other namespaces' Triggers keep firing.
 */
class NatsFloodTest {
    static final int FLOOD = 100_000;
    NatsServer nats;
    MockCluster cluster;

    @BeforeEach
    void start() {
        nats = NatsServer.start();
    }

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
        nats.close();
    }

    /**
     * The real source on a real server, its dispatcher held by a fire that does not return: exactly
     * one message is being handled, {@link NatsSubscription#MAX_PENDING_MESSAGES} wait, and every
     * other one is dropped, counted in the metric and told in one Warning Event.
     */
    @Test
    void overThePendingLimitMessagesAreDroppedCountedAndReportedOnce() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger fired = new AtomicInteger();
        List<String> events = new CopyOnWriteArrayList<>();
        try (NatsConnections connections = new NatsConnections(metrics)) {
            Trigger trigger = trigger("noisy", "flooded", ">");
            NatsSubscription source = new NatsSubscription(trigger, new Context(trigger, () -> {
                fired.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, events), connections);
            source.observe(trigger);
            await().until(() -> source.health().ready());

            int sent = 5_000;
            try (Connection publisher = Nats.connect(nats.url())) {
                for (int i = 0; i < sent; i++) publisher.publish("deploy.web", ("message " + i).getBytes());
                publisher.flush(Duration.ofSeconds(10));
            }

            long expectedDrops = sent - 1 - NatsSubscription.MAX_PENDING_MESSAGES;
            await().untilAsserted(() -> assertThat(source.dropped()).isEqualTo(expectedDrops));
            Counter counter = metrics.find("nats_messages_dropped_total").tags("namespace", "noisy", "trigger", "flooded").counter();
            assertThat(counter).isNotNull();
            assertThat(counter.count()).isEqualTo(expectedDrops);
            // The first drop is told at once (with the drops counted by then), the rest a minute later at the earliest.
            await().untilAsserted(() -> assertThat(events).singleElement().asString()
                    .matches("Warning NatsMessagesDropped: dropped [1-9][0-9]* core NATS messages on '>': more than 1000 messages .*"));
            long told = Long.parseLong(events.get(0).replaceAll("^Warning NatsMessagesDropped: dropped ([0-9]+) .*$", "$1"));
            assertThat(told).isBetween(1L, expectedDrops);

            // More drops within the minute: counted at once, reported only in the next minute's Event.
            try (Connection publisher = Nats.connect(nats.url())) {
                for (int i = 0; i < 100; i++) publisher.publish("deploy.web", new byte[0]);
                publisher.flush(Duration.ofSeconds(10));
            }
            await().untilAsserted(() -> assertThat(source.dropped()).isEqualTo(expectedDrops + 100));
            assertThat(events).as("at most one Event a minute").hasSize(1);

            // The flood did not cost the connection: the held messages are delivered once the fire returns.
            assertThat(source.health().ready()).isTrue();
            release.countDown();
            await().untilAsserted(() -> assertThat(fired.get()).isEqualTo(1 + NatsSubscription.MAX_PENDING_MESSAGES));
            source.close();
        }
    }

    /**
     * One Trigger on '>' with a long cooldown takes 100 000 messages while its cooldown runs; a Trigger
     * in another namespace still fires at once, and the flooded one fires once more when the cooldown ends.
     */
    @Test
    void floodOnOneNamespaceLeavesTheOthersFiringAndFiresOncePerCooldown() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        NatsSourceFactory factory = new NatsSourceFactory(metrics);
        cluster = MockCluster.start();
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), metrics, List.of(factory));
        NatsTestSupport given = new NatsTestSupport(cluster);
        int cooldown = 15;
        for (String ns : List.of("noisy", "quiet")) {
            cluster.namespace(ns);
            cluster.deployment(ns, "web");
        }
        Trigger flooded = Triggers.redeploy("noisy", "flooded", "web");
        flooded.getSpec().setSource(natsSource(core(nats.url(), ">")));
        flooded.getSpec().setCooldownSeconds(cooldown);
        cluster.create(flooded);
        given.create("quiet", "web-on-deploy", "web", core(nats.url(), "quiet.deploy"));
        cluster.deployment("noisy", "api");
        given.create("noisy", "api-on-deploy", "api", core(nats.url(), "noisy.api"));
        given.awaitStatus("noisy", "flooded", TriggerStatus.READY);
        given.awaitStatus("noisy", "api-on-deploy", TriggerStatus.READY);
        given.awaitStatus("quiet", "web-on-deploy", TriggerStatus.READY);

        try (Connection publisher = Nats.connect(nats.url())) {
            publisher.publish("noisy.deploy", new byte[0]);
            publisher.flush(Duration.ofSeconds(5));
            await().untilAsserted(() -> assertThat(given.fireCount("noisy", "flooded")).isEqualTo(1)); // the cooldown starts now
            long before = heapAfterGc();

            byte[] payload = new byte[128];
            for (int i = 0; i < FLOOD; i++) publisher.publish("noisy.flood." + (i % 100), payload);
            publisher.flush(Duration.ofSeconds(30));
            publisher.publish("quiet.deploy", new byte[0]);
            publisher.publish("noisy.api", new byte[0]);
            publisher.flush(Duration.ofSeconds(5));

            await().untilAsserted(() -> assertThat(given.fireCount("quiet", "web-on-deploy")).isEqualTo(1));
            // The flooded Trigger's own namespace shares its connection: the flood did not cost it its messages.
            await().untilAsserted(() -> assertThat(given.fireCount("noisy", "api-on-deploy")).isEqualTo(1));
            long flooded1 = given.fireCount("noisy", "flooded");
            long during = heapAfterGc();
            long dropped = droppedCount(metrics);

            await().atMost(Duration.ofSeconds(cooldown + 30))
                    .untilAsserted(() -> assertThat(given.fireCount("noisy", "flooded")).isEqualTo(2));
            long after = heapAfterGc();
            TriggerStatus status = given.status("noisy", "flooded");
            System.out.printf("NATS flood of %d core messages on '>' during a %d s cooldown: heap used after GC %.1f MiB before,"
                            + " %.1f MiB with the fire pending (%+.1f MiB), %.1f MiB after the fire (%+.1f MiB); %d dropped over the"
                            + " per-Trigger limit, %d folded into the fire (coalescedCount)%n",
                    FLOOD, cooldown, mib(before), mib(during), mib(during - before), mib(after), mib(after - before), dropped,
                    status.getCoalescedCount());
            assertThat(flooded1).as("nothing fires while the cooldown runs").isEqualTo(1);
            assertThat(status.getStatus()).isEqualTo(TriggerStatus.READY);
            assertThat(factory.connections().size()).as("still one connection per namespace: the flood closed none").isEqualTo(2);
        }
    }

    static long droppedCount(SimpleMeterRegistry metrics) {
        Counter c = metrics.find("nats_messages_dropped_total").tags("namespace", "noisy").counter();
        return c == null ? 0 : (long) c.count();
    }

    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    static SourceSpec natsSource(dev.triggers.operator.api.v1alpha1.NatsSource nats) {
        SourceSpec source = new SourceSpec(SourceSpec.NATS);
        source.setNats(nats);
        return source;
    }

    Trigger trigger(String ns, String name, String subject) {
        Trigger t = Triggers.redeploy(ns, name, "web");
        t.getSpec().setSource(natsSource(NatsTestSupport.core(nats.url(), subject)));
        return t;
    }

    /** A source context whose fires run {@code onFire} on the caller's (the dispatcher's) thread and whose Events are listed. */
    record Context(Trigger resource, Runnable onFire, List<String> events) implements SourceContext {
        @Override
        public ResourceID trigger() {
            return ResourceID.fromResource(resource);
        }

        @Override
        public CompletableFuture<FireResult> fire(TriggerEvent event) {
            onFire.run();
            return CompletableFuture.completedFuture(FireResult.of(List.of()));
        }

        @Override
        public void healthChanged() {}

        @Override
        public void recordEvent(boolean warning, String reason, String message) {
            events.add((warning ? "Warning " : "Normal ") + reason + ": " + message);
        }

        @Override
        public KubernetesClient client() {
            return null;
        }

        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }

        @Override
        public OperatorConfig config() {
            return OperatorConfig.defaults().with(c -> c.tenancy = TenantPolicy.open());
        }
    }
}
