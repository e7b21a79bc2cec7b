package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * waitTimeSeconds 0 on an empty queue: each empty receive is followed by a pause of the rest of a
 * second (by the injected clock) on the factory's scheduler, not by another receive. The scheduler here
 * holds delayed tasks until the test runs them, and the clock only moves when the test moves it, so the
 * receives are counted against steps, not against wall time.
 */
class SqsPacingTest {
    static final String NS = "shop";
    ElasticMq elasticMq;
    MockCluster cluster;
    SteppedTimers timers;
    SqsSourceFactory factory;
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    @BeforeEach
    void start() {
        elasticMq = ElasticMq.start();
        cluster = MockCluster.start();
        cluster.namespace(NS);
        SqsTriggers.credentialsSecret(cluster, NS);
        timers = new SteppedTimers();
        factory = new SqsSourceFactory(SqsSettings.defaults(), new SimpleMeterRegistry(), timers);
    }

    @AfterEach
    void stop() {
        factory.close();
        cluster.close();
        elasticMq.close();
    }

    @Test
    void anEmptyQueueIsReceivedFromOncePerSecondNotInATightLoop() throws Exception {
        String queueUrl = elasticMq.createQueue("deploys", 30);
        Trigger trigger = SqsTriggers.redeployOnQueue(NS, "paced", "web", queueUrl, elasticMq.endpoint());
        trigger.getSpec().getSource().getSqs().setWaitTimeSeconds(0);
        try (TriggerSource source = factory.start(trigger, new Context(cluster.client(), clock()))) {
            for (int step = 1; step <= 5; step++) {
                // After each empty receive the poller waits on the scheduler: a full second, the clock having stood still.
                SteppedTimers.Task next = timers.awaitTask();
                assertThat(factory.receiveCount()).isEqualTo(step);
                assertThat(next.delay()).isEqualTo(Duration.ofSeconds(1));
                now.updateAndGet(t -> t.plus(next.delay()));
                next.run();
            }
            assertThat(timers.awaitTask().delay()).isEqualTo(Duration.ofSeconds(1));
            assertThat(factory.receiveCount()).isEqualTo(6);
            assertThat(source.health().ready()).isTrue();
        }
    }

    @Test
    void onlyTheRestOfTheSecondIsWaitedAndMessagesAreReceivedWithoutPause() throws Exception {
        String queueUrl = elasticMq.createQueue("deploys", 30);
        Trigger trigger = SqsTriggers.redeployOnQueue(NS, "paced", "web", queueUrl, elasticMq.endpoint());
        trigger.getSpec().getSource().getSqs().setWaitTimeSeconds(0);
        try (TriggerSource source = factory.start(trigger, new Context(cluster.client(), clock()))) {
            SteppedTimers.Task first = timers.awaitTask();
            assertThat(factory.receiveCount()).isEqualTo(1);

            // A message waiting: received at once, and the empty receive right after it is paced again.
            elasticMq.send(queueUrl, "deploy");
            now.updateAndGet(t -> t.plusSeconds(1));
            first.run();
            SteppedTimers.Task afterMessage = timers.awaitTask();
            assertThat(factory.receivedCount()).isEqualTo(1);
            assertThat(factory.receiveCount()).as("the receive with the message, then an empty one without waiting").isEqualTo(3);
            assertThat(afterMessage.delay()).isEqualTo(Duration.ofSeconds(1));
            await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
        }
        // The pause is what is left of the second since the receive started.
        SqsSettings settings = SqsSettings.defaults();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(settings.emptyReceivePause(t0, t0.plusMillis(300))).isEqualTo(Duration.ofMillis(700));
        assertThat(settings.emptyReceivePause(t0, t0.plusSeconds(20))).isZero();
    }

    Clock clock() {
        return new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
    }

    /** A source context whose fires succeed at once; the API is the mock's (for the credentials Secret). */
    record Context(KubernetesClient client, Clock clock) implements SourceContext {
        @Override
        public ResourceID trigger() {
            return new ResourceID("paced", NS);
        }

        @Override
        public CompletableFuture<FireResult> fire(TriggerEvent event) {
            return CompletableFuture.completedFuture(FireResult.of(List.of()));
        }

        @Override
        public void healthChanged() {}

        @Override
        public void recordEvent(boolean warning, String reason, String message) {}

        @Override
        public OperatorConfig config() {
            return MockCluster.testConfig();
        }
    }

    /** One-shot delayed tasks are held for the test to run; periodic ones (visibility extension) run as usual. */
    static final class SteppedTimers extends ScheduledThreadPoolExecutor {
        record Task(Runnable command, Duration delay, ScheduledFuture<?> handle) {
            void run() {
                if (!handle.isCancelled()) command.run();
            }
        }

        private final LinkedBlockingQueue<Task> held = new LinkedBlockingQueue<>();

        SteppedTimers() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            ScheduledFuture<?> handle = super.schedule(() -> {}, 1, TimeUnit.DAYS); // only for its cancel()
            held.add(new Task(command, Duration.ofNanos(unit.toNanos(delay)), handle));
            return handle;
        }

        /** The next held task; waits for the poller to get there (no wall-clock assertion: it either comes or the test fails). */
        Task awaitTask() throws InterruptedException {
            Task task = held.poll(30, TimeUnit.SECONDS);
            assertThat(task).as("the poller scheduled its next receive").isNotNull();
            return task;
        }
    }
}
