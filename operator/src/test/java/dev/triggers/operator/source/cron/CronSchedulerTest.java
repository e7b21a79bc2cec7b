package dev.triggers.operator.source.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one scheduler, with sources whose fires are recorded instead of executed. */
class CronSchedulerTest {
    static final Instant CREATED = Instant.parse("2030-01-01T09:58:00Z");
    static final Instant SLOT = Instant.parse("2030-01-01T10:00:00Z");

    final MutableClock clock = new MutableClock(SLOT.minusSeconds(30));
    final CronSourceFactory factory = new CronSourceFactory(clock);
    final Queue<Fired> fired = new ConcurrentLinkedQueue<>();

    record Fired(ResourceID trigger, TriggerEvent event) {}

    @AfterEach
    void close() {
        factory.close();
    }

    @Test
    void thousandTriggersOnOneSlotAllFireOnceFromOneThread() {
        List<TriggerSource> sources = new ArrayList<>();
        for (int i = 0; i < 1000; i++) sources.add(start("t" + i, "*/5 * * * *"));
        assertThat(factory.scheduler().size()).isEqualTo(1000);
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().startsWith("cron-scheduler")).hasSize(1);

        clock.set(SLOT);
        factory.scheduler().wakeUp();
        await().untilAsserted(() -> assertThat(fired).hasSize(1000));
        assertThat(fired).extracting(f -> f.trigger().getName()).doesNotHaveDuplicates();
        assertThat(fired).allSatisfy(f -> {
            assertThat(f.event().source()).isEqualTo(TriggerEvent.CRON);
            assertThat(f.event().id()).isEqualTo("2030-01-01T10:00:00Z");
            assertThat(f.event().receivedAt()).isEqualTo(SLOT);
        });

        // Run again at the same instant, and a bit later: the slot is done.
        factory.scheduler().runDue();
        clock.set(SLOT.plusSeconds(30));
        factory.scheduler().runDue();
        assertThat(fired).hasSize(1000);
    }

    @Test
    void closedSourceOrSchedulerNeverFires() {
        TriggerSource closedOne = start("closed", "*/5 * * * *");
        TriggerSource open = start("open", "*/5 * * * *");
        closedOne.close();
        clock.set(SLOT);
        assertThat(factory.scheduler().runDue()).isEqualTo(1);
        assertThat(fired).extracting(f -> f.trigger().getName()).containsExactly("open");

        // A stopping operator: scheduler closed, then a late reconcile starts a source anyway.
        factory.close();
        TriggerSource late = start("late", "*/5 * * * *");
        clock.set(SLOT.plus(Duration.ofMinutes(5)));
        assertThat(factory.scheduler().runDue()).isZero();
        ((CronTriggerSource) late).runDue(clock.instant());
        ((CronTriggerSource) open).runDue(clock.instant());
        assertThat(fired).hasSize(1);
    }

    @Test
    void failedFireIsRetriedForTheSameSlotThenReportedMissedAtTheDeadline() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        FakeContext failing = new FakeContext(new ResourceID("flaky", "demo")) {
            @Override
            public CompletableFuture<FireResult> fire(TriggerEvent event) {
                fired.add(new Fired(trigger(), event));
                return CompletableFuture.completedFuture(FireResult.failed("Deployment demo/web not found: create it, or fix spec.target.name"));
            }

            @Override
            public void recordEvent(boolean warning, String reason, String message) {
                events.add(reason + ": " + message);
            }
        };
        CronTriggerSource source = (CronTriggerSource) factory.start(trigger("flaky", "0 * * * *"), failing);
        clock.set(SLOT);
        factory.scheduler().runDue();
        clock.set(SLOT.plusSeconds(20)); // past the recheck interval (10 s)
        factory.scheduler().runDue();
        assertThat(fired).extracting(f -> f.event().id()).containsExactly("2030-01-01T10:00:00Z", "2030-01-01T10:00:00Z");

        clock.set(SLOT.plusSeconds(301));
        factory.scheduler().runDue();
        assertThat(fired).hasSize(2);
        assertThat(events).singleElement().asString()
                .startsWith("MissedSchedule: Schedule slot 2030-01-01T10:00:00Z: not fired, every fire failed until the deadline passed: "
                        + "Deployment demo/web not found");
        var status = new dev.triggers.operator.api.v1alpha1.TriggerStatus();
        source.describe(status);
        assertThat(status.getLastMissedSchedule()).startsWith("2030-01-01T10:00:00Z: not fired, every fire failed");
        assertThat(source.recorded()).as("the fire record's nextFireAt").containsEntry("nextFireAt", "2030-01-01T11:00:00Z");
    }

    @Test
    void missedSlotSaysWhyFromTheStatusTheSourceStartedWith() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        clock.set(SLOT.plus(Duration.ofMinutes(20)));
        for (String state : List.of("Suspended", "Error", "Ready")) {
            Trigger t = trigger("was-" + state, "0 * * * *");
            t.setStatus(new dev.triggers.operator.api.v1alpha1.TriggerStatus());
            t.getStatus().setStatus(state);
            if (state.equals("Error")) t.getStatus().setErrorMessage("last fire failed: Deployment demo/web not found");
            factory.start(t, new FakeContext(new ResourceID(t.getMetadata().getName(), "demo")) {
                @Override
                public void recordEvent(boolean warning, String reason, String message) {
                    events.add(message);
                }
            });
        }
        factory.scheduler().runDue();
        assertThat(fired).isEmpty();
        assertThat(events).containsExactlyInAnyOrder(
                "Schedule slot 2030-01-01T10:00:00Z: not fired, the Trigger was suspended (the slot was 1200s old, startingDeadlineSeconds is 300)",
                "Schedule slot 2030-01-01T10:00:00Z: not fired, the Trigger was in Error (last fire failed: Deployment demo/web not found) "
                        + "(the slot was 1200s old, startingDeadlineSeconds is 300)",
                "Schedule slot 2030-01-01T10:00:00Z: not fired, the operator was not running (the slot was 1200s old, startingDeadlineSeconds is 300)");
    }

    @Test
    void aSlotOutsideEveryMaintenanceWindowIsMissedWithTheReasonNotHeld() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        Instant window = SLOT.plus(Duration.ofHours(2));
        FakeContext windowed = new FakeContext(new ResourceID("windowed", "demo")) {
            @Override
            public java.util.Optional<Instant> windowOpensAt(Instant at) {
                return java.util.Optional.of(at.isBefore(window) ? window : at);
            }

            @Override
            public void recordEvent(boolean warning, String reason, String message) {
                events.add(reason + ": " + message);
            }
        };
        CronTriggerSource source = (CronTriggerSource) factory.start(trigger("windowed", "0 * * * *"), windowed);
        clock.set(SLOT);
        source.runDue(clock.instant());
        assertThat(fired).isEmpty();
        assertThat(events).containsExactly("MissedSchedule: Schedule slot 2030-01-01T10:00:00Z: not fired, the slot is outside every "
                + "maintenance window (spec.windows); the next one opens at 2030-01-01T12:00:00Z");
        var status = new dev.triggers.operator.api.v1alpha1.TriggerStatus();
        source.describe(status);
        assertThat(status.getLastMissedSchedule()).startsWith("2030-01-01T10:00:00Z: not fired, the slot is outside every maintenance window");

        clock.set(window);
        source.runDue(clock.instant());
        assertThat(fired).extracting(f -> f.event().id()).containsExactly("2030-01-01T12:00:00Z");
    }

    TriggerSource start(String name, String schedule) {
        return factory.start(trigger(name, schedule), new FakeContext(new ResourceID(name, "demo")));
    }

    static Trigger trigger(String name, String schedule) {
        Trigger t = CronFixtures.redeploy("demo", name, "web", schedule, null);
        t.getMetadata().setCreationTimestamp(CREATED.toString());
        return t;
    }

    class FakeContext implements SourceContext {
        private final ResourceID id;

        FakeContext(ResourceID id) {
            this.id = id;
        }

        @Override
        public ResourceID trigger() {
            return id;
        }

        @Override
        public CompletableFuture<FireResult> fire(TriggerEvent event) {
            fired.add(new Fired(id, event));
            return CompletableFuture.completedFuture(FireResult.of(List.of()));
        }

        @Override
        public void healthChanged() {}

        @Override
        public void recordEvent(boolean warning, String reason, String message) {}

        @Override
        public KubernetesClient client() {
            return null;
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public OperatorConfig config() {
            return OperatorConfig.defaults();
        }
    }
}
