package dev.triggers.operator.source.cron;

import dev.triggers.operator.schedule.CronSchedule;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cron source of one Trigger, run by the shared {@link CronScheduler}.
 *
 * <p>Exactly one effect per slot, across restarts and failover, rests on three things:
 * <ol>
 *   <li>The slot is the event: id = the slot's RFC 3339 instant, receivedAt = the slot. So a fire of a
 *       slot is deterministic: Redeploy writes the same pod template every time (restartedAt and
 *       event-id come from the event), and ScaleUp records the event id on the workload in the same
 *       resourceVersion-guarded patch as the replica count. Repeating a slot's fire changes nothing.</li>
 *   <li>Before firing, the source checks status.lastScheduleTime (written by the executor after the
 *       patch) and what it fired itself: slots at or before it are done. A new operator (restart, new
 *       leader) reads it from the Trigger; only the window "patched, status not yet written" is left,
 *       and point 1 makes a repeat in that window harmless.</li>
 *   <li>Only the latest slot can fire, and only within startingDeadlineSeconds: older slots are never
 *       replayed (they are recorded in status.lastMissedSchedule and a MissedSchedule Event), so no
 *       older slot can overwrite a newer one's template.</li>
 * </ol>
 * Only the leader runs sources (JOSDK reconciles on the leader only), and a closed source never fires
 * again: {@link #close()} and the check before a fire hold the same lock.
 */
final class CronTriggerSource implements TriggerSource {
    private static final Logger log = LoggerFactory.getLogger(CronTriggerSource.class);
    static final String REASON_MISSED = "MissedSchedule";

    private final CronSchedule schedule;
    private final long deadlineSeconds;
    private final SourceContext context;
    private final CronScheduler scheduler;
    private final Instant startedAt;
    /** Why slots before the start were not fired, from the status seen at the start. */
    private final String startReason;

    // Guarded by this.
    private Instant created;
    private Instant lastScheduleTime;
    private Instant lastMissedSlot;
    private String lastMissedSchedule;
    private String recordedMissText;
    private Instant inFlight;
    private Instant retryAfter = Instant.MIN;
    private String lastFailure;
    private boolean closed;
    private volatile Instant wakeAt = Instant.MIN;

    CronTriggerSource(Trigger trigger, CronSchedule schedule, SourceContext context, CronScheduler scheduler) {
        CronSource cron = trigger.getSpec().getSource().getCron();
        this.schedule = schedule;
        this.deadlineSeconds = cron.getStartingDeadlineSeconds() == null
                ? CronSchedule.DEFAULT_STARTING_DEADLINE_SECONDS : cron.getStartingDeadlineSeconds();
        this.context = context;
        this.scheduler = scheduler;
        this.startedAt = context.clock().instant();
        this.startReason = startReason(trigger.getStatus());
        this.created = instant(trigger.getMetadata().getCreationTimestamp()).orElse(startedAt);
        observe(trigger);
        if (!scheduler.register(this)) closed = true;
    }

    ResourceID trigger() {
        return context.trigger();
    }

    @Override
    public synchronized void observe(Trigger trigger) {
        TriggerStatus status = trigger.getStatus();
        if (status == null) return;
        lastScheduleTime = max(lastScheduleTime, instant(status.getLastScheduleTime()).orElse(null));
        String missed = status.getLastMissedSchedule();
        if (missed != null && !missed.isBlank()) {
            Optional<Instant> slot = instant(missed.split(" ", 2)[0].replaceAll(":$", ""));
            if (slot.isPresent() && (lastMissedSlot == null || !slot.get().isBefore(lastMissedSlot))) {
                lastMissedSlot = slot.get();
                recordedMissText = missed;
            }
        }
        Instant before = wakeAt;
        updateWakeAt();
        if (!wakeAt.equals(before)) scheduler.wakeUp();
    }

    /** When the scheduler should call {@link #runDue} next. */
    Instant wakeAt() {
        return wakeAt;
    }

    /** Fires the due slot, or records the missed one; called by the scheduler. */
    synchronized void runDue(Instant now) {
        if (closed || inFlight != null || now.isBefore(retryAfter)) return;
        CronSchedule.Due due = schedule.due(now, handled(), deadlineSeconds);
        if (due.missed() != null) recordMiss(due, now, null);
        if (due.fire() != null) {
            // Windows are read from the newest spec at the slot: a slot outside every one is missed, not held.
            Optional<Instant> opens = context.windowOpensAt(due.fire());
            if (opens.isPresent() && opens.get().equals(due.fire())) {
                fire(due.fire());
            } else {
                recordMiss(new CronSchedule.Due(null, due.fire(), false), now, "the slot is outside every maintenance window (spec.windows)"
                        + opens.map(o -> "; the next one opens at " + CronSchedule.slotId(o)).orElse("; none opens again"));
            }
        }
        updateWakeAt();
        // Never ask to be run again for the instant just decided on: no spinning on a stuck decision.
        if (!wakeAt.isAfter(now)) wakeAt = now.plusSeconds(1);
    }

    private void fire(Instant slot) {
        inFlight = slot;
        String id = CronSchedule.slotId(slot);
        log.debug("{}: firing cron slot {} ({})", context.trigger(), id, schedule);
        try {
            context.fire(new TriggerEvent(TriggerEvent.CRON, id, slot)).whenComplete((result, error) -> fired(slot, result, error));
        } catch (RuntimeException e) {
            // The executor is shutting down: the slot stays unfired, a next leader may still fire it.
            fired(slot, null, e);
        }
    }

    private void fired(Instant slot, FireResult result, Throwable error) {
        boolean succeeded = error == null && result.succeeded();
        synchronized (this) {
            if (slot.equals(inFlight)) inFlight = null;
            if (succeeded) {
                lastScheduleTime = max(lastScheduleTime, slot);
                lastFailure = null;
                retryAfter = Instant.MIN;
            } else {
                // Retried (same slot, same effect) until it succeeds or the deadline passes.
                lastFailure = error != null ? String.valueOf(error.getMessage()) : result.summary();
                retryAfter = context.clock().instant().plus(context.config().recheckInterval());
            }
            updateWakeAt();
        }
        scheduler.wakeUp();
        // A success's next slot goes with its fire record (recorded()).
        if (!succeeded) context.healthChanged();
    }

    /** @param outsideWindows why a due slot is not fired because of spec.windows, or null for a slot that got too old */
    private void recordMiss(CronSchedule.Due due, Instant now, String outsideWindows) {
        Instant slot = due.missed();
        String id = CronSchedule.slotId(slot);
        long age = Duration.between(slot, now).getSeconds();
        String why = lastFailure != null ? "every fire failed until the deadline passed: " + lastFailure
                : slot.isBefore(startedAt) ? startReason
                : "the operator did not get to it in time (it was paused or overloaded)";
        String earlier = due.earlierMissed() ? "; earlier slots after " + CronSchedule.slotId(handled()) + " were skipped too" : "";
        String text = outsideWindows != null ? id + ": not fired, " + outsideWindows
                : id + ": not fired, " + why + " (the slot was " + age + "s old, startingDeadlineSeconds is " + deadlineSeconds + ")" + earlier;
        lastMissedSlot = max(lastMissedSlot, slot);
        lastMissedSchedule = text;
        lastFailure = null;
        retryAfter = Instant.MIN;
        // After a restart the miss may already be on the status: record its Event once.
        if (recordedMissText == null || !recordedMissText.startsWith(id)) {
            log.warn("{}: missed cron slot {}", context.trigger(), text);
            context.recordEvent(true, REASON_MISSED, "Schedule slot " + text);
        }
        recordedMissText = text;
        context.healthChanged();
        context.recordChanged();
    }

    /** Slots at or before this instant are done: fired, missed, or before the Trigger existed. */
    private Instant handled() {
        Instant handled = created;
        handled = max(handled, lastScheduleTime);
        handled = max(handled, lastMissedSlot);
        return handled;
    }

    private void updateWakeAt() {
        if (closed || inFlight != null) {
            wakeAt = Instant.MAX;
            return;
        }
        Instant next = schedule.next(handled()).orElse(Instant.MAX);
        // A slot already past (after a restart) is due at once; a failed one waits for its retry.
        wakeAt = lastFailure != null && retryAfter.isAfter(next) ? retryAfter : next;
    }

    @Override
    public SourceHealth health() {
        return SourceHealth.ready("cron schedule " + schedule + ", startingDeadlineSeconds " + deadlineSeconds);
    }

    @Override
    public synchronized void describe(TriggerStatus status) {
        if (lastMissedSchedule != null) status.setLastMissedSchedule(lastMissedSchedule);
    }

    /** nextFireAt: the next slot, absent when the schedule has none left. */
    @Override
    public synchronized Map<String, String> recorded() {
        Instant now = context.clock().instant();
        // next(handled) is usually shared with every Trigger on this schedule; past it (a slot is due
        // right now, or was just fired or missed), the next slot after now is what is shown.
        Optional<Instant> next = schedule.next(handled());
        if (next.isPresent() && !next.get().isAfter(now)) next = schedule.next(now);
        Map<String, String> fields = new HashMap<>();
        fields.put(CronSourceFactory.NEXT_FIRE_AT, next.map(CronSchedule::slotId).orElse(null));
        return fields;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            wakeAt = Instant.MAX;
        }
        scheduler.unregister(this);
    }

    private static String startReason(TriggerStatus status) {
        String state = status == null ? null : status.getStatus();
        if (TriggerStatus.SUSPENDED.equals(state)) return "the Trigger was suspended";
        if (TriggerStatus.ERROR.equals(state)) {
            String message = status.getErrorMessage();
            return "the Trigger was in Error" + (message == null || message.isBlank() ? "" : " (" + message + ")");
        }
        return "the operator was not running";
    }

    private static Optional<Instant> instant(String text) {
        if (text == null || text.isBlank()) return Optional.empty();
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Instant max(Instant a, Instant b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.isAfter(b) ? a : b;
    }
}
