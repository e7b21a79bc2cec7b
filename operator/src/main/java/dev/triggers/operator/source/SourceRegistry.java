package dev.triggers.operator.source;

import dev.triggers.operator.action.FireExecutor;
import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.schedule.MaintenanceWindows;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.tenancy.TargetAccess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running sources, one per Trigger (plus its manual fire requests), keyed by the Trigger. The
 * reconciler starts, swaps and stops them here; the executor looks up the Trigger it fires here.
 */
public final class SourceRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SourceRegistry.class);

    private final KubernetesClient client;
    private final Clock clock;
    private final OperatorConfig config;
    private final Map<String, SourceFactory> factories;
    private final Map<ResourceID, Running> running = new ConcurrentHashMap<>();
    /**
     * The target namespace of each Trigger seen whose target is in another namespace (for grant changes).
     * Not the Trigger itself: the informer's cache holds that, and a Trigger kept here would be a second
     * copy of it after every update until the next reconcile.
     */
    private final Map<ResourceID, String> crossTargets = new ConcurrentHashMap<>();
    private final Map<ResourceID, FireResult> lastFailure = new ConcurrentHashMap<>();
    private final Map<ResourceID, TargetReached> targetReached = new ConcurrentHashMap<>();
    private volatile FireExecutor executor;
    private volatile Cache<Trigger> primaryCache;
    private volatile Consumer<ResourceID> reconcileRequests = id -> {};
    private volatile boolean closed;

    public SourceRegistry(KubernetesClient client, Clock clock, OperatorConfig config, Collection<SourceFactory> factories) {
        this.client = client;
        this.clock = clock;
        this.config = config;
        this.factories = factories.stream().collect(Collectors.toUnmodifiableMap(SourceFactory::type, Function.identity()));
    }

    public void setExecutor(FireExecutor executor) {
        this.executor = executor;
        executor.useSourceFields(this::recorded);
    }

    /**
     * The source's own fields of the fire record (see {@link TriggerSource#recorded()}): the running source's, or, when
     * none runs (suspended, invalid spec), its type's fields cleared, since nothing will fire.
     */
    Map<String, String> recorded(ResourceID id) {
        Running current = running.get(id);
        if (current != null) return current.source().recorded();
        Map<String, String> cleared = new HashMap<>();
        trigger(id).map(t -> t.getSpec() == null || t.getSpec().getSource() == null ? null : factories.get(t.getSpec().getSource().getType()))
                .ifPresent(f -> f.recordedFields().forEach(field -> cleared.put(field, null)));
        return cleared;
    }

    private void recordedChanged(ResourceID id) {
        FireExecutor current = executor;
        if (current != null) current.sourceFieldsChanged(id);
    }

    /** Where a source's health change or a fire's result asks for a reconcile. */
    public void setReconcileRequests(Consumer<ResourceID> reconcileRequests) {
        this.reconcileRequests = reconcileRequests;
    }

    public Optional<SourceFactory> factory(String type) {
        return Optional.ofNullable(factories.get(type));
    }

    public Collection<SourceFactory> factories() {
        return factories.values();
    }

    /**
     * The operator's Trigger informer cache, handed over when the reconciler is registered: fires read it
     * here, and every factory gets it (see {@link SourceFactory#useTriggerCache}).
     */
    public void usePrimaryCache(Cache<Trigger> cache) {
        primaryCache = cache;
        factories.values().forEach(f -> f.useTriggerCache(cache::get));
    }

    /**
     * The Trigger's newest spec the operator has seen (the informer's copy, which may be newer than the
     * last reconcile), or empty when it is gone (or before the operator started). A fire acts on this.
     */
    public Optional<Trigger> trigger(ResourceID id) {
        Cache<Trigger> cache = primaryCache;
        return cache == null ? Optional.empty() : cache.get(id);
    }

    /** The Trigger may not fire now: its waiting events are refused (see {@link FireExecutor#refusePending}). */
    public void refusePending(ResourceID id, String why) {
        FireExecutor current = executor;
        if (current != null) current.refusePending(id, why);
    }

    /** A TriggerGrant changed in this namespace: reconcile the Triggers that target it. */
    public void grantsChangedIn(String namespace) {
        crossTargets.forEach((id, target) -> {
            if (target.equals(namespace)) reconcileRequests.accept(id);
        });
    }

    /** Remembers where the Trigger's target is, when that is another namespace. */
    private void seen(ResourceID id, Trigger trigger) {
        boolean cross = trigger.getSpec() != null && trigger.getSpec().getTarget() != null && TargetAccess.crossNamespace(trigger);
        if (cross) crossTargets.put(id, TargetAccess.targetNamespace(trigger));
        else crossTargets.remove(id);
    }

    /** The last fire's failure, until a fire succeeds. */
    public Optional<FireResult> lastFailure(ResourceID id) {
        return Optional.ofNullable(lastFailure.get(id));
    }

    /**
     * When a fire last found and acted on the target of this generation of the Trigger, if one did: the reconciler
     * need not read that target again so soon (after every cron fire, its next-slot reconcile would).
     */
    public Optional<Instant> targetReachedAt(ResourceID id, long generation) {
        TargetReached reached = targetReached.get(id);
        return reached != null && reached.generation == generation ? Optional.of(reached.at) : Optional.empty();
    }

    private record TargetReached(long generation, Instant at) {}

    /**
     * Makes the Trigger's source match its spec: starts it, or swaps it when the source config changed.
     * Returns the running source, which the caller then lets observe the Trigger.
     */
    public Running ensure(Trigger trigger) {
        // A reconcile still running while the operator stops must not start a source after close().
        if (closed) throw new IllegalStateException("the operator is stopping: no source is started");
        ResourceID id = ResourceID.fromResource(trigger);
        seen(id, trigger);
        String key = client.getKubernetesSerialization().asJson(trigger.getSpec().getSource());
        Running current = running.get(id);
        // The spec may have changed its windows or cooldown: what waits is held again against the newest.
        if (executor != null) executor.reschedule(id);
        if (current != null && current.configKey.equals(key)) return current;
        SourceContext context = new Context(id);
        SourceFactory factory = factories.get(trigger.getSpec().getSource().getType());
        if (current != null) {
            log.info("{}: source config changed, swapping its source", id);
            current.source.close();
        }
        TriggerSource source = factory.start(trigger, context);
        Running next = new Running(key, source, current != null ? current.manual : new ManualFireSource(context));
        running.put(id, next);
        recordedChanged(id);
        // First served here (a new leader, a restart): a rollout an earlier process started is followed again.
        if (current == null && executor != null) executor.resumeRollout(trigger);
        return next;
    }

    /** Stops the Trigger's source (suspended, or its spec became invalid); the Trigger is kept. */
    public void stop(Trigger trigger) {
        ResourceID id = ResourceID.fromResource(trigger);
        seen(id, trigger);
        Running current = running.remove(id);
        if (current != null) current.source.close();
        recordedChanged(id); // cleared, if the status still shows them
    }

    /** The Trigger was deleted: stop its source and forget it. */
    public void forget(ResourceID id) {
        Running current = running.remove(id);
        if (current != null) current.source.close();
        crossTargets.remove(id);
        lastFailure.remove(id);
        targetReached.remove(id);
        if (executor != null) executor.forget(id);
    }

    public int runningCount() {
        return running.size();
    }

    /** Told by the executor after every fire. */
    public void onFired(ResourceID id, FireResult result) {
        if (result.succeeded() && result.generation() > 0) targetReached.put(id, new TargetReached(result.generation(), clock.instant()));
        FireResult before = result.succeeded() ? lastFailure.remove(id) : lastFailure.put(id, result);
        boolean changed = result.succeeded() ? before != null : before == null || !Objects.equals(before.summary(), result.summary());
        if (changed) reconcileRequests.accept(id);
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        running.values().forEach(r -> r.source.close());
        running.clear();
        factories.values().forEach(SourceFactory::close);
    }

    /** A Trigger's source, the config it was started with, and its manual fire requests. */
    public record Running(String configKey, TriggerSource source, ManualFireSource manual) {
        public List<TriggerSource> all() {
            return List.of(source, manual);
        }
    }

    private final class Context implements SourceContext {
        private final ResourceID id;

        Context(ResourceID id) {
            this.id = id;
        }

        @Override
        public ResourceID trigger() {
            return id;
        }

        @Override
        public CompletableFuture<FireResult> fire(TriggerEvent event) {
            FireExecutor current = executor;
            if (current == null) return CompletableFuture.completedFuture(FireResult.failed("operator is not started"));
            return current.submit(id, event);
        }

        @Override
        public List<CompletableFuture<FireResult>> fireAll(List<TriggerEvent> events) {
            FireExecutor current = executor;
            if (current == null) return events.stream().map(e -> CompletableFuture.completedFuture(FireResult.failed("operator is not started"))).toList();
            return current.submitAll(id, events);
        }

        @Override
        public FireExecutor.Accepted fireAccepted(TriggerEvent event) {
            FireExecutor current = executor;
            if (current == null) return new FireExecutor.Accepted(CompletableFuture.completedFuture(FireResult.failed("operator is not started")),
                    CompletableFuture.failedFuture(new IllegalStateException("operator is not started")));
            return current.submitAccepted(id, event);
        }

        @Override
        public CompletableFuture<FireResult> fireNow(TriggerEvent event) {
            FireExecutor current = executor;
            if (current == null) return CompletableFuture.completedFuture(FireResult.failed("operator is not started"));
            recordEvent(false, FireRecorder.REASON_FIRE_NOW, "fire-now override (" + Trigger.ANNOTATION_FIRE_NOW + ": " + event.id()
                    + "): fired at once, whatever the maintenance windows and the cooldown say");
            return current.submitNow(id, event);
        }

        @Override
        public Optional<Instant> windowOpensAt(Instant at) {
            Trigger trigger = SourceRegistry.this.trigger(id).orElse(null);
            if (trigger == null || trigger.getSpec() == null) return Optional.of(at);
            try {
                return MaintenanceWindows.of(trigger.getSpec().getWindows()).opensAt(at);
            } catch (IllegalArgumentException e) {
                return Optional.of(at); // an invalid spec: the reconciler says so, and no source runs
            }
        }

        @Override
        public List<CompletableFuture<FireResult>> recoverAccepted(List<TriggerEvent> events) {
            FireExecutor current = executor;
            return current == null ? List.of() : current.recover(id, events);
        }

        @Override
        public void healthChanged() {
            reconcileRequests.accept(id);
        }

        @Override
        public void recordChanged() {
            recordedChanged(id);
        }

        @Override
        public void recordEvent(boolean warning, String reason, String message) {
            Trigger trigger = SourceRegistry.this.trigger(id).orElse(null);
            FireExecutor current = executor;
            if (trigger != null && current != null) current.recorder().recordEvent(trigger, warning, reason, message);
        }

        @Override
        public KubernetesClient client() {
            return client;
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public OperatorConfig config() {
            return config;
        }
    }
}
