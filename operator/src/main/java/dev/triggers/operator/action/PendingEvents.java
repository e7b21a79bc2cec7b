package dev.triggers.operator.action;

import dev.triggers.operator.source.TriggerEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The events of one Trigger waiting for its next fire, bounded: an event its transport redelivers
 * (SQS, JetStream) is kept with its own future, since it is acknowledged only by its fire's outcome
 * and the transport bounds how many are in flight; every other event (webhook, core NATS, manual,
 * cron) folds into one slot — the newest event, a count and one future they all share — so a flood
 * costs no memory per event. Not thread-safe: the executor guards it.
 */
final class PendingEvents {
    private List<Pending> redeliverable = new ArrayList<>();
    private TriggerEvent newest;
    private Instant earliest;
    private long otherCount;
    private CompletableFuture<FireResult> otherDone;

    /** Adds an event; the future completes with the result of the fire that carries it. */
    CompletableFuture<FireResult> add(TriggerEvent event) {
        note(event);
        if (event.redeliverable()) {
            CompletableFuture<FireResult> done = new CompletableFuture<>();
            redeliverable.add(new Pending(event, done));
            return done;
        }
        otherCount++;
        if (otherDone == null) otherDone = new CompletableFuture<>();
        return otherDone;
    }

    boolean isEmpty() {
        return newest == null;
    }

    /** Takes every waiting event out as one batch. */
    Batch drain() {
        Batch batch = new Batch(List.copyOf(redeliverable), otherDone, otherCount, newest, earliest);
        redeliverable = new ArrayList<>();
        otherDone = null;
        otherCount = 0;
        newest = null;
        earliest = null;
        return batch;
    }

    private void note(TriggerEvent event) {
        newest = event;
        if (earliest == null || event.receivedAt().isBefore(earliest)) earliest = event.receivedAt();
    }

    record Pending(TriggerEvent event, CompletableFuture<FireResult> done) {}

    /**
     * Events taken together into one fire.
     *
     * @param redeliverable events acknowledged by the outcome, each with its future
     * @param otherDone the future shared by the folded events, or null when there were none
     * @param otherCount how many folded events share {@code otherDone}
     * @param newest the event the fire carries (the newest of all)
     * @param earliest when the oldest of them was received
     */
    record Batch(List<Pending> redeliverable, CompletableFuture<FireResult> otherDone, long otherCount, TriggerEvent newest, Instant earliest) {
        long size() {
            return redeliverable.size() + otherCount;
        }

        /** This batch with the events that arrived while it waited for a retry. */
        Batch plus(Batch later) {
            if (later.newest == null) return this;
            List<Pending> all = new ArrayList<>(redeliverable);
            all.addAll(later.redeliverable);
            CompletableFuture<FireResult> done = otherDone;
            if (done == null) done = later.otherDone;
            else if (later.otherDone != null) {
                CompletableFuture<FireResult> folded = later.otherDone;
                done.whenComplete((r, e) -> folded.complete(r));
            }
            Instant first = earliest.isBefore(later.earliest) ? earliest : later.earliest;
            return new Batch(all, done, otherCount + later.otherCount, later.newest, first);
        }

        void complete(FireResult result) {
            for (Pending p : redeliverable) p.done.complete(result);
            if (otherDone != null) otherDone.complete(result);
        }
    }
}
