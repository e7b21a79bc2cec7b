package dev.triggers.operator.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.action.TargetResolver;
import dev.triggers.operator.api.v1alpha1.TargetRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.ops.SourceErrorCounter;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.SourceRegistry;
import dev.triggers.operator.source.TriggerSource;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reconciler of Triggers: observe (the Trigger, its target, its source's health), validate the
 * spec, reconcile (labels, the running source) and write the status fields it owns, only when they
 * changed. It never writes the spec, so GitOps tools see no drift. It also runs on deletes (no
 * finalizer: uninstalling the operator never blocks deleting a Trigger).
 */
public final class TriggerReconciler implements Reconciler<Trigger> {
    private static final Logger log = LoggerFactory.getLogger(TriggerReconciler.class);

    private static final ObjectMapper STATUS_MAPPER = new ObjectMapper();

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final SourceRegistry sources;
    private final TargetResolver targets;
    private final Clock clock;
    private final SourceErrorCounter sourceErrors;
    private final FirePermissions permissions;
    private final Map<ResourceID, TargetCheck> targetChecks = new ConcurrentHashMap<>();
    private final SimpleInboundEventSource<Trigger> reconcileRequests = new SimpleInboundEventSource<>("reconcile-requests");

    public TriggerReconciler(KubernetesClient client, OperatorConfig config, SourceRegistry sources, Clock clock,
                             SourceErrorCounter sourceErrors, FirePermissions permissions) {
        this.client = client;
        this.permissions = permissions;
        this.config = config;
        this.sources = sources;
        this.targets = new TargetResolver(client);
        this.clock = clock;
        this.sourceErrors = sourceErrors;
        sources.setReconcileRequests(reconcileRequests::propagateEvent);
    }

    @Override
    public List<EventSource<?, Trigger>> prepareEventSources(EventSourceContext<Trigger> context) {
        // Fires and the webhook server look Triggers up here: the newest spec seen, on every replica.
        sources.usePrimaryCache(context.getPrimaryCache());
        return List.of(reconcileRequests);
    }

    @Override
    public UpdateControl<Trigger> reconcile(Trigger trigger, Context<Trigger> context) {
        ResourceID id = ResourceID.fromResource(trigger);
        if (context.isPrimaryResourceDeleted()) {
            sources.forget(id);
            sourceErrors.forget(id);
            targetChecks.remove(id);
            permissions.forget(id);
            log.info("{}: deleted, its source is stopped", id);
            return UpdateControl.noUpdate();
        }
        long generation = generation(trigger);

        // Validate
        List<String> problems = permissions.problems(trigger);
        ensureLabels(trigger, FirePermissions.sourceTypeChange(trigger) == null);
        if (!problems.isEmpty()) {
            sources.stop(trigger);
            sourceErrors.forget(id);
            String message = String.join("; ", problems);
            sources.refusePending(id, "the Trigger's spec is invalid: " + message);
            writeStatus(trigger, TriggerStatus.ERROR, message, List.of(
                    cond(trigger, TriggerConditions.READY, false, "InvalidSpec", message, generation),
                    cond(trigger, TriggerConditions.SOURCE_READY, false, "InvalidSpec", "not started: the spec is invalid", generation),
                    cond(trigger, TriggerConditions.TARGET_READY, false, "InvalidSpec", "not checked: the spec is invalid", generation)), null);
            return UpdateControl.noUpdate();
        }
        if (trigger.getSpec().isSuspended()) {
            sources.stop(trigger);
            sourceErrors.forget(id);
            sources.refusePending(id, "spec.suspend is true");
            writeStatus(trigger, TriggerStatus.SUSPENDED, "", List.of(
                    cond(trigger, TriggerConditions.READY, false, "Suspended", "spec.suspend is true: nothing is consumed and nothing fires", generation),
                    cond(trigger, TriggerConditions.SOURCE_READY, false, "Suspended", "stopped while suspended", generation),
                    cond(trigger, TriggerConditions.TARGET_READY, true, "Suspended", "not checked while suspended", generation)), null);
            return UpdateControl.noUpdate();
        }

        // A target namespace that is not granted: nothing is consumed (SQS messages stay on the queue)
        // until its owners grant it; the grant informer reconciles this Trigger when one appears.
        String notGranted = permissions.namespaceRefusal(trigger);
        if (notGranted != null) {
            sources.stop(trigger);
            sourceErrors.forget(id);
            targetChecks.remove(id);
            sources.refusePending(id, notGranted);
            writeStatus(trigger, TriggerStatus.ERROR, notGranted, List.of(
                    cond(trigger, TriggerConditions.READY, false, "NotGranted", notGranted, generation),
                    cond(trigger, TriggerConditions.SOURCE_READY, false, "NotGranted", "not started: the target namespace is not granted", generation),
                    cond(trigger, TriggerConditions.TARGET_READY, false, "NotGranted", notGranted, generation)), null);
            return UpdateControl.noUpdate();
        }

        // Observe the target and reconcile the source
        String targetProblem = checkTarget(id, trigger);
        SourceRegistry.Running running = sources.ensure(trigger);
        for (TriggerSource s : running.all()) s.observe(trigger);
        SourceHealth health = running.source().health();
        sourceErrors.observe(id, trigger.getSpec().getSource().getType(), health);
        FireResult lastFailure = sources.lastFailure(id).orElse(null);

        List<String> errors = new ArrayList<>();
        if (targetProblem != null) errors.add(targetProblem);
        if (!health.ready() && !"Starting".equals(health.reason())) errors.add(health.message());
        if (lastFailure != null) errors.add("last fire failed: " + lastFailure.summary());
        String state = !errors.isEmpty() ? TriggerStatus.ERROR : health.ready() ? TriggerStatus.READY : TriggerStatus.PENDING;
        String message = String.join("; ", errors);
        String readyReason = targetProblem != null ? "TargetNotReady" : !health.ready() ? "SourceNotReady" : lastFailure != null ? "FireFailed" : "Ready";
        String readyMessage = state.equals(TriggerStatus.READY) ? "waiting for events" : state.equals(TriggerStatus.PENDING) ? health.message() : message;
        writeStatus(trigger, state, message, List.of(
                cond(trigger, TriggerConditions.READY, state.equals(TriggerStatus.READY), readyReason, readyMessage, generation),
                cond(trigger, TriggerConditions.SOURCE_READY, health.ready(), health.reason(), health.message(), generation),
                cond(trigger, TriggerConditions.TARGET_READY, targetProblem == null, targetProblem == null ? "Found" : "TargetNotFound",
                        targetProblem == null ? TargetResolver.describe(trigger) + " found" : targetProblem, generation)), running.source());
        if (targetProblem != null || !health.ready()) {
            return UpdateControl.<Trigger>noUpdate().rescheduleAfter(config.recheckInterval());
        }
        return UpdateControl.noUpdate();
    }

    @Override
    public ErrorStatusUpdateControl<Trigger> updateErrorStatus(Trigger trigger, Context<Trigger> context, Exception e) {
        // Stopping is not the Trigger's fault: leave its status alone (the next leader reconciles it).
        if (sources.isClosed()) return ErrorStatusUpdateControl.noStatusUpdate();
        String message = "the operator could not reconcile this Trigger and will retry: " + KubernetesErrors.describe(e, "reconcile", "Trigger");
        log.warn("{}/{}: {}", trigger.getMetadata().getNamespace(), trigger.getMetadata().getName(), message, e);
        try {
            writeStatus(trigger, TriggerStatus.ERROR, message, List.of(
                    cond(trigger, TriggerConditions.READY, false, "ReconcileError", message, generation(trigger))), null);
        } catch (RuntimeException ignored) {
            // The API is likely the problem; JOSDK retries with backoff.
        }
        return ErrorStatusUpdateControl.noStatusUpdate();
    }

    /**
     * The update filter: an update that only changed the fire record (the executor's status fields) is
     * not worth a reconcile, which would read the target again after every fire for nothing.
     */
    public static boolean worthReconciling(Trigger newer, Trigger older) {
        var a = newer.getMetadata();
        var b = older.getMetadata();
        return !Objects.equals(a.getGeneration(), b.getGeneration())
                || !Objects.equals(a.getLabels(), b.getLabels())
                || !Objects.equals(a.getAnnotations(), b.getAnnotations())
                || !Objects.equals(a.getDeletionTimestamp(), b.getDeletionTimestamp())
                || !withoutFireRecord(newer.getStatus()).equals(withoutFireRecord(older.getStatus()));
    }

    private static Map<?, ?> withoutFireRecord(TriggerStatus status) {
        if (status == null) return Map.of();
        Map<?, ?> fields = STATUS_MAPPER.convertValue(status, Map.class);
        fields.keySet().removeAll(FireRecorder.STATUS_FIELDS);
        return fields;
    }

    /**
     * A message when the target cannot be found or read, else null. A target found for this generation
     * within the recheck interval is not read again: a source's own status change (a cron Trigger's
     * next slot after each fire) would otherwise cost a read of the target every time.
     */
    private String checkTarget(ResourceID id, Trigger trigger) {
        long generation = generation(trigger);
        TargetCheck last = targetChecks.get(id);
        Instant now = clock.instant();
        if (last != null && last.generation == generation && now.isBefore(last.at.plus(config.recheckInterval()))) return null;
        String problem;
        try {
            List<HasMetadata> workloads = targets.resolve(trigger);
            // Cross-namespace: a grant that covers none of the target's workloads is as good as none.
            List<String> refused = workloads.stream().map(w -> permissions.workloadRefusal(trigger, w)).filter(Objects::nonNull).toList();
            problem = workloads.isEmpty() ? TargetResolver.notFoundMessage(trigger)
                    : refused.size() == workloads.size() ? refused.get(0) : null;
        } catch (RuntimeException e) {
            problem = KubernetesErrors.describe(e, "read", TargetResolver.describe(trigger));
        }
        if (problem == null) targetChecks.put(id, new TargetCheck(generation, now));
        else targetChecks.remove(id);
        return problem;
    }

    /** When the target of a generation was last found. */
    private record TargetCheck(long generation, Instant at) {}

    /** Keeps triggers.dev/source-type and triggers.dev/target labels, so list filters are label selectors. */
    private void ensureLabels(Trigger trigger, boolean mayUpdateSourceType) {
        if (trigger.getSpec() == null) return;
        Map<String, String> current = trigger.getMetadata().getLabels() == null ? Map.of() : trigger.getMetadata().getLabels();
        Map<String, Object> wanted = new HashMap<>();
        String type = trigger.getSpec().getSource() == null ? null : trigger.getSpec().getSource().getType();
        if (type != null && mayUpdateSourceType && LabelValues.isValid(type) && !type.equals(current.get(Trigger.LABEL_SOURCE_TYPE))) {
            wanted.put(Trigger.LABEL_SOURCE_TYPE, type);
        }
        TargetRef target = trigger.getSpec().getTarget();
        String targetLabel = target == null ? null : LabelValues.sanitize(target.getName());
        if (!Objects.equals(targetLabel, current.get(Trigger.LABEL_TARGET))) wanted.put(Trigger.LABEL_TARGET, targetLabel);
        if (wanted.isEmpty()) return;
        String patch = client.getKubernetesSerialization().asJson(Map.of("metadata", Map.of("labels", wanted)));
        // Patched through the object in hand: fabric8's withName(..).patch(..) GETs the object first.
        client.resources(Trigger.class).resource(trigger).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }

    /** Writes the reconciler's own status fields with a merge patch, only when one of them changed. */
    private void writeStatus(Trigger trigger, String state, String errorMessage, List<Condition> conditions, TriggerSource source) {
        TriggerStatus current = trigger.getStatus() == null ? new TriggerStatus() : trigger.getStatus();
        TriggerStatus described = new TriggerStatus();
        if (source != null) source.describe(described);
        Map<String, Object> owned = new LinkedHashMap<>();
        owned.put("status", state);
        owned.put("errorMessage", errorMessage);
        owned.put("observedGeneration", generation(trigger));
        owned.put("url", described.getUrl());
        owned.put("webhookSecretName", described.getWebhookSecretName());
        owned.put("nextFireAt", described.getNextFireAt());
        // Kept when no running source describes them (suspended, invalid spec): a webhook source clears them with [].
        owned.put("webhookTokenDigests", described.getWebhookTokenDigests() != null ? described.getWebhookTokenDigests() : current.getWebhookTokenDigests());
        owned.put("lastMissedSchedule", described.getLastMissedSchedule() != null ? described.getLastMissedSchedule() : current.getLastMissedSchedule());
        boolean changed = !Objects.equals(current.getStatus(), state)
                || !Objects.equals(Objects.toString(current.getErrorMessage(), ""), errorMessage)
                || !Objects.equals(current.getObservedGeneration(), generation(trigger))
                || !Objects.equals(current.getUrl(), described.getUrl())
                || !Objects.equals(current.getWebhookSecretName(), described.getWebhookSecretName())
                || !Objects.equals(current.getNextFireAt(), described.getNextFireAt())
                || !Objects.equals(current.getWebhookTokenDigests(), owned.get("webhookTokenDigests"))
                || !Objects.equals(current.getLastMissedSchedule(), owned.get("lastMissedSchedule"))
                || !sameConditions(current.getConditions(), conditions);
        if (!changed) return;
        if (TriggerStatus.ERROR.equals(state) && !Objects.equals(current.getErrorMessage(), errorMessage)) {
            log.warn("{}/{}: Error: {}", trigger.getMetadata().getNamespace(), trigger.getMetadata().getName(), errorMessage);
        } else if (!Objects.equals(current.getStatus(), state)) {
            log.info("{}/{}: {}", trigger.getMetadata().getNamespace(), trigger.getMetadata().getName(), state);
        }
        owned.put("conditions", conditions);
        var status = client.resources(Trigger.class).resource(trigger).subresource("status");
        if (current.getStatus() == null) {
            // First write: a merge patch creates the status object (a JSON Patch cannot add below a missing one).
            status.patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(Map.of("status", owned)));
        } else {
            status.patch(PatchContext.of(PatchType.JSON), client.getKubernetesSerialization().asJson(jsonPatch(current, owned)));
        }
    }

    /**
     * A JSON Patch (RFC 6902) that sets only the reconciler's fields: "add" replaces a member, so the
     * conditions list is replaced whole on every API server (the mock server appends lists on a merge
     * patch), and the fields the executor owns are untouched.
     */
    private List<Map<String, Object>> jsonPatch(TriggerStatus current, Map<String, Object> owned) {
        Map<?, ?> existing = client.getKubernetesSerialization().convertValue(current, Map.class);
        List<Map<String, Object>> ops = new ArrayList<>();
        owned.forEach((field, value) -> {
            if (value != null) ops.add(Map.of("op", "add", "path", "/status/" + field, "value", value));
            else if (existing.get(field) != null) ops.add(Map.of("op", "remove", "path", "/status/" + field));
        });
        return ops;
    }

    private static boolean sameConditions(List<Condition> a, List<Condition> b) {
        if (a == null || a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) {
            Condition x = a.get(i), y = b.get(i);
            if (!Objects.equals(x.getType(), y.getType()) || !Objects.equals(x.getStatus(), y.getStatus())
                    || !Objects.equals(x.getReason(), y.getReason()) || !Objects.equals(x.getMessage(), y.getMessage())
                    || !Objects.equals(x.getObservedGeneration(), y.getObservedGeneration())) return false;
        }
        return true;
    }

    private Condition cond(Trigger trigger, String type, boolean status, String reason, String message, long generation) {
        List<Condition> previous = trigger.getStatus() == null ? null : trigger.getStatus().getConditions();
        return TriggerConditions.condition(previous, type, status, reason, message, generation, clock.instant());
    }

    private static long generation(Trigger trigger) {
        Long g = trigger.getMetadata().getGeneration();
        return g == null ? 0L : g;
    }
}
