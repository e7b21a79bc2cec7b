package dev.triggers.operator.reconciler;

import dev.triggers.operator.action.TargetResolver;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerSource;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The status the reconciler returns, one method per outcome of a reconcile; a plain function of the
 * Trigger as read, what was observed and the Clock. It writes nothing.
 *
 * <p>Every status carries the fire record of the Trigger as read, unchanged. JOSDK (SSA off) patches the
 * JSON difference between the Trigger it handed to the reconciler and the one returned: fields left as
 * read are not in that patch, so a fire recorded between the read and the patch is kept.
 */
final class StatusFactory {
    private final Clock clock;

    StatusFactory(Clock clock) {
        this.clock = clock;
    }

    /**
     * The first status of a Trigger that has none, written before its source starts: JOSDK's patch of a
     * status-less Trigger adds the whole status object, which would replace a fire record written meanwhile.
     */
    TriggerStatus starting(Trigger trigger) {
        return status(trigger, TriggerStatus.PENDING, "", null,
                condition(trigger, TriggerConditions.READY, false, "Starting", "starting the source"),
                condition(trigger, TriggerConditions.SOURCE_READY, false, "Starting", "not started yet"),
                condition(trigger, TriggerConditions.TARGET_READY, false, "Starting", "not checked yet"));
    }

    TriggerStatus invalidSpec(Trigger trigger, String problems) {
        return status(trigger, TriggerStatus.ERROR, problems, null,
                condition(trigger, TriggerConditions.READY, false, "InvalidSpec", problems),
                condition(trigger, TriggerConditions.SOURCE_READY, false, "InvalidSpec", "not started: the spec is invalid"),
                condition(trigger, TriggerConditions.TARGET_READY, false, "InvalidSpec", "not checked: the spec is invalid"));
    }

    /** Suspended at {@code now} by spec.suspend, or by a spec.suspendUntil still ahead (which says when it ends). */
    TriggerStatus suspended(Trigger trigger, java.time.Instant now) {
        String why = trigger.getSpec().isSuspended() ? "spec.suspend is true: nothing is consumed and nothing fires"
                : trigger.getSpec().suspensionReason(now) + ": nothing is consumed and nothing fires until then, when the Trigger resumes by itself";
        return status(trigger, TriggerStatus.SUSPENDED, "", null,
                condition(trigger, TriggerConditions.READY, false, "Suspended", why),
                condition(trigger, TriggerConditions.SOURCE_READY, false, "Suspended", "stopped while suspended"),
                condition(trigger, TriggerConditions.TARGET_READY, true, "Suspended", "not checked while suspended"));
    }

    TriggerStatus notGranted(Trigger trigger, String refusal) {
        return status(trigger, TriggerStatus.ERROR, refusal, null,
                condition(trigger, TriggerConditions.READY, false, "NotGranted", refusal),
                condition(trigger, TriggerConditions.SOURCE_READY, false, "NotGranted", "not started: the target namespace is not granted"),
                condition(trigger, TriggerConditions.TARGET_READY, false, "NotGranted", refusal));
    }

    /**
     * A running source: Ready, Pending while the source starts, or Error naming every problem.
     *
     * @param targetProblem why the target cannot be found or read, or null
     * @param health the source's health
     * @param lastFailure the summary of the last fire, if it failed (until a fire succeeds), or null
     * @param source fills its block of the status (url, lastMissedSchedule, ...) through {@link TriggerSource#describe}
     */
    TriggerStatus running(Trigger trigger, String targetProblem, SourceHealth health, String lastFailure, TriggerSource source) {
        List<String> errors = new ArrayList<>();
        if (targetProblem != null) errors.add(targetProblem);
        if (!health.ready() && !"Starting".equals(health.reason())) errors.add(health.message());
        if (lastFailure != null) errors.add("last fire failed: " + lastFailure);
        String state = !errors.isEmpty() ? TriggerStatus.ERROR : health.ready() ? TriggerStatus.READY : TriggerStatus.PENDING;
        String message = String.join("; ", errors);
        String readyReason = targetProblem != null ? "TargetNotReady" : !health.ready() ? "SourceNotReady" : lastFailure != null ? "FireFailed" : "Ready";
        String readyMessage = state.equals(TriggerStatus.READY) ? "waiting for events" : state.equals(TriggerStatus.PENDING) ? health.message() : message;
        return status(trigger, state, message, source,
                condition(trigger, TriggerConditions.READY, state.equals(TriggerStatus.READY), readyReason, readyMessage),
                condition(trigger, TriggerConditions.SOURCE_READY, health.ready(), health.reason(), health.message()),
                condition(trigger, TriggerConditions.TARGET_READY, targetProblem == null, targetProblem == null ? "Found" : "TargetNotFound",
                        targetProblem == null ? TargetResolver.describe(trigger) + " found" : targetProblem));
    }

    /**
     * The reconcile failed (JOSDK retries it): Error and the Ready condition say why; everything else stays as
     * read, since nothing else was observed (the source, if any, still runs).
     */
    TriggerStatus reconcileError(Trigger trigger, String message) {
        TriggerStatus current = trigger.getStatus();
        TriggerStatus next = withFireRecordOf(current);
        next.setStatus(TriggerStatus.ERROR);
        next.setErrorMessage(message);
        next.setObservedGeneration(generation(trigger));
        Condition ready = condition(trigger, TriggerConditions.READY, false, "ReconcileError", message);
        List<Condition> conditions = new ArrayList<>(List.of(ready));
        if (current != null) {
            next.setUrl(current.getUrl());
            next.setWebhookSecretName(current.getWebhookSecretName());
            next.setWebhookTokenDigests(current.getWebhookTokenDigests());
            next.setLastMissedSchedule(current.getLastMissedSchedule());
            if (current.getConditions() != null) {
                current.getConditions().stream().filter(c -> !TriggerConditions.READY.equals(c.getType())).forEach(conditions::add);
            }
        }
        next.setConditions(List.copyOf(conditions));
        return next;
    }

    private TriggerStatus status(Trigger trigger, String state, String errorMessage, TriggerSource source, Condition... conditions) {
        TriggerStatus current = trigger.getStatus();
        TriggerStatus next = withFireRecordOf(current);
        next.setStatus(state);
        next.setErrorMessage(errorMessage);
        next.setObservedGeneration(generation(trigger));
        next.setConditions(List.of(conditions));
        TriggerStatus described = new TriggerStatus();
        if (source != null) source.describe(described);
        next.setUrl(described.getUrl());
        next.setWebhookSecretName(described.getWebhookSecretName());
        // Kept when no running source describes them (suspended, invalid spec): a webhook source clears the
        // digests with []. No digests are written as none at all: JOSDK's diff drops empty lists, so an
        // empty one would never read back equal and would be patched on every reconcile.
        var digests = described.getWebhookTokenDigests() != null ? described.getWebhookTokenDigests()
                : current != null ? current.getWebhookTokenDigests() : null;
        next.setWebhookTokenDigests(digests == null || digests.isEmpty() ? null : digests);
        next.setLastMissedSchedule(described.getLastMissedSchedule() != null ? described.getLastMissedSchedule()
                : current != null ? current.getLastMissedSchedule() : null);
        return next;
    }

    /**
     * A status holding only the fire record of {@code current} (the executor's fields, FireRecorder.STATUS_FIELDS),
     * as read: the reconciler never changes them, so they are never in its patch.
     */
    static TriggerStatus withFireRecordOf(TriggerStatus current) {
        TriggerStatus next = new TriggerStatus();
        if (current == null) return next;
        next.setLastFiredAt(current.getLastFiredAt());
        next.setFireCount(current.getFireCount());
        next.setCoalescedCount(current.getCoalescedCount());
        next.setDroppedCount(current.getDroppedCount());
        next.setLastEvent(current.getLastEvent());
        next.setLastFireResult(current.getLastFireResult());
        next.setLastFireRequest(current.getLastFireRequest());
        next.setLastScheduleTime(current.getLastScheduleTime());
        next.setNextFireAt(current.getNextFireAt());
        next.setHeldUntil(current.getHeldUntil());
        next.setAcceptedEvents(current.getAcceptedEvents());
        next.setScaleReverts(current.getScaleReverts());
        next.setLastRevert(current.getLastRevert());
        next.setLastRollout(current.getLastRollout());
        next.setWaitingFor(current.getWaitingFor());
        return next;
    }

    private Condition condition(Trigger trigger, String type, boolean status, String reason, String message) {
        List<Condition> previous = trigger.getStatus() == null ? null : trigger.getStatus().getConditions();
        return TriggerConditions.condition(previous, type, status, reason, message, generation(trigger), clock.instant());
    }

    static long generation(Trigger trigger) {
        Long g = trigger.getMetadata().getGeneration();
        return g == null ? 0L : g;
    }
}
