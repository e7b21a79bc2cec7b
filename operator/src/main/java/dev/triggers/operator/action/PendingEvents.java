package dev.triggers.operator.action;

import java.time.Duration;
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
 *
 * <p>A slot may be made durable (webhook events answered 202): its first accepted event is recorded in
 * the Trigger's status before the answer, and the calls that fold into the slot share that one write.
 * The fire then carries the newest recorded event, so a new leader that fires what the status still
 * holds after a crash carries the same event id again (and patches nothing) when that fire had happened.
 * A slot that fires at once needs no write when its first attempt succeeds: the target then holds the event.
 */
final class PendingEvents {
    private List<Pending> redeliverable = new ArrayList<>();
    private TriggerEvent newest;
    private Instant earliest;
    private long otherCount;
    private CompletableFuture<FireResult> otherDone;
    /** Events of this slot recorded (or being recorded) in status.acceptedEvents. */
    private List<TriggerEvent> recorded = new ArrayList<>();
    /** The write that recorded the newest of them; null while none was asked for. */
    private CompletableFuture<Void> recording;
    private Instant recordingStarted;
    /** For a slot that fires at once: its first attempt's result, which decides whether the write is needed. */
    private CompletableFuture<FireResult> firstAttempt;

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

    /** How long a failed write answers for the slot before the next call tries again: an outage costs no request per call. */
    static final Duration RETRY_FAILED_WRITE_AFTER = Duration.ofSeconds(1);

    /**
     * After {@link #add}: the write that makes the slot durable. {@code start} is true when the caller must make it
     * (the event opens the slot, or the slot's last write failed over a second ago): then the event is one the fire
     * may carry. A failed write's event is replaced, not kept: what the slot keeps stays bounded during an outage.
     * When the event opens a slot that {@code firesAtOnce}, the write waits for the fire's first attempt instead
     * ({@link Recording#afterFirstAttempt}): a patched target keeps the event better than a status entry would.
     */
    Recording record(TriggerEvent event, Instant now, boolean firesAtOnce) {
        if (recording != null) {
            if (!recording.isCompletedExceptionally()) return new Recording(recording, false, null);
            if (now.isBefore(recordingStarted.plus(RETRY_FAILED_WRITE_AFTER))) return new Recording(recording, false, null);
            recorded.remove(recorded.size() - 1);
        }
        recording = new CompletableFuture<>();
        recordingStarted = now;
        recorded.add(event);
        if (firesAtOnce) {
            firstAttempt = new CompletableFuture<>();
            return new Recording(recording, false, firstAttempt);
        }
        return new Recording(recording, true, null);
    }

    /** After {@link #add}: an event already in status.acceptedEvents (left by an earlier leader). */
    void recorded(TriggerEvent event) {
        if (recording != null && recording.isCompletedExceptionally()) recorded.remove(recorded.size() - 1);
        recorded.add(event);
        if (recording == null || recording.isCompletedExceptionally()) recording = CompletableFuture.completedFuture(null);
    }

    /**
     * @param written completes once the slot is durable (its callers are answered then)
     * @param start the caller writes the record now
     * @param afterFirstAttempt when not null, the caller writes the record only if this attempt leaves the event to
     *     be retried (or completes {@code written} without a write)
     */
    record Recording(CompletableFuture<Void> written, boolean start, CompletableFuture<FireResult> afterFirstAttempt) {}

    boolean isEmpty() {
        return newest == null;
    }

    /** Takes every waiting event out as one batch. */
    Batch drain() {
        Batch batch = new Batch(List.copyOf(redeliverable), otherDone, otherCount, newest, earliest, List.copyOf(recorded), recording,
                firstAttempt);
        firstAttempt = null;
        redeliverable = new ArrayList<>();
        recorded = new ArrayList<>();
        recording = null;
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
     * @param recorded the events of the batch recorded in status.acceptedEvents (cleared once it fired)
     * @param recording the last write of those records (null: none), which their clearing must follow
     * @param firstAttempt completed with the result of the batch's first attempt (null: nobody waits for it)
     */
    record Batch(List<Pending> redeliverable, CompletableFuture<FireResult> otherDone, long otherCount, TriggerEvent newest, Instant earliest,
                 List<TriggerEvent> recorded, CompletableFuture<Void> recording, CompletableFuture<FireResult> firstAttempt) {
        long size() {
            return redeliverable.size() + otherCount;
        }

        /**
         * The event the fire carries onto the target: the newest recorded one if any (the same choice a new leader
         * makes from the status alone), else the newest.
         */
        TriggerEvent carried() {
            return recorded.stream()
                    .max(java.util.Comparator.comparing(TriggerEvent::receivedAt).thenComparing(TriggerEvent::id))
                    .orElse(newest);
        }

        /** The newest fire-request annotation value among the batch's events, or null. */
        String fireRequest() {
            String request = null;
            for (Pending p : redeliverable) if (TriggerEvent.MANUAL.equals(p.event.source())) request = p.event.id();
            return request;
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
            List<TriggerEvent> records = new ArrayList<>(recorded);
            records.addAll(later.recorded);
            CompletableFuture<Void> writes = recording == null ? later.recording
                    : later.recording == null ? recording : CompletableFuture.allOf(recording, later.recording);
            // A batch that fires at once opens when none is firing, so it is never the later one here.
            return new Batch(all, done, otherCount + later.otherCount, later.newest, first, List.copyOf(records), writes, firstAttempt);
        }

        /** Tells who waits for the first attempt (a refusal ends a batch without one). */
        void attempted(FireResult result) {
            if (firstAttempt != null) firstAttempt.complete(result);
        }

        void complete(FireResult result) {
            attempted(result);
            for (Pending p : redeliverable) p.done.complete(result);
            if (otherDone != null) otherDone.complete(result);
        }
    }
}
