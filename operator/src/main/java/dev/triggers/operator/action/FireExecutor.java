package dev.triggers.operator.action;

import dev.triggers.operator.support.DaemonThreads;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.RolloutFollowing;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where events become patches: the {@link FireScheduler} decides when a Trigger fires, the {@link ActionRunner}
 * patches its target, the {@link FireRecords} write what happened, the {@link RolloutTracker} follows the rollout. It owns their threads.
 */
public final class FireExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FireExecutor.class);

    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timers;
    /** Single-thread executors, a Trigger always on the same one: its records are written in order. */
    private final ExecutorService[] recorders;
    /** Writes of accepted events into status.acceptedEvents (one per coalescing window), off the HTTP threads. */
    private final ExecutorService acceptWriters;
    private final FireScheduler scheduler;
    private final FireRecords records;
    private final RolloutTracker rollouts;

    /**
     * @param triggers the Trigger's newest spec the operator knows (the spec a fire acts on)
     * @param guard asked at the moment of every patch whether the Trigger may fire, and on which workload
     * @param onFired told after every fire (not a refusal), so the reconciler can show a failure on the status
     */
    public FireExecutor(KubernetesClient client, Clock clock, int threads, MeterRegistry metrics, Function<ResourceID, Optional<Trigger>> triggers,
                        FireGuard guard, BiConsumer<ResourceID, FireResult> onFired, RolloutFollowing following, RolloutListener rolloutEnded) {
        this.workers = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads, DaemonThreads.named("fire"));
        this.timers = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("fire-cooldown"));
        this.acceptWriters = Executors.newFixedThreadPool(Math.max(2, threads / 2), DaemonThreads.named("fire-accept"));
        this.recorders = new ExecutorService[Math.max(2, threads / 2)];
        for (int i = 0; i < recorders.length; i++) recorders[i] = Executors.newSingleThreadExecutor(DaemonThreads.named("fire-record-" + i));
        ActionRunner runner = new ActionRunner(new TargetResolver(client), guard, List.of(new RedeployAction(client), new ScaleUpAction(client)));
        this.records = new FireRecords(clock, Timers.of(timers), id -> recorders[Math.floorMod(id.hashCode(), recorders.length)],
                () -> !workers.getQueue().isEmpty(), new FireRecorder(client, clock), metrics, triggers);
        records.onRolloutEnded(rolloutEnded);
        this.rollouts = RolloutTracker.start(client, clock, Timers.of(timers), following, triggers, records);
        this.scheduler = new FireScheduler(clock, Timers.of(timers), workers,
                id -> triggers.apply(id).map(t -> t.getSpec().cooldownSecondsOrDefault()).orElse(0), RetryPolicy.DEFAULT,
                (id, batch) -> runner.run(triggers.apply(id).orElse(null), id.toString(), batch.carried()),
                (id, batch, result) -> {
                    rollouts.start(id, batch.carried(), result); // before its record, which shows the rollout
                    records.add(id, batch, result);
                    // A refusal is the reconciler's own finding (suspended, invalid, not granted): not a failed fire.
                    if (!result.refused()) onFired.accept(id, result);
                });
        rollouts.holdFiresOf(scheduler);
    }

    public FireRecorder recorder() {
        return records.recorder();
    }

    /** The Trigger's source starts on this process (a new leader): a rollout its status shows Progressing is followed again. */
    public void resumeRollout(Trigger trigger) {
        rollouts.resume(trigger);
    }

    /** Where fire records get the status fields a successful fire changes, as its source says (a cron Trigger's next slot). */
    public void useDescribedAfter(BiFunction<ResourceID, TriggerEvent, Map<String, String>> describedAfter) {
        records.useDescribedAfter(describedAfter);
    }

    /** Queues an event of the Trigger; the future completes with the result of the fire that carried it. */
    public CompletableFuture<FireResult> submit(ResourceID trigger, TriggerEvent event) {
        return submitAll(trigger, List.of(event)).get(0);
    }

    /** Queues events received together (one fetched batch): they coalesce into one fire. Futures in event order. */
    public List<CompletableFuture<FireResult>> submitAll(ResourceID trigger, List<TriggerEvent> events) {
        records.received(trigger, events);
        return scheduler.submit(trigger, events);
    }

    /**
     * Queues an event whose caller is told it was accepted (a webhook's 202) once {@link Accepted#recorded()} completes:
     * the first event of the next fire is written into status.acceptedEvents, later ones of that fire share the write,
     * and a new leader fires what the status holds ({@link #recover}). A failed write fails {@code recorded} (503).
     */
    public Accepted submitAccepted(ResourceID trigger, TriggerEvent event) {
        records.received(trigger, List.of(event));
        FireScheduler.Submitted submitted = scheduler.submitRecorded(trigger, event);
        records.keepAccepted(trigger, event, submitted.recording(), acceptWriters);
        return new Accepted(submitted.fired(), submitted.recording().written());
    }

    /** {@code recorded} completes once the event is kept in the API, {@code fired} with its fire. */
    public record Accepted(CompletableFuture<FireResult> fired, CompletableFuture<Void> recorded) {}

    /**
     * Fires, as one, the events an earlier leader accepted and had not fired (status.acceptedEvents), carrying the
     * newest: had that fire happened before the crash, the target holds its event id and nothing is patched again.
     */
    public List<CompletableFuture<FireResult>> recover(ResourceID trigger, List<TriggerEvent> accepted) {
        List<CompletableFuture<FireResult>> futures = scheduler.recover(trigger, accepted);
        if (!futures.isEmpty()) {
            log.info("{}: firing {} webhook events accepted before the last leader stopped", trigger, accepted.size());
            records.received(trigger, accepted);
        }
        return futures;
    }

    /**
     * The Trigger may not fire now (suspended, invalid, not granted): its waiting events are refused at once, not at
     * the end of the cooldown; redeliverable ones come back, the others are dropped and counted.
     */
    public void refusePending(ResourceID trigger, String why) {
        scheduler.refuse(trigger, why);
    }

    /** The Trigger is gone: refuse what waits (sources do not acknowledge it) and forget its state and meters. */
    public void forget(ResourceID trigger) {
        records.forget(trigger, scheduler.forget(trigger));
        rollouts.forget(trigger);
    }

    @Override
    public void close() {
        timers.shutdownNow();
        acceptWriters.shutdownNow();
        rollouts.close();
        // Finish fires in flight (graceful shutdown), then their records, those waiting for their interval too; not for ever.
        DaemonThreads.shutdownAndWait(workers, Duration.ofSeconds(30));
        records.flush();
        for (ExecutorService r : recorders) DaemonThreads.shutdownAndWait(r, Duration.ofSeconds(30));
    }
}
