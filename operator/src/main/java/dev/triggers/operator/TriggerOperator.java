package dev.triggers.operator;

import dev.triggers.operator.action.FireExecutor;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.reconciler.TriggerReconciler;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.SourceRegistry;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
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
    private final Operator operator;

    public TriggerOperator(KubernetesClient client, OperatorConfig config, Clock clock, MeterRegistry metrics,
                           List<SourceFactory> factories) {
        this(client, config, clock, metrics, factories, "trigger-operator-" + UUID.randomUUID());
    }

    public TriggerOperator(KubernetesClient client, OperatorConfig config, Clock clock, MeterRegistry metrics,
                           List<SourceFactory> factories, String identity) {
        this.client = client;
        this.config = config;
        this.sources = new SourceRegistry(client, clock, config, factories);
        this.executor = new FireExecutor(client, clock, config.fireThreads(), metrics, sources::trigger, sources::onFired);
        sources.setExecutor(executor);
        TriggerReconciler reconciler = new TriggerReconciler(client, config, sources, clock);
        io.micrometer.core.instrument.Gauge.builder("trigger_sources_running", sources, SourceRegistry::runningCount)
                .description("Triggers whose source is running on this replica").register(metrics);
        this.operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    // Merge patches, never server-side apply: works on every API server (and the mock).
                    .withUseSSAToPatchPrimaryResource(false)
                    .withCloseClientOnStop(false)
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics));
            if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder
                        .aLeaderElectionConfiguration(OperatorConfig.LEASE_NAME)
                        .withLeaseNamespace(config.leaseNamespace())
                        .withIdentity(identity)
                        .withExitOnStopLeading(config.exitOnLostLeadership())
                        .build());
            }
        });
        operator.register(reconciler, c -> {
            c.withName("trigger")
                    // Annotations (fire requests) and status changes must reach the reconciler too.
                    .withGenerationAware(false)
                    // Deletes reach reconcile(): no finalizer, so a Trigger never hangs on a missing operator.
                    .withTriggerReconcilerOnAllEvents(true)
                    .withRetry(new GenericRetry().setInitialInterval(1000).setIntervalMultiplier(2).setMaxInterval(60_000).withoutMaxAttempts());
            if (config.watchesAllNamespaces()) c.watchingAllNamespaces();
            else c.settingNamespaces(config.watchNamespaces());
        });
    }

    public void start() {
        operator.start();
    }

    /** Stops consuming, finishes fires in flight, and (with leader election) releases the Lease. */
    @Override
    public void close() {
        sources.close();
        executor.close();
        operator.stop();
    }

    public boolean isStarted() {
        return operator.getRuntimeInfo().isStarted();
    }

    /** True once the informers have synced and every event source is healthy. */
    public boolean isReady() {
        return operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
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
