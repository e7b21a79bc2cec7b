package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.ScaleRevert;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.support.KubernetesErrors;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporary scale-ups (spec.action.scaleUp.revertAfterSeconds). Each one a fire raises is written into
 * status.scaleReverts and lowered back at its revertAt by a timer here; the reconciler hands over what a status holds
 * ({@link #observe}), so a new leader reverts on time too. A revert restores the value from before this Trigger raised
 * it, and only if the value is still the one this Trigger set: a count another writer changed is left alone and the
 * status says so. A Trigger's scale-ups and reverts run under one lock ({@link #lock}), so they never interleave.
 *
 * <p>The status is writable by whoever may write it, so a revert is checked as a fire is: only in the Trigger's target
 * namespace (and there only as its grants allow), only Deployments, StatefulSets and Rollouts, only downwards.
 */
public final class ScaleReverts {
    private static final Logger log = LoggerFactory.getLogger(ScaleReverts.class);
    public static final String REASON_REVERTED = "ScaleReverted";
    public static final String REASON_LEFT_ALONE = "ScaleRevertSkipped";
    /** A revert that failed for a passing reason (API unreachable, conflicts) is tried again after this. */
    static final Duration RETRY = Duration.ofSeconds(10);
    /** Entries of one status taken over at most: a status is not a way to make the operator keep thousands of timers. */
    static final int MAX_PER_TRIGGER = 256;
    private static final int CONFLICT_RETRIES = 3;

    private final KubernetesClient client;
    private final Clock clock;
    private final Timers timers;
    private final Executor workers;
    private final FireGuard guard;
    private final Function<ResourceID, Optional<Trigger>> triggers;
    private final FireRecorder recorder;
    private final Map<ResourceID, PerTrigger> state = new ConcurrentHashMap<>();

    /**
     * @param workers where reverts run (their API calls stay off the timer thread)
     * @param triggers the Trigger's newest spec and status (a revert of a Trigger gone is not made)
     */
    ScaleReverts(KubernetesClient client, Clock clock, Timers timers, Executor workers, FireGuard guard,
                 Function<ResourceID, Optional<Trigger>> triggers, FireRecorder recorder) {
        this.client = client;
        this.clock = clock;
        this.timers = timers;
        this.workers = workers;
        this.guard = guard;
        this.triggers = triggers;
        this.recorder = recorder;
    }

    Instant clockNow() {
        return clock.instant();
    }

    /** The key of a workload in status.scaleReverts. */
    static String key(HasMetadata workload) {
        return workload.getKind() + "/" + workload.getMetadata().getName();
    }

    /** What a Trigger's scale-ups and its reverts synchronize on. */
    Object lock(ResourceID trigger) {
        return state.computeIfAbsent(trigger, k -> new PerTrigger());
    }

    /** The revert waiting for this workload: the one scheduled here, else the one the status holds; null if none. */
    ScaleRevert pending(Trigger trigger, String key) {
        PerTrigger p = (PerTrigger) lock(ResourceID.fromResource(trigger));
        ScaleRevert held = trigger.getStatus() == null || trigger.getStatus().getScaleReverts() == null ? null
                : trigger.getStatus().getScaleReverts().get(key);
        synchronized (p) {
            Scheduled s = p.pending.get(key);
            if (s != null) return s.revert;
            return held != null && Objects.equals(held.getRevertAt(), p.done.get(key)) ? null : held;
        }
    }

    /**
     * A fire raised (or, at the ceiling, kept) a workload: its revert is scheduled, replacing the one before, and
     * written into status.scaleReverts. Returns null, or why the revert is kept in this process's memory only.
     */
    String raised(Trigger trigger, String key, ScaleRevert revert) {
        ResourceID id = ResourceID.fromResource(trigger);
        schedule(id, key, revert);
        try {
            recorder.recordReverts(trigger, Map.of("scaleReverts", Map.of(key, revert)));
            return null;
        } catch (RuntimeException e) {
            String why = KubernetesErrors.describe(e, "patch status of", "Trigger");
            log.warn("{}: could not keep the revert of {} on the status (kept in memory): {}", id, key, why);
            return "the revert is kept in this operator's memory only (status not written: " + why + ")";
        }
    }

    /**
     * The Trigger as the reconciler read it: the reverts its status holds that this process does not know yet (after a
     * restart or a failover) are scheduled; those already due run now.
     */
    public void observe(Trigger trigger) {
        Map<String, ScaleRevert> held = trigger.getStatus() == null ? null : trigger.getStatus().getScaleReverts();
        ResourceID id = ResourceID.fromResource(trigger);
        if ((held == null || held.isEmpty()) && !state.containsKey(id)) return;
        PerTrigger p = (PerTrigger) lock(id);
        synchronized (p) {
            if (held == null || held.isEmpty()) {
                p.done.clear();
                return;
            }
            p.done.keySet().retainAll(held.keySet());
            int taken = 0;
            for (Map.Entry<String, ScaleRevert> e : held.entrySet()) {
                if (e.getValue() == null || p.pending.containsKey(e.getKey())) continue; // this process's own is newer
                if (Objects.equals(e.getValue().getRevertAt(), p.done.get(e.getKey()))) continue; // done, its clearing not seen yet
                if (++taken > MAX_PER_TRIGGER) {
                    log.warn("{}: status.scaleReverts holds more than {} entries; the others are ignored", id, MAX_PER_TRIGGER);
                    break;
                }
                schedule(id, e.getKey(), e.getValue());
            }
        }
    }

    /** The Trigger was deleted: its reverts are not made (the workloads keep their count). */
    void forget(ResourceID trigger) {
        PerTrigger p = state.remove(trigger);
        if (p == null) return;
        synchronized (p) {
            p.pending.values().forEach(s -> s.cancel.run());
            p.pending.clear();
        }
    }

    private void schedule(ResourceID id, String key, ScaleRevert revert) {
        PerTrigger p = (PerTrigger) lock(id);
        Duration delay;
        try {
            delay = Duration.between(clock.instant(), Instant.parse(revert.getRevertAt()));
        } catch (DateTimeParseException | NullPointerException e) {
            log.warn("{}: status.scaleReverts[{}] has no valid revertAt; ignored", id, key);
            return;
        }
        synchronized (p) {
            Scheduled before = p.pending.remove(key);
            if (before != null) before.cancel.run();
            p.pending.put(key, new Scheduled(revert, later(id, key, revert, delay.isNegative() ? Duration.ZERO : delay)));
        }
    }

    /** Runs the revert after the delay, on a worker; while stopping, not at all (the status keeps it for the next leader). */
    private Runnable later(ResourceID id, String key, ScaleRevert revert, Duration delay) {
        try {
            return timers.schedule(() -> {
                try {
                    workers.execute(() -> revert(id, key, revert));
                } catch (RejectedExecutionException e) {
                    log.info("{}: stopping, the revert of {} is left to the next leader", id, key);
                }
            }, delay);
        } catch (RejectedExecutionException e) {
            log.info("{}: stopping, the revert of {} is left to the next leader", id, key);
            return () -> { };
        }
    }

    /** Runs a revert that fell due, if it is still the one scheduled for the workload. */
    private void revert(ResourceID id, String key, ScaleRevert revert) {
        Trigger trigger = triggers.apply(id).orElse(null);
        PerTrigger p = state.get(id);
        if (trigger == null || p == null) return;
        Undone undone;
        synchronized (p) {
            Scheduled s = p.pending.get(key);
            if (s == null || !s.revert.equals(revert)) return; // replaced by a later fire, or forgotten
            try {
                undone = undo(trigger, revert);
            } catch (RuntimeException e) {
                if (!KubernetesErrors.isTransient(e)) {
                    undone = new Undone(true, "not reverted: " + KubernetesErrors.describe(e, "revert the scale-up of", revert.getKind() + " " + where(revert)));
                } else {
                    log.info("{}: revert of {} failed for a passing reason, retry in {} s: {}", id, key, RETRY.toSeconds(), KubernetesErrors.rootMessage(e));
                    p.pending.put(key, new Scheduled(revert, later(id, key, revert, RETRY)));
                    return;
                }
            }
            p.pending.remove(key);
            p.done.put(key, revert.getRevertAt());
        }
        Map<String, Object> status = new LinkedHashMap<>();
        Map<String, Object> cleared = new HashMap<>();
        cleared.put(key, null); // null removes the entry (RFC 7386)
        status.put("scaleReverts", cleared);
        status.put("lastRevert", FireRecorder.truncate(clock.instant() + ": " + undone.message));
        try {
            recorder.recordReverts(trigger, status);
        } catch (RuntimeException e) {
            log.warn("{}: could not clear the revert of {} from the status: {}", id, key, KubernetesErrors.describe(e, "patch status of", "Trigger"));
        }
        if (undone.leftAlone) log.warn("{}: {}", id, undone.message);
        else log.info("{}: {}", id, undone.message);
        recorder.recordEvent(trigger, undone.leftAlone, undone.leftAlone ? REASON_LEFT_ALONE : REASON_REVERTED, undone.message);
    }

    /** Lowers the value back if it still is the one this Trigger set; otherwise leaves it and says why. */
    private Undone undo(Trigger trigger, ScaleRevert r) {
        String refusal = refusal(trigger, r);
        if (refusal != null) return new Undone(true, "not reverted: " + refusal);
        String ns = r.getNamespace();
        HasMetadata workload = new TargetResolver(client).get(new WorkloadRef(r.getKind(), ns, r.getName()));
        if (workload == null) return new Undone(true, r.getKind() + " " + where(r) + " is gone: nothing to revert");
        String workloadRefusal = guard.workloadRefusal(trigger, workload);
        if (workloadRefusal != null) return new Undone(true, "not reverted: " + workloadRefusal);
        boolean hpa = r.getHorizontalPodAutoscaler() != null;
        String field = hpa ? "HorizontalPodAutoscaler " + ns + "/" + r.getHorizontalPodAutoscaler() + " minReplicas" : r.getKind() + " " + where(r) + " spec.replicas";
        HasMetadata object = hpa ? client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).withName(r.getHorizontalPodAutoscaler()).get() : workload;
        for (int attempt = 1; ; attempt++) {
            if (object == null) return new Undone(true, field + ": the HorizontalPodAutoscaler is gone, nothing to revert");
            if (hpa && !ScaleUpAction.targets((HorizontalPodAutoscaler) object, workload)) {
                return new Undone(true, "not reverted: HorizontalPodAutoscaler " + ns + "/" + r.getHorizontalPodAutoscaler() + " no longer targets " + r.getKind() + " " + where(r));
            }
            int current = hpa ? ScaleUpAction.minReplicas((HorizontalPodAutoscaler) object) : ScaleUpAction.replicas(object);
            if (current != r.getTo()) {
                return new Undone(true, "left " + field + " at " + current + ": changed by another writer since this Trigger set it to " + r.getTo()
                        + " (not lowered to " + r.getFrom() + ")");
            }
            String patch = client.getKubernetesSerialization().asJson(Map.of(
                    "metadata", Map.of("resourceVersion", object.getMetadata().getResourceVersion()),
                    "spec", Map.of(hpa ? "minReplicas" : "replicas", r.getFrom())));
            var resource = ScaleUpAction.resource(client, object);
            try {
                resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
                return new Undone(false, "reverted " + field + " from " + r.getTo() + " to " + r.getFrom() + " (the temporary scale-up ended)");
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) throw e;
                object = resource.get();
            }
        }
    }

    /** Why this record must not be acted on (it is not one a fire of this Trigger writes), or null. */
    private static String refusal(Trigger trigger, ScaleRevert r) {
        if (trigger.getSpec() == null || trigger.getSpec().getTarget() == null) return "the Trigger has no target";
        String kind = r.getKind();
        if (!WorkloadRef.DEPLOYMENT.equals(kind) && !WorkloadRef.STATEFUL_SET.equals(kind) && !ArgoRollouts.KIND.equals(kind)) {
            return "kind " + kind + " is not one ScaleUp scales";
        }
        if (!Objects.equals(r.getNamespace(), TargetResolver.targetNamespace(trigger))) {
            return "namespace " + r.getNamespace() + " is not the Trigger's target namespace " + TargetResolver.targetNamespace(trigger);
        }
        if (r.getName() == null || r.getFrom() == null || r.getTo() == null) return "the record lacks name, from or to";
        int lowest = r.getHorizontalPodAutoscaler() != null ? 1 : 0;
        if (r.getFrom() < lowest || r.getFrom() >= r.getTo()) return "a revert only lowers, to at least " + lowest + " (from " + r.getFrom() + ", to " + r.getTo() + ")";
        return null;
    }

    private static String where(ScaleRevert r) {
        return r.getNamespace() + "/" + r.getName();
    }

    /** A Trigger's reverts, guarded by synchronizing on it. */
    private static final class PerTrigger {
        final Map<String, Scheduled> pending = new HashMap<>();
        /** Reverts made here whose removal from the status may not be read back yet: key to revertAt. */
        final Map<String, String> done = new HashMap<>();
    }

    private record Scheduled(ScaleRevert revert, Runnable cancel) {}

    private record Undone(boolean leftAlone, String message) {}
}
