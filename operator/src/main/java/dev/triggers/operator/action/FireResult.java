package dev.triggers.operator.action;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The result of one fire: a result per workload, or an error before any workload was reached
 * (Trigger deleted, target not found), or a refusal: the Trigger may not fire now (deleted,
 * suspended, invalid, its target namespace not granted), so nothing was patched and its events are
 * not acknowledged. {@code generation} is the Trigger generation whose target the fire resolved (0: none), so that
 * the reconciler knows that generation's target was just found and need not read it again.
 */
public record FireResult(List<WorkloadResult> workloads, String error, boolean transientError, boolean refused, long generation) {

    public static FireResult of(List<WorkloadResult> workloads) {
        return new FireResult(List.copyOf(workloads), null, false, false, 0);
    }

    public static FireResult failed(String error) {
        return new FireResult(List.of(), error, false, false, 0);
    }

    /** A failure that may pass by itself (the API was unreachable): worth retrying. */
    public static FireResult unavailable(String error) {
        return new FireResult(List.of(), error, true, false, 0);
    }

    /** The Trigger may not fire now, checked at the moment of the patch: never retried, never acknowledged. */
    public static FireResult refused(String why) {
        return new FireResult(List.of(), why, false, true, 0);
    }

    /** This result, as the fire of the Trigger generation whose target it resolved. */
    public FireResult onGeneration(long generation) {
        return new FireResult(workloads, error, transientError, refused, generation);
    }

    /** True when the fire failed only for reasons that pass: the executor tries it again. */
    public boolean retryable() {
        if (succeeded()) return false;
        if (error != null) return transientError;
        return workloads.stream().anyMatch(w -> w.outcome() == WorkloadResult.Outcome.UNAVAILABLE);
    }

    /** True when every workload is a paused Deployment: nothing was patched, and the fire may wait for a resume. */
    public boolean waitsForResume() {
        return error == null && !workloads.isEmpty() && workloads.stream().allMatch(w -> w.outcome() == WorkloadResult.Outcome.PAUSED);
    }

    /** True when every workload was patched, already had this event, or is at its ceiling. */
    public boolean succeeded() {
        return error == null && workloads.stream().noneMatch(WorkloadResult::failed);
    }

    /** One line for status and Events: the failures first, or what was done. */
    public String summary() {
        if (error != null) return error;
        List<WorkloadResult> failures = workloads.stream().filter(WorkloadResult::failed).toList();
        List<WorkloadResult> shown = failures.isEmpty() ? workloads : failures;
        String text = shown.stream().map(WorkloadResult::message).collect(Collectors.joining("; "));
        if (!failures.isEmpty() && failures.size() < workloads.size()) {
            text = (workloads.size() - failures.size()) + " of " + workloads.size() + " workloads done; failed: " + text;
        }
        return text;
    }
}
