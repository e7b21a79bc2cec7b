package dev.triggers.operator.action;

import dev.triggers.operator.DaemonThreads;
import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.TriggerEvent;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where events become patches. Per Trigger, fires never overlap, and events that arrive
 * during a fire or within cooldownSeconds after one are folded into one more fire (at the end of the
 * cooldown); every folded event's future completes with that fire's result, so sources acknowledge it
 * only when the fire it rode on succeeded: no burst becomes a rollout storm and no event is lost.
 */
public final class FireExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FireExecutor.class);

    private final Function<ResourceID, Optional<Trigger>> triggers;
    private final FireGuard guard;
    private final BiConsumer<ResourceID, FireResult> onFired;
    private final Clock clock;
    private final TargetResolver resolver;
    private final RedeployAction redeploy;
    private final ScaleUpAction scaleUp;
    private final FireRecorder recorder;
    private final MeterRegistry metrics;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timers;
    /** Single-thread executors, a Trigger always on the same one: its records are written in order. */
    private final ExecutorService[] recorders;
    private final Map<ResourceID, Gate> gates = new ConcurrentHashMap<>();
    /** Writes of accepted events into status.acceptedEvents (one per coalescing window), off the HTTP threads. */
    private final ExecutorService acceptWriters;
    /** Triggers whose status.acceptedEvents this process has taken over (once: later sources are its own). */
    private final java.util.Set<ResourceID> recovered = ConcurrentHashMap.newKeySet();
    /** Retries of a fire that failed for a passing reason: 0.5 s doubling to 30 s, about 10 minutes in all. */
    static final int MAX_ATTEMPTS = 25;
    static final long RETRY_FIRST_DELAY_MS = 500;
    static final long RETRY_MAX_DELAY_MS = 30_000;
    /**
     * A Trigger's fire record (status and Event) is written at most this often: the first fire after a
     * quiet spell at once, later ones folded into one record at the end of the interval. A burst of
     * fires then costs the API one status patch and one Event a second, not two writes per fire (the
     * same idea as the Kubernetes event recorder's spam filter).
     */
    static final Duration RECORD_INTERVAL = Duration.ofSeconds(1);
    static final Duration RECORD_MAX_DEFERRAL = Duration.ofSeconds(30);

    /**
     * @param triggers the Trigger's newest spec the operator knows (the spec a fire acts on)
     * @param guard asked at the moment of every patch whether the Trigger may fire, and on which workload
     * @param onFired told after every fire, so the reconciler can show a failure on the status
     */
    public FireExecutor(KubernetesClient client, Clock clock, int threads, MeterRegistry metrics,
                        Function<ResourceID, Optional<Trigger>> triggers, FireGuard guard, BiConsumer<ResourceID, FireResult> onFired) {
        this.triggers = triggers;
        this.guard = guard;
        this.onFired = onFired;
        this.clock = clock;
        this.metrics = metrics;
        this.resolver = new TargetResolver(client);
        this.redeploy = new RedeployAction(client);
        this.scaleUp = new ScaleUpAction(client);
        this.recorder = new FireRecorder(client, clock);
        this.workers = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads, DaemonThreads.named("fire"));
        this.timers = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("fire-cooldown"));
        this.acceptWriters = Executors.newFixedThreadPool(Math.max(2, threads / 2), DaemonThreads.named("fire-accept"));
        this.recorders = new ExecutorService[Math.max(2, threads / 2)];
        for (int i = 0; i < recorders.length; i++) recorders[i] = Executors.newSingleThreadExecutor(DaemonThreads.named("fire-record-" + i));
    }

    public FireRecorder recorder() {
        return recorder;
    }

    /** Queues an event of the Trigger; the future completes with the result of the fire that carried it. */
    public CompletableFuture<FireResult> submit(ResourceID trigger, TriggerEvent event) {
        return submitAll(trigger, List.of(event)).get(0);
    }

    /**
     * Queues events received together (one fetched batch): they are all pending before the executor
     * looks, so they coalesce into one fire. The futures are in the order of the events.
     */
    public List<CompletableFuture<FireResult>> submitAll(ResourceID trigger, List<TriggerEvent> events) {
        List<CompletableFuture<FireResult>> futures = new ArrayList<>(events.size());
        Gate gate = gates.computeIfAbsent(trigger, Gate::new);
        synchronized (gate) {
            for (TriggerEvent event : events) futures.add(gate.pending.add(event));
        }
        for (TriggerEvent event : events) counter("trigger_events_received_total", trigger, event.source()).increment();
        dispatch(gate);
        return futures;
    }

    /**
     * Queues an event that its caller is told was accepted (a webhook's 202) once {@link Accepted#recorded()}
     * completes: the first event of the Trigger's next fire is written into status.acceptedEvents first, and the
     * events that fold into the same fire share that write. Should the leader die before the fire, the next one
     * fires what the status holds ({@link #recover}). A failed write fails {@code recorded} (answer 503).
     */
    public Accepted submitAccepted(ResourceID trigger, TriggerEvent event) {
        Gate gate = gates.computeIfAbsent(trigger, Gate::new);
        CompletableFuture<FireResult> fired;
        PendingEvents.Recording recording;
        synchronized (gate) {
            fired = gate.pending.add(event);
            recording = gate.pending.record(event);
        }
        counter("trigger_events_received_total", trigger, event.source()).increment();
        if (recording.start()) {
            CompletableFuture<Void> written = recording.written();
            try {
                acceptWriters.execute(() -> {
                    try {
                        Trigger current = triggers.apply(trigger).orElseThrow(() -> new IllegalStateException("Trigger " + trigger + " is gone"));
                        recorder.recordAccepted(current, event);
                        written.complete(null);
                    } catch (RuntimeException e) {
                        written.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                written.completeExceptionally(e);
            }
        }
        dispatch(gate);
        return new Accepted(fired, recording.written());
    }

    /** An accepted event: {@code recorded} completes once it is kept in the API, {@code fired} with its fire. */
    public record Accepted(CompletableFuture<FireResult> fired, CompletableFuture<Void> recorded) {}

    /**
     * Takes over the events an earlier leader accepted and had not fired (status.acceptedEvents): they fire as one,
     * carrying the newest of them, so if that fire had happened before the crash the target already holds its
     * event id and nothing is patched again. Only the first call per Trigger in this process counts.
     */
    public List<CompletableFuture<FireResult>> recover(ResourceID trigger, List<TriggerEvent> accepted) {
        if (accepted.isEmpty() || !recovered.add(trigger)) return List.of();
        Gate gate = gates.computeIfAbsent(trigger, Gate::new);
        List<CompletableFuture<FireResult>> futures = new ArrayList<>();
        synchronized (gate) {
            for (TriggerEvent event : accepted) {
                futures.add(gate.pending.add(event));
                gate.pending.recorded(event);
            }
        }
        log.info("{}: firing {} webhook events accepted before the last leader stopped", trigger, accepted.size());
        for (TriggerEvent event : accepted) counter("trigger_events_received_total", trigger, event.source()).increment();
        dispatch(gate);
        return futures;
    }

    /** The Trigger is gone: refuse what waits (sources do not acknowledge it) and forget its state and meters. */
    public void forget(ResourceID trigger) {
        recovered.remove(trigger);
        Gate gate = gates.remove(trigger);
        if (gate != null) {
            PendingEvents.Batch dropped;
            synchronized (gate) {
                if (gate.timer != null) gate.timer.cancel(false);
                dropped = gate.pending.drain();
            }
            if (dropped.newest() != null) {
                log.warn("{}: {} waiting events not fired: the Trigger was deleted", trigger, dropped.size());
                dropped.complete(FireResult.refused("Trigger " + trigger + " was deleted before it fired"));
            }
        }
        // Per-Trigger series would otherwise outlive the Trigger in every scrape.
        String ns = trigger.getNamespace().orElse("");
        for (Meter meter : metrics.find("trigger_fires_total").tags("namespace", ns, "trigger", trigger.getName()).meters()) metrics.remove(meter);
        for (String name : List.of("trigger_events_received_total", "trigger_events_coalesced_total", "trigger_events_dropped_total")) {
            for (Meter meter : metrics.find(name).tags("namespace", ns, "trigger", trigger.getName()).meters()) metrics.remove(meter);
        }
    }

    /**
     * The Trigger may not fire now (suspended, invalid, its target not granted): its waiting events are
     * refused at once rather than at the end of the cooldown. Redeliverable ones are not acknowledged
     * and come back; the others are dropped, counted on the status and named in a Warning Event.
     */
    public void refusePending(ResourceID trigger, String why) {
        Gate gate = gates.get(trigger);
        if (gate == null) return;
        PendingEvents.Batch batch;
        synchronized (gate) {
            if (gate.pending.isEmpty()) return;
            if (gate.timer != null) {
                gate.timer.cancel(false);
                gate.timer = null;
            }
            batch = gate.pending.drain();
        }
        FireResult result = FireResult.refused(why);
        queueRecord(gate, new Fired(batch, result, clock.instant()));
        batch.complete(result);
    }

    private void dispatch(Gate gate) {
        PendingEvents.Batch batch;
        synchronized (gate) {
            if (gate.running || gate.pending.isEmpty() || gate.timer != null) return;
            int cooldown = triggers.apply(gate.trigger).map(t -> t.getSpec().cooldownSecondsOrDefault()).orElse(0);
            Instant now = clock.instant();
            if (gate.lastFire != null && cooldown > 0) {
                Duration wait = Duration.between(now, gate.lastFire.plusSeconds(cooldown));
                if (!wait.isNegative() && !wait.isZero()) {
                    gate.timer = timers.schedule(() -> {
                        synchronized (gate) {
                            gate.timer = null;
                        }
                        dispatch(gate);
                    }, wait.toMillis(), TimeUnit.MILLISECONDS);
                    return;
                }
            }
            batch = gate.pending.drain();
            gate.running = true;
            gate.lastFire = now;
        }
        workers.execute(() -> run(gate, batch));
    }

    private void run(Gate gate, PendingEvents.Batch batch) {
        FireResult result;
        try {
            result = fire(gate, batch);
        } catch (RuntimeException e) {
            log.error("{}: fire failed unexpectedly", gate.trigger, e);
            result = FireResult.failed("internal error while firing: " + KubernetesErrors.rootMessage(e));
        }
        if (result.retryable() && retry(gate, batch)) return;
        // The fire is done once the target is patched: the record (status, Event) is written off the fire
        // path, in order per Trigger and throttled, so the next event of this Trigger does not wait for it.
        queueRecord(gate, new Fired(batch, result, clock.instant()));
        synchronized (gate) {
            gate.running = false;
            gate.attempts = 0;
        }
        batch.complete(result);
        try {
            // A refusal is the reconciler's own finding (suspended, invalid, not granted): not a failed fire.
            if (!result.refused()) onFired.accept(gate.trigger, result);
        } catch (RuntimeException e) {
            log.warn("{}: fire listener failed", gate.trigger, e);
        }
        dispatch(gate);
    }

    /**
     * A fire that failed for a passing reason (API unreachable, 5xx, conflict) is tried again with
     * backoff, still holding its events (and folding in new ones), so an outage of the API server loses
     * nothing. Patches are deterministic per event, so a retry never doubles an effect.
     */
    private boolean retry(Gate gate, PendingEvents.Batch batch) {
        long delay;
        synchronized (gate) {
            if (gate.attempts >= MAX_ATTEMPTS || gates.get(gate.trigger) != gate) return false;
            delay = Math.min(RETRY_MAX_DELAY_MS, RETRY_FIRST_DELAY_MS << Math.min(gate.attempts, 10));
            gate.attempts++;
        }
        log.info("{}: fire failed for a passing reason, retry {} in {} ms", gate.trigger, gate.attempts, delay);
        timers.schedule(() -> {
            PendingEvents.Batch next;
            synchronized (gate) {
                next = batch.plus(gate.pending.drain());
            }
            workers.execute(() -> run(gate, next));
        }, delay, TimeUnit.MILLISECONDS);
        return true;
    }

    /**
     * Acts on the target for the batch (its newest event), without recording anything: with the
     * Trigger's newest spec, and only if the guard allows it at this moment.
     */
    private FireResult fire(Gate gate, PendingEvents.Batch batch) {
        Optional<Trigger> found = triggers.apply(gate.trigger);
        if (found.isEmpty()) return FireResult.refused("Trigger " + gate.trigger + " no longer exists");
        Trigger trigger = found.get();
        String refusal = guard.refusal(trigger);
        if (refusal != null) return FireResult.refused(refusal);
        return act(trigger, trigger.getSpec().actionOrDefault(), batch.carried());
    }

    /** Queues a finished fire for its record; schedules the next write if none is due. */
    private void queueRecord(Gate gate, Fired fired) {
        long delay;
        synchronized (gate) {
            gate.unrecorded.add(fired);
            if (gate.recordDue) return;
            gate.recordDue = true;
            delay = gate.lastRecord == null ? 0 : Math.max(0, Duration.between(clock.instant(), gate.lastRecord.plus(RECORD_INTERVAL)).toMillis());
        }
        scheduleRecord(gate, fired.at, delay);
    }

    /**
     * Writes the gate's record after the delay, or later while other fires wait for a worker: records
     * give way to patches (a burst of cron fires on one slot), for at most RECORD_MAX_DEFERRAL.
     */
    private void scheduleRecord(Gate gate, Instant firstFired, long delayMillis) {
        Runnable write = () -> {
            boolean firesWaiting = !workers.getQueue().isEmpty();
            if (firesWaiting && clock.instant().isBefore(firstFired.plus(RECORD_MAX_DEFERRAL))) {
                scheduleRecord(gate, firstFired, RECORD_INTERVAL.toMillis());
                return;
            }
            writeRecordsInOrder(gate);
        };
        if (delayMillis == 0) {
            write.run();
            return;
        }
        try {
            timers.schedule(write, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Shutting down: close() writes every gate's waiting records once the fires in flight are done.
        }
    }

    /** Writes the gate's waiting records on its Trigger's recorder thread (so records stay in order). */
    private void writeRecordsInOrder(Gate gate) {
        recorderFor(gate.trigger).execute(() -> {
            try {
                writeRecords(gate);
            } catch (RuntimeException e) {
                log.warn("{}: could not record the fire", gate.trigger, e);
            }
        });
    }

    /**
     * Records the fires queued since the last record: metrics and a log line for each, then one status
     * patch (counts, the newest success and the newest result) and an Event for the newest success and
     * the newest failure.
     */
    private void writeRecords(Gate gate) {
        List<Fired> fires;
        synchronized (gate) {
            fires = new ArrayList<>(gate.unrecorded);
            gate.unrecorded.clear();
            gate.recordDue = false;
            gate.lastRecord = clock.instant();
        }
        if (fires.isEmpty()) return;
        Optional<Trigger> found = triggers.apply(gate.trigger);
        if (found.isEmpty()) return;
        Trigger trigger = found.get();
        String ns = trigger.getMetadata().getNamespace();
        String name = trigger.getMetadata().getName();
        ActionSpec action = trigger.getSpec().actionOrDefault();
        // The accepted events these fires carried are done: cleared from the status by the same patch, after
        // their own writes (a fire can end before the write that recorded its first event).
        List<String> acceptedDone = new ArrayList<>();
        String fireRequest = null;
        for (Fired f : fires) {
            for (TriggerEvent e : f.batch.recorded()) acceptedDone.add(e.id());
            if (f.batch.recording() != null) {
                try {
                    f.batch.recording().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // Not recorded (its caller got a 503) or still unknown: clearing a missing entry is harmless.
                }
            }
            if (f.result.succeeded() && f.batch.fireRequest() != null) fireRequest = f.batch.fireRequest();
        }
        synchronized (gate) {
            acceptedDone.addAll(gate.uncleared);
            gate.uncleared.clear();
        }
        Fired lastSuccess = null;
        Fired lastFailure = null;
        Fired lastRefusal = null;
        long refusedEvents = 0;
        long droppedEvents = 0;
        long count;
        long coalesced;
        long dropped;
        synchronized (gate) {
            if (gate.fireCount < 0) {
                gate.fireCount = Optional.ofNullable(trigger.getStatus()).map(s -> s.getFireCount()).orElse(0L);
                gate.coalescedCount = Optional.ofNullable(trigger.getStatus()).map(s -> s.getCoalescedCount()).orElse(0L);
                gate.droppedCount = Optional.ofNullable(trigger.getStatus()).map(s -> s.getDroppedCount()).orElse(0L);
            }
            for (Fired f : fires) {
                if (f.result.refused()) {
                    // Redeliverable events come back; the others are lost to this refusal and counted.
                    gate.droppedCount += f.batch.otherCount();
                    continue;
                }
                if (f.result.succeeded()) gate.fireCount++;
                gate.coalescedCount += f.batch.size() - 1;
            }
            count = gate.fireCount;
            coalesced = gate.coalescedCount;
            dropped = gate.droppedCount;
        }
        for (Fired f : fires) {
            TriggerEvent event = f.event();
            if (f.result.refused()) {
                log.warn("{}/{}: {} events not fired (newest: {} event {}): {}", ns, name, f.batch.size(), event.source(), event.id(), f.result.summary());
                counter("trigger_events_dropped_total", gate.trigger, event.source()).increment(f.batch.otherCount());
                refusedEvents += f.batch.size();
                droppedEvents += f.batch.otherCount();
                lastRefusal = f;
                continue;
            }
            String outcome = FireRecorder.outcomeTag(f.result);
            // No per-Trigger tag on the histogram: its buckets times thousands of Triggers would cost memory.
            Timer.builder("trigger_fire_latency").description("Event received to target patched")
                    .tags("namespace", ns, "source", event.source(), "action", action.typeOrDefault(), "outcome", outcome)
                    .publishPercentileHistogram().register(metrics).record(Duration.between(earliest(f.batch), f.at));
            Counter.builder("trigger_fires_total").description("Fires, by outcome")
                    .tags("namespace", ns, "trigger", name, "source", event.source(), "action", action.typeOrDefault(), "outcome", outcome)
                    .register(metrics).increment();
            if (f.batch.size() > 1) counter("trigger_events_coalesced_total", gate.trigger, event.source()).increment(f.batch.size() - 1);
            if (f.result.succeeded()) {
                log.info("{}/{}: fired on {} event {}{}: {}", ns, name, event.source(), event.id(), f.folded(), f.result.summary());
                lastSuccess = f;
            } else {
                log.warn("{}/{}: fire on {} event {} failed{}: {}", ns, name, event.source(), event.id(), f.folded(), f.result.summary());
                lastFailure = f;
            }
        }
        Fired newest = fires.get(fires.size() - 1);
        boolean written = recorder.recordStatus(trigger, lastSuccess == null ? null : lastSuccess.event(), lastSuccess == null ? null : lastSuccess.at,
                newest.result, count, coalesced, dropped, fireRequest, acceptedDone);
        if (!written && !acceptedDone.isEmpty()) {
            synchronized (gate) {
                gate.uncleared.addAll(acceptedDone); // with the next record
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

    private FireResult act(Trigger trigger, ActionSpec action, TriggerEvent event) {
        List<HasMetadata> workloads;
        try {
            workloads = resolver.resolve(trigger);
        } catch (RuntimeException e) {
            String message = KubernetesErrors.describe(e, "look up", TargetResolver.describe(trigger));
            return KubernetesErrors.isTransient(e) ? FireResult.unavailable(message) : FireResult.failed(message);
        }
        if (workloads.isEmpty()) return FireResult.failed(TargetResolver.notFoundMessage(trigger));
        List<WorkloadResult> results = new ArrayList<>();
        for (HasMetadata workload : workloads) {
            String refusal = guard.workloadRefusal(trigger, workload);
            if (refusal != null) {
                results.add(WorkloadResult.failed(TargetResolver.ref(workload), refusal));
                continue;
            }
            results.add(ActionSpec.SCALE_UP.equals(action.typeOrDefault())
                    ? scaleUp.apply(workload, action.getScaleUp(), event)
                    : redeploy.apply(workload, trigger, event));
        }
        return FireResult.of(results);
    }

    private static Instant earliest(PendingEvents.Batch batch) {
        return batch.earliest();
    }

    private Counter counter(String name, ResourceID trigger, String source) {
        return Counter.builder(name).tags("namespace", trigger.getNamespace().orElse(""), "trigger", trigger.getName(), "source", source)
                .register(metrics);
    }

    @Override
    public void close() {
        timers.shutdownNow();
        acceptWriters.shutdownNow();
        // Finish fires in flight (graceful shutdown), then their records, but do not wait for ever.
        DaemonThreads.shutdownAndWait(workers, Duration.ofSeconds(30));
        // Records still waiting for their interval are written now, not dropped with the timers.
        for (Gate gate : gates.values()) writeRecordsInOrder(gate);
        for (ExecutorService recorder : recorders) DaemonThreads.shutdownAndWait(recorder, Duration.ofSeconds(30));
    }

    private ExecutorService recorderFor(ResourceID trigger) {
        return recorders[Math.floorMod(trigger.hashCode(), recorders.length)];
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

    /** Per-Trigger state: guarded by synchronizing on the gate. */
    private static final class Gate {
        final ResourceID trigger;
        final PendingEvents pending = new PendingEvents();
        boolean running;
        Instant lastFire;
        ScheduledFuture<?> timer;
        long fireCount = -1;
        int attempts;
        long coalescedCount;
        long droppedCount;
        final List<Fired> unrecorded = new ArrayList<>();
        /** Accepted events fired whose clearing from the status failed: retried with the next record. */
        final List<String> uncleared = new ArrayList<>();
        boolean recordDue;
        Instant lastRecord;

        Gate(ResourceID trigger) {
            this.trigger = trigger;
        }
    }
}
