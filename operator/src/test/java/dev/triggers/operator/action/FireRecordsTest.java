package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import dev.triggers.operator.testing.VirtualTime;
import io.fabric8.kubernetes.api.model.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fire record alone, in virtual time and on the test's thread, written to the mock API: throttled to one status
 * patch per interval, counts carried across records, accepted events cleared, refusals counted as dropped.
 */
class FireRecordsTest {
    static final String NS = "shop";
    final VirtualTime time = new VirtualTime();
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    MockCluster cluster;
    FireRecords records;
    ResourceID web;
    boolean firesWaiting;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        Trigger t = cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        web = ResourceID.fromResource(t);
        records = new FireRecords(time, time, id -> Runnable::run, () -> firesWaiting, new FireRecorder(cluster.client(), time), metrics,
                id -> Optional.ofNullable(cluster.trigger(NS, id.getName())));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    PendingEvents.Batch batch(String... ids) {
        PendingEvents pending = new PendingEvents();
        for (String id : ids) pending.add(new TriggerEvent(TriggerEvent.WEBHOOK, id, time.instant()));
        return pending.drain();
    }

    TriggerStatus status() {
        TriggerStatus s = cluster.trigger(NS, "restart-web").getStatus();
        return s == null ? new TriggerStatus() : s;
    }

    List<Event> events(String reason) {
        return cluster.client().v1().events().inNamespace(NS).list().getItems().stream().filter(e -> reason.equals(e.getReason())).toList();
    }

    FireResult patched(String what) {
        return FireResult.of(List.of(new WorkloadResult(new WorkloadRef("Deployment", NS, "web"), WorkloadResult.Outcome.PATCHED, what)));
    }

    @Test
    void theFirstFireIsRecordedAtOnceAndABurstInOneRecordAtTheEndOfTheInterval() {
        records.add(web, batch("e1"), patched("restarted Deployment shop/web"));
        assertThat(status().getFireCount()).isEqualTo(1L);
        assertThat(status().getLastEvent().getId()).isEqualTo("e1");
        assertThat(events(FireRecorder.REASON_FIRED)).hasSize(1);

        time.advance(Duration.ofMillis(100));
        records.add(web, batch("e2", "e3"), patched("restarted Deployment shop/web"));
        time.advance(Duration.ofMillis(100));
        records.add(web, batch("e4"), patched("restarted Deployment shop/web"));
        assertThat(status().getFireCount()).as("inside the interval: not written yet").isEqualTo(1L);

        time.advance(Duration.ofMillis(800));
        assertThat(status().getFireCount()).isEqualTo(3L);
        assertThat(status().getCoalescedCount()).isEqualTo(1L);
        assertThat(status().getLastEvent().getId()).isEqualTo("e4");
        assertThat(events(FireRecorder.REASON_FIRED)).as("one Event per reason, counted").singleElement().satisfies(e -> {
            assertThat(e.getCount()).isEqualTo(2);
            assertThat(e.getMessage()).contains("event e4").contains("2 fires since the last record");
        });
        assertThat(metrics.find("trigger_fires_total").tag("trigger", "restart-web").counter().count()).isEqualTo(3.0);
    }

    @Test
    void recordsGiveWayToFiresWaitingForAWorkerForAtMostTheDeferral() {
        records.add(web, batch("e1"), patched("restarted"));
        firesWaiting = true;
        records.add(web, batch("e2"), patched("restarted"));
        time.advance(FireRecords.INTERVAL.multipliedBy(5));
        assertThat(status().getFireCount()).isEqualTo(1L);
        time.advance(FireRecords.MAX_DEFERRAL);
        assertThat(status().getFireCount()).isEqualTo(2L);
    }

    @Test
    void countsContinueFromTheStatusAnEarlierLeaderWrote() {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").editStatus(t -> {
            TriggerStatus s = new TriggerStatus();
            s.setFireCount(41L);
            s.setCoalescedCount(7L);
            t.setStatus(s);
            return t;
        });
        records.add(web, batch("e1"), patched("restarted"));
        assertThat(status().getFireCount()).isEqualTo(42L);
        assertThat(status().getCoalescedCount()).isEqualTo(7L);
    }

    @Test
    void aRecordWaitsForTheWriteOfTheAcceptedEventItClearsWithoutHoldingItsThread() {
        var kept = new TriggerEvent(TriggerEvent.WEBHOOK, "kept", time.instant());
        PendingEvents pending = new PendingEvents();
        pending.add(kept);
        var write = pending.record(kept, time.instant(), false).written();
        // The fire ended before its accepted event's write did (the write is slow): the record is put off, the
        // thread returns at once (the test runs everything on its own thread, so a wait here would hang the test).
        records.add(web, pending.drain(), patched("restarted"));
        assertThat(status().getFireCount()).as("no record yet").isNull();

        new FireRecorder(cluster.client(), time).recordAccepted(cluster.trigger(NS, "restart-web"), kept);
        write.complete(null);
        time.advance(FireRecords.INTERVAL);
        assertThat(status().getFireCount()).isEqualTo(1);
        assertThat(status().getAcceptedEvents()).as("cleared after it was written, not before").isNullOrEmpty();
    }

    @Test
    void anEventThatFiresAtOnceIsWrittenOnlyIfItsAttemptIsToBeRetriedOrLate() {
        PendingEvents pending = new PendingEvents();
        var patched = new TriggerEvent(TriggerEvent.WEBHOOK, "patched", time.instant());
        pending.add(patched);
        PendingEvents.Recording first = pending.record(patched, time.instant(), true);
        records.keepAccepted(web, patched, first, Runnable::run);
        first.afterFirstAttempt().complete(patched("restarted"));
        assertThat(first.written()).isCompleted();
        time.advance(Duration.ofSeconds(5));

        pending = new PendingEvents();
        var retried = new TriggerEvent(TriggerEvent.WEBHOOK, "retried", time.instant());
        pending.add(retried);
        PendingEvents.Recording second = pending.record(retried, time.instant(), true);
        records.keepAccepted(web, retried, second, Runnable::run);
        second.afterFirstAttempt().complete(FireResult.unavailable("the API is unreachable"));

        pending = new PendingEvents();
        var late = new TriggerEvent(TriggerEvent.WEBHOOK, "late", time.instant());
        pending.add(late);
        PendingEvents.Recording third = pending.record(late, time.instant(), true);
        records.keepAccepted(web, late, third, Runnable::run);
        assertThat(third.written()).as("not yet tried, not yet written").isNotDone();
        time.advance(FireRecords.KEEP_UNFIRED_AFTER);
        assertThat(third.written()).isCompleted();

        assertThat(status().getAcceptedEvents()).containsOnlyKeys("retried", "late");
    }

    @Test
    void aReasonSeenAgainWithinTenMinutesUpdatesItsEventInsteadOfAddingOne() {
        FireRecorder recorder = new FireRecorder(cluster.client(), time);
        Trigger trigger = cluster.trigger(NS, "restart-web");
        recorder.recordEvent(trigger, false, FireRecorder.REASON_FIRED, "Fired on webhook event a");
        time.advance(Duration.ofMinutes(5));
        recorder.recordEvent(trigger, false, FireRecorder.REASON_FIRED, "Fired on webhook event b");
        recorder.recordEvent(trigger, true, FireRecorder.REASON_FIRE_FAILED, "Fire on webhook event c failed");
        assertThat(events(FireRecorder.REASON_FIRED)).singleElement().satisfies(e -> {
            assertThat(e.getCount()).isEqualTo(2);
            assertThat(e.getMessage()).isEqualTo("Fired on webhook event b");
            assertThat(e.getLastTimestamp()).isEqualTo(time.instant().toString());
            assertThat(e.getFirstTimestamp()).isEqualTo(time.instant().minus(Duration.ofMinutes(5)).toString());
        });
        assertThat(events(FireRecorder.REASON_FIRE_FAILED)).singleElement().satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));

        time.advance(FireRecorder.AGGREGATE_WITHIN);
        recorder.recordEvent(trigger, false, FireRecorder.REASON_FIRED, "Fired on webhook event d");
        assertThat(events(FireRecorder.REASON_FIRED)).as("after the window, a new Event").hasSize(2);

        // An Event the API server no longer has (expired after its TTL, or deleted) is written anew.
        cluster.client().v1().events().inNamespace(NS).delete();
        time.advance(Duration.ofSeconds(1));
        recorder.recordEvent(trigger, false, FireRecorder.REASON_FIRED, "Fired on webhook event e");
        assertThat(events(FireRecorder.REASON_FIRED)).singleElement().satisfies(e -> assertThat(e.getCount()).isEqualTo(1));
    }

    @Test
    void theAcceptedEventsAFireCarriedAreClearedByItsRecord() {
        var kept = new TriggerEvent(TriggerEvent.WEBHOOK, "kept", time.instant());
        new FireRecorder(cluster.client(), time).recordAccepted(cluster.trigger(NS, "restart-web"), kept);
        new FireRecorder(cluster.client(), time).recordAccepted(cluster.trigger(NS, "restart-web"),
                new TriggerEvent(TriggerEvent.WEBHOOK, "next-window", time.instant()));
        assertThat(status().getAcceptedEvents()).containsOnlyKeys("kept", "next-window");

        PendingEvents pending = new PendingEvents();
        pending.add(kept);
        pending.record(kept, time.instant(), false).written().complete(null);
        pending.add(new TriggerEvent(TriggerEvent.WEBHOOK, "folded", time.instant()));
        records.add(web, pending.drain(), patched("restarted"));
        assertThat(status().getAcceptedEvents()).containsOnlyKeys("next-window");
        assertThat(status().getLastEvent().getId()).isEqualTo("kept");
    }

    @Test
    void aRefusalCountsTheEventsThatCannotComeBackAsDropped() {
        PendingEvents pending = new PendingEvents();
        pending.add(new TriggerEvent(TriggerEvent.WEBHOOK, "w1", time.instant()));
        pending.add(new TriggerEvent(TriggerEvent.WEBHOOK, "w2", time.instant()));
        pending.add(TriggerEvent.redeliverable(TriggerEvent.SQS, "m1", time.instant()));
        records.add(web, pending.drain(), FireResult.refused("spec.suspend is true"));
        assertThat(status().getDroppedCount()).isEqualTo(2L);
        assertThat(status().getFireCount()).isZero();
        assertThat(events(FireRecorder.REASON_EVENTS_DROPPED)).singleElement().satisfies(e -> assertThat(e.getMessage())
                .contains("3 events not fired: spec.suspend is true (2 dropped, 1 left unacknowledged to come back)"));
    }

    @Test
    void aForgottenTriggerLeavesNoMeters() {
        records.add(web, batch("e1"), patched("restarted"));
        assertThat(metrics.find("trigger_fires_total").tag("trigger", "restart-web").meters()).isNotEmpty();
        records.forget(web);
        assertThat(metrics.find("trigger_fires_total").tag("trigger", "restart-web").meters()).isEmpty();
    }
}
