package dev.triggers.operator.config;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Operator settings, read from environment variables (the Helm chart sets them) through {@link Settings},
 * which declares each one: variable, chart value, default, meaning and accepted values.
 *
 * @param watchNamespaces namespaces whose Triggers are watched; empty means all
 * @param allowCrossNamespaceTargets whether TriggerGrants are honoured (default); false refuses every
 *     cross-namespace target whatever the grants say (the cluster admin's kill switch)
 * @param webhookPort port of the webhook HTTP server (exposed through the webhook Service)
 * @param metricsPort port of /metrics, /healthz and /readyz (never exposed with webhooks)
 * @param webhookBaseUrl public base URL that status.url is built on
 * @param webhookRateLimitPerMinute default accepted webhook calls per minute per Trigger
 * @param leaderElection whether to elect a leader with a Lease (only the leader fires)
 * @param leaseNamespace namespace of the Lease; null means the operator's own
 * @param recheckInterval how often a Trigger whose target or source is not ready is looked at again
 * @param fireThreads threads that patch targets (fires of one Trigger never run in parallel)
 * @param exitOnLostLeadership exit the process when the Lease is lost, so a former leader never keeps
 *     consuming (Kubernetes restarts it as a standby); tests running two operators in one JVM turn it off
 * @param tenancy what the cluster admin lets tenants reach beyond their own namespace
 * @param rollouts whether and how many rollouts the operator follows after its fires
 */
public record OperatorConfig(
        Set<String> watchNamespaces,
        boolean allowCrossNamespaceTargets,
        int webhookPort,
        int metricsPort,
        String webhookBaseUrl,
        int webhookRateLimitPerMinute,
        boolean leaderElection,
        String leaseNamespace,
        Duration recheckInterval,
        int fireThreads,
        boolean exitOnLostLeadership,
        TenantPolicy tenancy,
        RolloutFollowing rollouts) {

    public static final String LEASE_NAME = "trigger-operator-leader";

    /** The defaults of every setting ({@link Settings}). */
    public static OperatorConfig defaults() {
        return fromEnv(Map.of());
    }

    /** Reads the settings from this environment; throws BadSettingsException for a value a setting does not accept. */
    public static OperatorConfig fromEnv(Map<String, String> env) {
        Function<String, String> get = env::get;
        return new OperatorConfig(
                Set.copyOf(Settings.WATCH_NAMESPACES.read(get)),
                Settings.ALLOW_CROSS_NAMESPACE_TARGETS.read(get),
                Settings.WEBHOOK_PORT.read(get),
                Settings.METRICS_PORT.read(get),
                Settings.WEBHOOK_BASE_URL.read(get).toString(),
                Settings.WEBHOOK_RATE_LIMIT_PER_MINUTE.read(get),
                Settings.LEADER_ELECTION.read(get),
                Settings.LEASE_NAMESPACE.read(get),
                Settings.RECHECK_SECONDS.read(get),
                Settings.FIRE_THREADS.read(get),
                true,
                TenantPolicy.fromEnv(get),
                new RolloutFollowing(Settings.FOLLOW_ROLLOUTS.read(get), Settings.ROLLOUTS_FOLLOWED_PER_NAMESPACE.read(get),
                        Settings.ROLLOUTS_FOLLOWED_MAX.read(get)));
    }

    /**
     * A copy with some components changed, e.g. {@code config.with(c -> c.leaderElection = true)}: what tests
     * and the embedded mode use to set what the environment does not (free ports, sub-second rechecks).
     */
    public OperatorConfig with(Consumer<Builder> changes) {
        Builder b = new Builder(this);
        changes.accept(b);
        return b.build();
    }

    /** The components of an {@link OperatorConfig}, to change with {@link #with}. */
    public static final class Builder {
        public Set<String> watchNamespaces;
        public boolean allowCrossNamespaceTargets;
        public int webhookPort;
        public int metricsPort;
        public String webhookBaseUrl;
        public int webhookRateLimitPerMinute;
        public boolean leaderElection;
        public String leaseNamespace;
        public Duration recheckInterval;
        public int fireThreads;
        public boolean exitOnLostLeadership;
        public TenantPolicy tenancy;
        public RolloutFollowing rollouts;

        private Builder(OperatorConfig c) {
            watchNamespaces = c.watchNamespaces;
            allowCrossNamespaceTargets = c.allowCrossNamespaceTargets;
            webhookPort = c.webhookPort;
            metricsPort = c.metricsPort;
            webhookBaseUrl = c.webhookBaseUrl;
            webhookRateLimitPerMinute = c.webhookRateLimitPerMinute;
            leaderElection = c.leaderElection;
            leaseNamespace = c.leaseNamespace;
            recheckInterval = c.recheckInterval;
            fireThreads = c.fireThreads;
            exitOnLostLeadership = c.exitOnLostLeadership;
            tenancy = c.tenancy;
            rollouts = c.rollouts;
        }

        private OperatorConfig build() {
            return new OperatorConfig(watchNamespaces, allowCrossNamespaceTargets, webhookPort, metricsPort, webhookBaseUrl,
                    webhookRateLimitPerMinute, leaderElection, leaseNamespace, recheckInterval, fireThreads, exitOnLostLeadership, tenancy, rollouts);
        }
    }

    public boolean watchesAllNamespaces() {
        return watchNamespaces.isEmpty();
    }
}
