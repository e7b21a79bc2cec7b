package dev.triggers.operator.action;

import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs a fire: with the Trigger's newest spec and only if the guard allows it at this moment, resolves the target
 * and applies the Trigger's action (looked up by type) to each workload the guard allows. Records nothing.
 */
final class ActionRunner {
    private final TargetResolver resolver;
    private final FireGuard guard;
    private final Map<String, WorkloadAction> actions;

    ActionRunner(TargetResolver resolver, FireGuard guard, List<WorkloadAction> actions) {
        this.resolver = resolver;
        this.guard = guard;
        this.actions = actions.stream().collect(Collectors.toUnmodifiableMap(WorkloadAction::type, Function.identity()));
    }

    /** Fires the Trigger (null: it no longer exists) for the event. */
    FireResult run(Trigger trigger, String id, TriggerEvent event) {
        if (trigger == null) return FireResult.refused("Trigger " + id + " no longer exists");
        String refusal = guard.refusal(trigger);
        if (refusal != null) return FireResult.refused(refusal);
        String type = trigger.getSpec().actionOrDefault().typeOrDefault();
        WorkloadAction action = actions.get(type);
        // The spec validation refuses other types first; kept as a failure, not a crash, for a spec it did not see.
        if (action == null) return FireResult.failed("unknown action type " + type);
        List<HasMetadata> workloads;
        try {
            workloads = resolver.resolve(trigger);
        } catch (RuntimeException e) {
            String message = KubernetesErrors.describe(e, "look up", TargetResolver.describe(trigger));
            return KubernetesErrors.isTransient(e) ? FireResult.unavailable(message) : FireResult.failed(message);
        }
        if (workloads.isEmpty()) return FireResult.failed(TargetResolver.notFoundMessage(trigger));
        int size = Waves.size(trigger, workloads.size());
        List<List<HasMetadata>> waves = size == 0 ? List.of(workloads) : Waves.cut(workloads, size);
        List<WorkloadResult> results = new ArrayList<>();
        for (HasMetadata workload : waves.get(0)) results.add(apply(action, trigger, workload, event));
        // Later waves are started by the rollout follower, each once the one before it is Complete.
        for (int i = 1; i < waves.size(); i++) {
            for (HasMetadata w : waves.get(i)) {
                WorkloadRef ref = TargetResolver.ref(w);
                results.add(new WorkloadResult(ref, WorkloadResult.Outcome.WAITING, ref + " waits for wave " + (i + 1) + " of " + waves.size()));
            }
        }
        Long generation = trigger.getMetadata().getGeneration();
        return FireResult.of(results).onGeneration(generation == null ? 0 : generation);
    }

    /**
     * Starts a later wave of a fire (the rollout follower calls it when the wave before is Complete): each workload read
     * again and acted on with the same checks as a fire, at this moment (the Trigger may be suspended, its grant gone).
     */
    List<WorkloadResult> runWave(Trigger trigger, String id, TriggerEvent event, List<WorkloadRef> wave) {
        String refusal = trigger == null ? "Trigger " + id + " no longer exists" : guard.refusal(trigger);
        WorkloadAction action = trigger == null ? null : actions.get(trigger.getSpec().actionOrDefault().typeOrDefault());
        List<WorkloadResult> results = new ArrayList<>();
        for (WorkloadRef ref : wave) {
            if (refusal != null || action == null) {
                results.add(WorkloadResult.failed(ref, "wave not started: " + (refusal != null ? refusal : "unknown action type")));
                continue;
            }
            try {
                HasMetadata workload = resolver.get(ref);
                results.add(workload == null ? WorkloadResult.failed(ref, ref + " not found: it was deleted before its wave")
                        : apply(action, trigger, workload, event));
            } catch (RuntimeException e) {
                results.add(WorkloadResult.failed(ref, e, KubernetesErrors.describe(e, "read", ref)));
            }
        }
        return results;
    }

    private WorkloadResult apply(WorkloadAction action, Trigger trigger, HasMetadata workload, TriggerEvent event) {
        String workloadRefusal = guard.workloadRefusal(trigger, workload);
        return workloadRefusal != null ? WorkloadResult.failed(TargetResolver.ref(workload), workloadRefusal) : action.apply(workload, trigger, event);
    }
}
