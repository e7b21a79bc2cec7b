package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.RolloutFollowing;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The one place where events become patches: the {@link FireScheduler} decides when a Trigger fires, the {@link ActionRunner}
 * patches its target, the {@link FireRecords} write what happened, the {@link RolloutTracker} follows the rollout. It owns their threads.
 */
public final class FireExecutor implements AutoCloseable {
    private final FireRecorder recorder;
    private final FireThreads threads;
    private final FireScheduler scheduler;
    private final FireRecords records;
    private final ScaleReverts reverts;
    private final RolloutTracker rollouts;

    /**
     * @param triggers the Trigger's newest spec the operator knows (the spec a fire acts on)
     * @param guard asked at the moment of every patch whether the Trigger may fire, and on which workload
     * @param onFired told after every fire (not a refusal), so the reconciler can show a failure on the status
     */
    public FireExecutor(KubernetesClient client, Clock clock, int threads, MeterRegistry metrics, Function<ResourceID, Optional<Trigger>> triggers,
                        FireGuard guard, BiConsumer<ResourceID, FireResult> onFired, RolloutFollowing following, RolloutListener rolloutEnded) {
        this.recorder = new FireRecorder(client, clock);
        this.threads = new FireThreads(threads);
        Timers timers = Timers.of(this.threads.timers);
        this.reverts = new ScaleReverts(client, clock, timers, this.threads.workers, guard, triggers, recorder);
        ActionRunner runner = new ActionRunner(new TargetResolver(client), guard, List.of(new RedeployAction(client), new ScaleUpAction(client, reverts)));
        this.records = new FireRecords(clock, timers, this.threads::recorderOf, this.threads::firesWaiting, recorder, metrics, triggers);
        records.onRolloutEnded(rolloutEnded);
        this.rollouts = RolloutTracker.start(client, clock, timers, following, triggers, records);
        rollouts.startWavesWith((id, event, wave) -> runner.runWave(triggers.apply(id).orElse(null), id.toString(), event, wave));
        this.scheduler = new FireScheduler(clock, timers, this.threads.workers,
                id -> triggers.apply(id).map(t -> t.getSpec().cooldownSecondsOrDefault()).orElse(0), RetryPolicy.DEFAULT,
                (id, batch) -> runner.run(triggers.apply(id).orElse(null), id.toString(), batch.carried()),
                (id, batch, result) -> {
                    rollouts.start(id, batch.carried(), result); // before its record, which shows the rollout
                    records.add(id, batch, result);
                    // A refusal is the reconciler's own finding (suspended, invalid, not granted): not a failed fire.
                    if (!result.refused()) onFired.accept(id, result);
                }, new TriggerWindows(triggers), records::held);
        rollouts.holdFiresOf(scheduler);
    }

    public FireRecorder recorder() {
        return recorder;
    }

    /** The Trigger's source starts on this process (a new leader): a rollout its status shows Progressing is followed again. */
    public void resumeRollout(Trigger trigger) {
        rollouts.resume(trigger);
    }

    /** The pending reverts of temporary scale-ups: the reconciler hands over what each status holds. */
    public ScaleReverts reverts() {
        return reverts;
    }

    /** Where fire records read the source's own fields of the record (TriggerSource#recorded: a cron Trigger's next slot). */
    public void useSourceFields(Function<ResourceID, Map<String, String>> sourceFields) {
        records.useSourceFields(sourceFields);
    }

    /** The Trigger's source fields of the record changed without a fire: written by the recorder (see FireRecords). */
    public void sourceFieldsChanged(ResourceID trigger) {
        records.sourceFieldsChanged(trigger);
    }

    /** Queues an event of the Trigger; the future completes with the result of the fire that carried it. */
    public CompletableFuture<FireResult> submit(ResourceID trigger, TriggerEvent event) {
        return submitAll(trigger, List.of(event)).get(0);
    }

    /** Queues an event that fires as soon as no fire runs, outside the windows and the cooldown (fire-now), with what waits. */
    public CompletableFuture<FireResult> submitNow(ResourceID trigger, TriggerEvent event) {
        records.received(trigger, List.of(event));
        return scheduler.submitNow(trigger, event);
    }

    /** The Trigger's spec changed: what waits is held again against its newest windows and cooldown. */
    public void reschedule(ResourceID trigger) {
        scheduler.reschedule(trigger);
    }

    /** Queues events received together (one fetched batch): they coalesce into one fire. Futures in event order. */
    public List<CompletableFuture<FireResult>> submitAll(ResourceID trigger, List<TriggerEvent> events) {
        records.received(trigger, events);
        return scheduler.submit(trigger, events);
    }

    /** Queues an event whose caller is told it was accepted (a webhook's 202) once {@link Accepted#recorded()} completes:
     * the first event of the next fire is written into status.acceptedEvents, later ones of that fire share the write,
     * and a new leader fires what the status holds ({@link #recover}). A failed write fails {@code recorded} (503). */
    public Accepted submitAccepted(ResourceID trigger, TriggerEvent event) {
        records.received(trigger, List.of(event));
        FireScheduler.Submitted submitted = scheduler.submitRecorded(trigger, event);
        records.keepAccepted(trigger, event, submitted.recording(), threads.acceptWriters);
        return new Accepted(submitted.fired(), submitted.recording().written());
    }

    /** {@code recorded} completes once the event is kept in the API, {@code fired} with its fire. */
    public record Accepted(CompletableFuture<FireResult> fired, CompletableFuture<Void> recorded) {}

    /** Fires, as one, the events an earlier leader accepted and had not fired (status.acceptedEvents), carrying the
     * newest: had that fire happened before the crash, the target holds its event id and nothing is patched again. */
    public List<CompletableFuture<FireResult>> recover(ResourceID trigger, List<TriggerEvent> accepted) {
        List<CompletableFuture<FireResult>> futures = scheduler.recover(trigger, accepted);
        if (!futures.isEmpty()) records.received(trigger, accepted);
        return futures;
    }

    /** Not to fire now (suspended, invalid, not granted): what waits is refused at once; redeliverable events come back. */
    public void refusePending(ResourceID trigger, String why) {
        scheduler.refuse(trigger, why);
    }

    /** The Trigger is gone: refuse what waits (sources do not acknowledge it) and forget its state and meters. */
    public void forget(ResourceID trigger) {
        scheduler.forget(trigger);
        records.forget(trigger);
        reverts.forget(trigger);
        rollouts.forget(trigger);
    }

    @Override
    public void close() {
        rollouts.close();
        threads.close(records::flush);
    }
}
