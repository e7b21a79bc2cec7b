package dev.triggers.operator.reconciler;

import dev.triggers.operator.support.PatchTargets;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.action.ScaleReverts;
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
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reconciler of Triggers: observe (the Trigger, its target, its source's health), validate the
 * spec, reconcile (labels, the running source) and return the status ({@link StatusFactory}) for JOSDK to
 * patch, only when the fields it owns changed. It never writes the spec, so GitOps tools see no drift. It
 * also runs on deletes (no finalizer: uninstalling the operator never blocks deleting a Trigger).
 */
public final class TriggerReconciler implements Reconciler<Trigger> {
    private static final Logger log = LoggerFactory.getLogger(TriggerReconciler.class);

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final SourceRegistry sources;
    private final TargetResolver targets;
    private final Clock clock;
    private final StatusFactory statuses;
    private final SourceErrorCounter sourceErrors;
    private final FirePermissions permissions;
    private final ScaleReverts reverts;
    private final Map<ResourceID, TargetCheck> targetChecks = new ConcurrentHashMap<>();
    private final SimpleInboundEventSource<Trigger> reconcileRequests = new SimpleInboundEventSource<>("reconcile-requests");

    public TriggerReconciler(KubernetesClient client, OperatorConfig config, SourceRegistry sources, Clock clock,
                             SourceErrorCounter sourceErrors, FirePermissions permissions, ScaleReverts reverts) {
        this.client = client;
        this.reverts = reverts;
        this.permissions = permissions;
        this.config = config;
        this.sources = sources;
        this.targets = new TargetResolver(client);
        this.clock = clock;
        this.statuses = new StatusFactory(clock);
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

        // Validate
        List<String> problems = permissions.problems(trigger);
        ensureLabels(trigger, FirePermissions.sourceTypeChange(trigger) == null);
        if (!problems.isEmpty()) {
            sources.stop(trigger);
            sourceErrors.forget(id);
            String message = String.join("; ", problems);
            sources.refusePending(id, "the Trigger's spec is invalid: " + message);
            return update(trigger, statuses.invalidSpec(trigger, message));
        }
        // Temporary scale-ups the status holds are reverted on time, suspended or not (after a restart: from here).
        reverts.observe(trigger);
        Instant now = clock.instant();
        String suspended = trigger.getSpec().suspensionReason(now);
        if (suspended != null) {
            sources.stop(trigger);
            sourceErrors.forget(id);
            sources.refusePending(id, suspended);
            UpdateControl<Trigger> control = update(trigger, statuses.suspended(trigger, now));
            // A timed suspension ends by itself: reconciled again the moment it ends, which starts the source.
            Instant until = trigger.getSpec().isSuspended() ? null : trigger.getSpec().suspendUntilInstant().orElse(null);
            return until == null ? control : control.rescheduleAfter(Duration.between(now, until).plusMillis(1));
        }

        // A target namespace that is not granted: nothing is consumed (SQS messages stay on the queue)
        // until its owners grant it; the grant informer reconciles this Trigger when one appears.
        String notGranted = permissions.namespaceRefusal(trigger);
        if (notGranted != null) {
            sources.stop(trigger);
            sourceErrors.forget(id);
            targetChecks.remove(id);
            sources.refusePending(id, notGranted);
            return update(trigger, statuses.notGranted(trigger, notGranted));
        }

        // A status first, then the source: a fire recorded before the first status would be replaced by it
        // (StatusFactory#starting). Writing it is an update event, which reconciles again.
        if (trigger.getStatus() == null) return update(trigger, statuses.starting(trigger));

        // Observe the target and reconcile the source
        String targetProblem = checkTarget(id, trigger);
        SourceRegistry.Running running = sources.ensure(trigger);
        for (TriggerSource s : running.all()) s.observe(trigger);
        SourceHealth health = running.source().health();
        sourceErrors.observe(id, trigger.getSpec().getSource().getType(), health);
        String lastFailure = sources.lastFailure(id).map(FireResult::summary).orElse(null);
        UpdateControl<Trigger> control = update(trigger, statuses.running(trigger, targetProblem, health, lastFailure, running.source()));
        return targetProblem != null || !health.ready() ? control.rescheduleAfter(config.recheckInterval()) : control;
    }

    @Override
    public ErrorStatusUpdateControl<Trigger> updateErrorStatus(Trigger trigger, Context<Trigger> context, Exception e) {
        // Stopping is not the Trigger's fault: leave its status alone (the next leader reconciles it).
        if (sources.isClosed()) return ErrorStatusUpdateControl.noStatusUpdate();
        // The status patch was rejected (a JSON Patch op on a field that is no longer there, or a conflict): the
        // Trigger read was older than the one stored, often our own last write not yet in the cache. Nothing is
        // wrong with the Trigger: the retry reads it again.
        if (e instanceof KubernetesClientException k && (k.getCode() == 409 || k.getCode() == 422)) {
            log.info("{}/{}: status patch rejected ({}), the Trigger read was outdated; retrying", trigger.getMetadata().getNamespace(),
                    trigger.getMetadata().getName(), k.getCode());
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        String message = "the operator could not reconcile this Trigger and will retry: " + KubernetesErrors.describe(e, "reconcile", "Trigger");
        log.warn("{}/{}: {}", trigger.getMetadata().getNamespace(), trigger.getMetadata().getName(), message, e);
        TriggerStatus status = statuses.reconcileError(trigger, message);
        // Unchanged (the same failure again): no write. A failed write is logged by JOSDK, which retries with backoff.
        return status.equals(trigger.getStatus()) ? ErrorStatusUpdateControl.noStatusUpdate()
                : ErrorStatusUpdateControl.patchStatus(withStatus(trigger, status));
    }

    /**
     * The update filter: an update that only changed the fire record (the executor's status fields) is
     * not worth a reconcile, which would read the target again after every fire for nothing. Status
     * equality leaves the fire record out.
     */
    public static boolean worthReconciling(Trigger newer, Trigger older) {
        var a = newer.getMetadata();
        var b = older.getMetadata();
        return !Objects.equals(a.getGeneration(), b.getGeneration())
                || !Objects.equals(a.getLabels(), b.getLabels())
                || !Objects.equals(a.getAnnotations(), b.getAnnotations())
                || !Objects.equals(a.getDeletionTimestamp(), b.getDeletionTimestamp())
                || !Objects.equals(newer.getStatus(), older.getStatus());
    }

    /**
     * Returns the status for JOSDK to patch, only when it differs from the status read (equality is over
     * the reconciler's fields): at thousands of Triggers, a write per reconcile would cost a write per event.
     */
    private UpdateControl<Trigger> update(Trigger trigger, TriggerStatus status) {
        TriggerStatus current = trigger.getStatus();
        if (status.equals(current)) return UpdateControl.noUpdate();
        String name = trigger.getMetadata().getNamespace() + "/" + trigger.getMetadata().getName();
        String before = current == null ? null : current.getStatus();
        if (TriggerStatus.ERROR.equals(status.getStatus()) && !Objects.equals(current == null ? null : current.getErrorMessage(), status.getErrorMessage())) {
            log.warn("{}: Error: {}", name, status.getErrorMessage());
        } else if (!Objects.equals(before, status.getStatus())) {
            log.info("{}: {}", name, status.getStatus());
        }
        return UpdateControl.patchStatus(withStatus(trigger, status));
    }

    /**
     * The Trigger to hand back to JOSDK: the one read, with the new status. Its own metadata, because JOSDK
     * clears and restores its resourceVersion while patching; the one read is the informer's (no cloner).
     */
    private static Trigger withStatus(Trigger trigger, TriggerStatus status) {
        Trigger next = new Trigger();
        next.setMetadata(new ObjectMetaBuilder(trigger.getMetadata()).build());
        next.setSpec(trigger.getSpec());
        next.setStatus(status);
        return next;
    }

    /**
     * A message when the target cannot be found or read, else null. A target found for this generation
     * within the recheck interval, by this check or by a fire, is not read again: a source's own status change (a
     * cron Trigger's next slot after each fire) would otherwise cost a read of the target every time.
     */
    private String checkTarget(ResourceID id, Trigger trigger) {
        long generation = StatusFactory.generation(trigger);
        TargetCheck last = targetChecks.get(id);
        Instant now = clock.instant();
        if (last != null && last.generation == generation && now.isBefore(last.at.plus(config.recheckInterval()))) return null;
        // A fire of this generation just patched the target: as good as a read, and one read fewer per fire.
        Instant fired = sources.targetReachedAt(id, generation).orElse(null);
        if (fired != null && now.isBefore(fired.plus(config.recheckInterval()))) {
            targetChecks.put(id, new TargetCheck(generation, fired));
            return null;
        }
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
        // Through PatchTargets: fabric8's withName(..).patch(..) would GET the object first.
        client.resources(Trigger.class).resource(PatchTargets.of(trigger)).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }
}
