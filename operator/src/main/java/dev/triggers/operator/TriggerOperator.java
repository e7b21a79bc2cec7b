package dev.triggers.operator;

import dev.triggers.operator.action.FireExecutor;
import dev.triggers.operator.action.Timers;
import dev.triggers.operator.notify.RolloutNotifier;
import dev.triggers.operator.support.DaemonThreads;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.ops.Leadership;
import dev.triggers.operator.ops.SourceErrorCounter;
import dev.triggers.operator.reconciler.FirePermissions;
import dev.triggers.operator.reconciler.TriggerReconciler;
import dev.triggers.operator.tenancy.Grants;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.SourceRegistry;
import dev.triggers.operator.support.LeanItemStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The operator's parts wired together: the JOSDK operator with the one reconciler, the registry of
 * running sources and the executor. Main, the embedded mode and the tests all start it this way.
 */
public final class TriggerOperator implements AutoCloseable {
    private final KubernetesClient client;
    private final OperatorConfig config;
    private final SourceRegistry sources;
    private final FireExecutor executor;
    /** spec.notify's deliveries and their retries (after rollouts end, never on a fire's path). */
    private final ScheduledExecutorService notifications;
    private final Grants grants;
    private final Operator operator;
    private final Leadership leadership;
    private final String identity;

    public TriggerOperator(KubernetesClient client, OperatorConfig config, Clock clock, MeterRegistry metrics,
                           List<SourceFactory> factories) {
        this(client, config, clock, metrics, factories, "trigger-operator-" + UUID.randomUUID());
    }

    public TriggerOperator(KubernetesClient client, OperatorConfig config, Clock clock, MeterRegistry metrics,
                           List<SourceFactory> factories, String identity) {
        this.client = client;
        this.config = config;
        this.identity = identity;
        this.sources = new SourceRegistry(client, clock, config, factories);
        this.grants = new Grants(client, config.watchNamespaces(), sources::grantsChangedIn);
        FirePermissions permissions = new FirePermissions(config, sources::factory, grants, clock);
        this.notifications = Executors.newScheduledThreadPool(2, DaemonThreads.named("notify"));
        RolloutNotifier notifier = new RolloutNotifier(client, config.tenancy(), metrics, Timers.of(notifications), notifications,
                () -> executor().recorder(), RolloutNotifier.defaultRetryDelays());
        this.executor = new FireExecutor(client, clock, config.fireThreads(), metrics, sources::trigger, permissions, sources::onFired,
                config.rollouts(), notifier);
        sources.setExecutor(executor);
        TriggerReconciler reconciler = new TriggerReconciler(client, config, sources, clock, new SourceErrorCounter(metrics), permissions,
                executor.reverts());
        io.micrometer.core.instrument.Gauge.builder("trigger_sources_running", sources, SourceRegistry::runningCount)
                .description("Triggers whose source is running on this replica").register(metrics);
        Leadership leadership = config.leaderElection()
                ? new Leadership(client, config.leaseNamespace(), OperatorConfig.LEASE_NAME, identity, config.exitOnLostLeadership(), clock, metrics)
                : null;
        this.leadership = leadership;
        this.operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    // Merge patches, never server-side apply: works on every API server (and the mock).
                    .withUseSSAToPatchPrimaryResource(false)
                    .withCloseClientOnStop(false)
                    // The reconciler never mutates the Trigger it is handed: no serialization copy per
                    // reconcile (cheaper at thousands of Triggers, and unknown fields stay visible to it).
                    .withResourceCloner(new io.javaoperatorsdk.operator.api.config.Cloner() {
                        @Override
                        public <R extends io.fabric8.kubernetes.api.model.HasMetadata> R clone(R object) {
                            return object;
                        }
                    })
                    // On stop, let reconciles in flight finish: JOSDK's default (zero) interrupts them, and an
                    // interrupted reconcile would write a bogus Error status on the way out.
                    .withReconciliationTerminationTimeout(Duration.ofSeconds(10))
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics));
            if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder
                        .aLeaderElectionConfiguration(OperatorConfig.LEASE_NAME)
                        .withLeaseNamespace(config.leaseNamespace())
                        .withIdentity(identity)
                        // Leadership exits on a real loss; JOSDK's own exit would hang a SIGTERM shutdown.
                        .withExitOnStopLeading(false)
                        .withLeaderCallbacks(leadership.callbacks())
                        .build());
            }
        });
        operator.register(reconciler, c -> {
            c.withName("trigger")
                    // Annotations (fire requests) and status changes must reach the reconciler too.
                    .withGenerationAware(false)
                    // Deletes reach reconcile(): no finalizer, so a Trigger never hangs on a missing operator.
                    .withTriggerReconcilerOnAllEvents(true)
                    .withOnUpdateFilter(TriggerReconciler::worthReconciling)
                    .withRetry(new GenericRetry().setInitialInterval(1000).setIntervalMultiplier(2).setMaxInterval(60_000).withoutMaxAttempts());
            if (config.watchesAllNamespaces()) c.watchingAllNamespaces();
            else c.settingNamespaces(config.watchNamespaces());
            // The cached Triggers without managedFields (most of their size). JOSDK gives this one store to
            // the informer of every watched namespace, and a store must not be shared: with several, the
            // Triggers are cached whole.
            if (config.watchNamespaces().size() <= 1) c.withItemStore(new LeanItemStore<>());
        });
    }

    public void start() {
        operator.start();
    }

    /**
     * Stops reconciling (so no source is started again), stops consuming, finishes fires in flight, and
     * (with leader election) then releases the Lease, so a standby takes over at once and never while a
     * fire is still running here.
     */
    @Override
    public void close() {
        if (leadership != null) leadership.closing();
        operator.stop();
        sources.close();
        executor.close();
        notifications.shutdownNow();
        grants.close();
        if (leadership != null) leadership.release();
    }

    public boolean isStarted() {
        return operator.getRuntimeInfo().isStarted();
    }

    /** True once the informers have synced and every event source is healthy. */
    public boolean isReady() {
        return operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    /** Whether this replica fires: it holds the Lease, or runs without leader election. */
    public boolean isLeader() {
        return leadership == null ? isStarted() : leadership.isLeader();
    }

    /** This replica's name as a Lease holder. */
    public String identity() {
        return identity;
    }

    public SourceRegistry sources() {
        return sources;
    }

    public FireExecutor executor() {
        return executor;
    }

    public KubernetesClient client() {
        return client;
    }

    public OperatorConfig config() {
        return config;
    }
}
