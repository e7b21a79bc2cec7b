package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.Trigger;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record of finished fires: per Trigger the counts, metrics and a log line for each fire, then, throttled, one
 * status patch and one Event per reason through the {@link FireRecorder}. Records are written off the fire path,
 * in order per Trigger, so the next event of a Trigger does not wait for them.
 */
final class FireRecords {
    private static final Logger log = LoggerFactory.getLogger(FireRecords.class);
    /**
     * A Trigger's record is written at most this often: the first fire after a quiet spell at once, later ones folded
     * into one record at the end of the interval. A burst of fires then costs the API one status patch and one Event
     * a second, not two writes per fire (the idea of the Kubernetes event recorder's spam filter).
     */
    static final Duration INTERVAL = Duration.ofSeconds(1);
    /** Records give way to fires waiting for a worker (a cron burst), for at most this long. */
    static final Duration MAX_DEFERRAL = Duration.ofSeconds(30);
    /** An event that fires at once but whose fire has not been tried by then is written into the status meanwhile. */
    static final Duration KEEP_UNFIRED_AFTER = Duration.ofSeconds(1);

    private final Clock clock;
    private final Timers timers;
    private final Function<ResourceID, Executor> inOrder;
    private final BooleanSupplier firesWaiting;
    private final FireRecorder recorder;
    private final MeterRegistry metrics;
    private final Function<ResourceID, Optional<Trigger>> triggers;
    private final Map<ResourceID, Log> logs = new ConcurrentHashMap<>();
    private final Map<ReceivedKey, Counter> receivedCounters = new ConcurrentHashMap<>();
    private volatile Function<ResourceID, Map<String, String>> sourceFields = id -> Map.of();
    private volatile Function<ResourceID, Optional<RolloutStatus>> rollouts = id -> Optional.empty();
    private volatile RolloutListener rolloutListener = RolloutListener.NONE;

    /**
     * @param inOrder the executor a Trigger's records are written on, always the same one per Trigger
     * @param firesWaiting whether fires wait for a worker now
     */
    FireRecords(Clock clock, Timers timers, Function<ResourceID, Executor> inOrder, BooleanSupplier firesWaiting, FireRecorder recorder,
                MeterRegistry metrics, Function<ResourceID, Optional<Trigger>> triggers) {
        this.clock = clock;
        this.timers = timers;
        this.inOrder = inOrder;
        this.firesWaiting = firesWaiting;
        this.recorder = recorder;
        this.metrics = metrics;
        this.triggers = triggers;
    }

    /** Where the record reads the source's own fields of it (TriggerSource#recorded), as they are at the write. */
    void useSourceFields(Function<ResourceID, Map<String, String>> sourceFields) {
        this.sourceFields = sourceFields;
    }

    /** The source's own fields changed without a fire (started, stopped, a slot missed): written in order, if they differ. */
    void sourceFieldsChanged(ResourceID trigger) {
        try {
            inOrder.apply(trigger).execute(() -> triggers.apply(trigger).ifPresent(t -> recorder.recordSourceFields(t, sourceFields.apply(trigger))));
        } catch (RejectedExecutionException e) {
            // Shutting down: the next leader's source writes them.
        }
    }

    FireRecorder recorder() {
        return recorder;
    }

    /** Where a record finds the rollout its Trigger follows now, written as status.lastRollout as it stands then. */
    void useRollouts(Function<ResourceID, Optional<RolloutStatus>> rollouts) {
        this.rollouts = rollouts;
    }

    /** Who is told of each rollout that ended, once its end is on the status (spec.notify). */
    void onRolloutEnded(RolloutListener listener) {
        this.rolloutListener = listener;
    }

    /** Writes status.waitingFor: why the Trigger's events wait (a paused Deployment), or null to clear it. */
    void waiting(ResourceID trigger, String why) {
        inOrder.apply(trigger).execute(() -> triggers.apply(trigger).ifPresent(found -> recorder.recordWaiting(found, why)));
    }

    /** A rollout moved on without a fire (a later wave started): status.lastRollout shows it, in order. */
    void rolloutProgressed(ResourceID trigger) {
        try {
            inOrder.apply(trigger).execute(() -> triggers.apply(trigger)
                    .ifPresent(found -> rollouts.apply(trigger).ifPresent(rollout -> recorder.recordRollout(found, rollout))));
        } catch (RejectedExecutionException e) {
            // Shutting down: the next leader follows it again.
        }
    }

    /**
     * Records a rollout that ended: its duration on the histogram (all outcomes), and, when the status shows it,
     * status.lastRollout and an Event RolloutComplete / RolloutFailed, in order with the Trigger's fire records.
     */
    void rolloutEnded(ResourceID trigger, RolloutStatus rollout, String action, Duration took, boolean shown) {
        // No per-Trigger tag on the histogram: its buckets times thousands of Triggers would cost memory.
        Timer.builder("trigger_rollout_duration").description("Fire to the end of the rollout it started")
                .tags("namespace", trigger.getNamespace().orElse(""), "action", action, "state", rollout.getState())
                .publishPercentileHistogram().register(metrics).record(took);
        if (!shown) return;
        inOrder.apply(trigger).execute(() -> {
            Trigger found = triggers.apply(trigger).orElse(null);
            if (found == null) return;
            recorder.recordRollout(found, rollout);
            try {
                rolloutListener.ended(found, rollout, took);
            } catch (RuntimeException e) {
                log.warn("{}: telling of the end of a rollout failed", trigger, e);
            }
            String what = "Rollout of event " + rollout.getEventId() + " ";
            if (RolloutStatus.COMPLETE.equals(rollout.getState())) {
                recorder.recordEvent(found, false, FireRecorder.REASON_ROLLOUT_COMPLETE, what + "complete in " + took.toSeconds() + " s: " + rollout.getReason());
            } else if (RolloutStatus.FAILED.equals(rollout.getState())) {
                recorder.recordEvent(found, true, FireRecorder.REASON_ROLLOUT_FAILED, what + "failed after " + took.toSeconds() + " s: " + rollout.getReason());
            }
        });
    }

    /** Queues a finished fire for its record; schedules the next write if none is due. */
    void add(ResourceID trigger, PendingEvents.Batch batch, FireResult result) {
        Log l = logs.computeIfAbsent(trigger, Log::new);
        Fired fired = new Fired(batch, result, clock.instant());
        long delay;
        synchronized (l) {
            l.unrecorded.add(fired);
            if (l.recordDue) return;
            l.recordDue = true;
            delay = l.lastRecord == null ? 0 : Math.max(0, Duration.between(clock.instant(), l.lastRecord.plus(INTERVAL)).toMillis());
        }
        schedule(l, fired.at, delay);
    }

    /** Counts events received (trigger_events_received_total). */
    void received(ResourceID trigger, List<TriggerEvent> events) {
        for (TriggerEvent e : events) {
            // Looked up, not registered per event: building the meter id showed in the webhook ingest profile.
            receivedCounters.computeIfAbsent(new ReceivedKey(trigger, e.source()), k -> Counter.builder("trigger_events_received_total")
                    .tags("namespace", trigger.getNamespace().orElse(""), "trigger", trigger.getName(), "source", k.source()).register(metrics))
                    .increment();
        }
    }

    private record ReceivedKey(ResourceID trigger, String source) {}

    /**
     * Makes an accepted event durable as its {@link PendingEvents.Recording} says, completing its {@code written}: a
     * write into status.acceptedEvents on {@code writers} now, or none (another call of the window writes). An event
     * that fires at once is answered when its first attempt ends, without a write, unless that attempt leaves it to a
     * retry (kept in memory only) or has not started within {@link #KEEP_UNFIRED_AFTER} (the workers are busy).
     */
    void keepAccepted(ResourceID trigger, TriggerEvent event, PendingEvents.Recording recording, Executor writers) {
        CompletableFuture<Void> written = recording.written();
        if (recording.start()) writeAccepted(trigger, event, written, writers);
        if (recording.afterFirstAttempt() == null) return;
        AtomicBoolean writing = new AtomicBoolean();
        Runnable keep = () -> {
            if (writing.compareAndSet(false, true)) writeAccepted(trigger, event, written, writers);
        };
        Runnable late;
        try {
            late = timers.schedule(keep, KEEP_UNFIRED_AFTER);
        } catch (RejectedExecutionException e) {
            late = () -> { };
        }
        Runnable cancelLate = late;
        recording.afterFirstAttempt().whenComplete((result, thrown) -> {
            cancelLate.run();
            // Patched, or nothing left to keep; a fire that waits for a paused Deployment keeps its events.
            if (thrown == null && !result.retryable() && !result.waitsForResume()) written.complete(null);
            else keep.run();
        });
    }

    private void writeAccepted(ResourceID trigger, TriggerEvent event, CompletableFuture<Void> written, Executor writers) {
        try {
            writers.execute(() -> {
                try {
                    recorder.recordAccepted(triggers.apply(trigger).orElseThrow(() -> new IllegalStateException(trigger + " is gone")), event);
                    written.complete(null);
                } catch (RuntimeException e) {
                    written.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            written.completeExceptionally(e);
        }
    }

    /**
     * The Trigger's events started to wait for a maintenance window (until: its start; null: none opens again): in
     * order, status.heldUntil and a Normal Event say so; the record of the fire that ends the hold clears it.
     */
    void held(ResourceID trigger, Instant until) {
        Log l = logs.computeIfAbsent(trigger, Log::new);
        synchronized (l) {
            l.heldAt = clock.instant();
        }
        String message = until == null ? "Events held: no maintenance window of spec.windows opens again; fix spec.windows, or fire now "
                + "with the triggers.dev/fire-now annotation" : "Events held outside the maintenance windows (spec.windows): they fold into "
                + "one fire when the next window opens, at " + until;
        try {
            inOrder.apply(trigger).execute(() -> triggers.apply(trigger).ifPresent(t -> {
                recorder.recordHeld(t, until);
                recorder.recordEvent(t, false, FireRecorder.REASON_HELD, message);
            }));
        } catch (RejectedExecutionException e) {
            // Shutting down: nothing fires here any more.
        }
    }

    /** Writes every waiting record now (shutting down). */
    void flush() {
        for (Log l : logs.values()) writeInOrder(l);
    }

    /** The Trigger is gone: its counts and its per-Trigger meters go too. */
    void forget(ResourceID trigger) {
        logs.remove(trigger);
        receivedCounters.keySet().removeIf(k -> k.trigger().equals(trigger));
        // Per-Trigger series would otherwise outlive the Trigger in every scrape.
        String ns = trigger.getNamespace().orElse("");
        for (String name : List.of("trigger_fires_total", "trigger_events_received_total", "trigger_events_coalesced_total", "trigger_events_dropped_total")) {
            for (Meter meter : metrics.find(name).tags("namespace", ns, "trigger", trigger.getName()).meters()) metrics.remove(meter);
        }
    }

    private void schedule(Log l, Instant firstFired, long delayMillis) {
        Runnable write = () -> {
            // Records give way to waiting fires, and wait for the writes of the accepted events they clear (without
            // holding the Trigger's writer thread, which other Triggers share).
            if ((firesWaiting.getAsBoolean() || l.acceptWritesPending()) && clock.instant().isBefore(firstFired.plus(MAX_DEFERRAL))) {
                schedule(l, firstFired, INTERVAL.toMillis());
                return;
            }
            writeInOrder(l);
        };
        if (delayMillis == 0) {
            write.run();
            return;
        }
        try {
            timers.schedule(write, Duration.ofMillis(delayMillis));
        } catch (RejectedExecutionException e) {
            // Shutting down: flush() writes every waiting record once the fires in flight are done.
        }
    }

    private void writeInOrder(Log l) {
        inOrder.apply(l.trigger).execute(() -> {
            try {
                write(l);
            } catch (RuntimeException e) {
                log.warn("{}: could not record the fire", l.trigger, e);
            }
        });
    }

    /**
     * Records the fires queued since the last record: metrics and a log line for each, then one status patch (counts,
     * the newest success and result, the accepted events done) and an Event for the newest success, failure, refusal.
     */
    private void write(Log l) {
        List<Fired> fires;
        synchronized (l) {
            fires = new ArrayList<>(l.unrecorded);
            l.unrecorded.clear();
            l.recordDue = false;
            l.lastRecord = clock.instant();
        }
        if (fires.isEmpty()) return;
        Optional<Trigger> found = triggers.apply(l.trigger);
        if (found.isEmpty()) return;
        Trigger trigger = found.get();
        // The accepted events these fires carried are done: cleared by the same patch, after their own writes (a
        // fire can end before the write that recorded its first event).
        List<String> acceptedDone = new ArrayList<>();
        String fireRequest = null;
        for (Fired f : fires) {
            // A write not done by now failed (its caller got a 503) or is unknown: clearing a missing entry is harmless.
            for (TriggerEvent e : f.batch.recorded()) acceptedDone.add(e.id());
            if (f.result.succeeded() && f.batch.fireRequest() != null) fireRequest = f.batch.fireRequest();
        }
        Fired lastSuccess = null;
        Fired lastFailure = null;
        Fired lastRefusal = null;
        long refusedEvents = 0;
        long droppedEvents = 0;
        boolean wasHeld;
        synchronized (l) {
            // Only a fire that ended after the hold began ends it (not the record of an earlier fire).
            wasHeld = l.heldAt != null && fires.stream().anyMatch(f -> !f.at.isBefore(l.heldAt));
            if (wasHeld) l.heldAt = null;
            acceptedDone.addAll(l.uncleared);
            l.uncleared.clear();
            if (l.fireCount < 0) {
                var status = Optional.ofNullable(trigger.getStatus());
                l.fireCount = status.map(s -> s.getFireCount()).orElse(0L);
                l.coalescedCount = status.map(s -> s.getCoalescedCount()).orElse(0L);
                l.droppedCount = status.map(s -> s.getDroppedCount()).orElse(0L);
            }
            for (Fired f : fires) {
                if (f.result.refused()) {
                    // Redeliverable events come back; the others are lost to this refusal and counted.
                    l.droppedCount += f.batch.otherCount();
                } else {
                    if (f.result.succeeded()) l.fireCount++;
                    l.coalescedCount += f.batch.size() - 1;
                }
            }
        }
        String ns = trigger.getMetadata().getNamespace();
        String name = trigger.getMetadata().getName();
        String action = trigger.getSpec().actionOrDefault().typeOrDefault();
        for (Fired f : fires) {
            TriggerEvent event = f.event();
            if (f.result.refused()) {
                log.warn("{}/{}: {} events not fired (newest: {} event {}): {}", ns, name, f.batch.size(), event.source(), event.id(), f.result.summary());
                counter("trigger_events_dropped_total", l.trigger, event.source()).increment(f.batch.otherCount());
                refusedEvents += f.batch.size();
                droppedEvents += f.batch.otherCount();
                lastRefusal = f;
                continue;
            }
            String outcome = FireRecorder.outcomeTag(f.result);
            // No per-Trigger tag on the histogram: its buckets times thousands of Triggers would cost memory.
            Timer.builder("trigger_fire_latency").description("Event received to target patched")
                    .tags("namespace", ns, "source", event.source(), "action", action, "outcome", outcome)
                    .publishPercentileHistogram().register(metrics).record(Duration.between(f.batch.earliest(), f.at));
            Counter.builder("trigger_fires_total").description("Fires, by outcome")
                    .tags("namespace", ns, "trigger", name, "source", event.source(), "action", action, "outcome", outcome)
                    .register(metrics).increment();
            if (f.batch.size() > 1) counter("trigger_events_coalesced_total", l.trigger, event.source()).increment(f.batch.size() - 1);
            if (f.result.succeeded()) {
                log.info("{}/{}: fired on {} event {}{}: {}", ns, name, event.source(), event.id(), f.folded(), f.result.summary());
                lastSuccess = f;
            } else {
                log.warn("{}/{}: fire on {} event {} failed{}: {}", ns, name, event.source(), event.id(), f.folded(), f.result.summary());
                lastFailure = f;
            }
        }
        long count;
        long coalesced;
        long dropped;
        synchronized (l) {
            count = l.fireCount;
            coalesced = l.coalescedCount;
            dropped = l.droppedCount;
        }
        Fired newest = fires.get(fires.size() - 1);
        Map<String, String> fields = sourceFields.apply(l.trigger);
        if (wasHeld) {
            fields = new java.util.HashMap<>(fields);
            fields.put("heldUntil", null); // the hold ended with these fires (or their refusal)
        }
        boolean written = recorder.recordStatus(trigger, lastSuccess == null ? null : lastSuccess.event(), lastSuccess == null ? null : lastSuccess.at,
                newest.result, count, coalesced, dropped, fireRequest, acceptedDone, fields, rollouts.apply(l.trigger).orElse(null));
        if (!written && !acceptedDone.isEmpty()) {
            synchronized (l) {
                l.uncleared.addAll(acceptedDone); // with the next record
            }
        }
        String more = fires.size() > 1 ? " (" + fires.size() + " fires since the last record)" : "";
        if (lastRefusal != null) {
            long redelivered = refusedEvents - droppedEvents;
            recorder.recordEvent(trigger, true, FireRecorder.REASON_EVENTS_DROPPED, refusedEvents + " events not fired: "
                    + lastRefusal.result.summary() + " (" + droppedEvents + " dropped"
                    + (redelivered > 0 ? ", " + redelivered + " left unacknowledged to come back" : "") + ")");
        }
        if (lastSuccess != null) {
            recorder.recordEvent(trigger, false, FireRecorder.REASON_FIRED, "Fired on " + lastSuccess.event().source() + " event "
                    + lastSuccess.event().id() + lastSuccess.folded() + ": " + lastSuccess.result.summary() + more);
        }
        if (lastFailure != null) {
            recorder.recordEvent(trigger, true, FireRecorder.REASON_FIRE_FAILED, "Fire on " + lastFailure.event().source() + " event "
                    + lastFailure.event().id() + " failed: " + lastFailure.result.summary() + more);
        }
    }

    private Counter counter(String name, ResourceID trigger, String source) {
        return Counter.builder(name).tags("namespace", trigger.getNamespace().orElse(""), "trigger", trigger.getName(), "source", source)
                .register(metrics);
    }

    /** A finished fire waiting for its record: the events it carried, its result and when it ended. */
    private record Fired(PendingEvents.Batch batch, FireResult result, Instant at) {
        TriggerEvent event() {
            return batch.carried();
        }

        String folded() {
            return batch.size() > 1 ? " (" + batch.size() + " events coalesced)" : "";
        }
    }

    /** A Trigger's counts and records waiting to be written; guarded by synchronizing on it. */
    private static final class Log {
        final ResourceID trigger;
        long fireCount = -1;
        long coalescedCount;
        long droppedCount;
        final List<Fired> unrecorded = new ArrayList<>();
        /** Accepted events fired whose clearing from the status failed: retried with the next record. */
        final List<String> uncleared = new ArrayList<>();
        boolean recordDue;
        Instant lastRecord;
        /** When events last started to wait for a window; the record of a fire after it clears status.heldUntil. Null: none. */
        Instant heldAt;

        Log(ResourceID trigger) {
            this.trigger = trigger;
        }

        /** Whether a fire waiting for its record carried an accepted event whose write is still in flight. */
        synchronized boolean acceptWritesPending() {
            for (Fired f : unrecorded) if (f.batch.recording() != null && !f.batch.recording().isDone()) return true;
            return false;
        }
    }
}
