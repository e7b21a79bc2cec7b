package dev.triggers.operator;

import dev.triggers.operator.config.BadSettingsException;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.config.Settings;
import dev.triggers.operator.ops.ApiRequestMetrics;
import dev.triggers.operator.ops.OpsServer;
import dev.triggers.operator.source.SourceFactory;
import java.util.List;
import java.util.Map;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wiring only: settings from the environment, the cluster from kubeconfig or in-cluster config. */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        sizeCommonPool();
        OperatorConfig config = configOrExit(System.getenv());
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Its requests counted (trigger_operator_api_requests_total): what the operator costs the API server.
        KubernetesClient client = ApiRequestMetrics.instrument(new KubernetesClientBuilder(), metrics).build();
        run(client, config, metrics);
    }

    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /**
     * On one or two CPUs the JDK sizes its common pool below 2, and then every CompletableFuture stage run "async"
     * without an executor (the API client's, the operator SDK's) gets a thread of its own: 30 363 threads started
     * during one scale run on a real API server. A pool of at least 4 reuses its threads. Set before anything uses
     * the pool; a value given on the command line wins.
     */
    static void sizeCommonPool() {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(COMMON_POOL_PARALLELISM, String.valueOf(Math.max(4, Runtime.getRuntime().availableProcessors())));
        }
    }

    /**
     * The settings of this environment. Before anything starts, every setting ({@link Settings}) is read: any bad
     * value stops the process with one line naming each bad variable, its value and what it accepts (on stderr,
     * and logged), and exit status 2, as a busy port does in the embedded mode; not a stack trace.
     */
    public static OperatorConfig configOrExit(Map<String, String> env) {
        try {
            Settings.check(env);
            return OperatorConfig.fromEnv(env);
        } catch (BadSettingsException e) {
            log.error("bad settings, not starting: {}", e.getMessage());
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            throw e;
        }
    }

    /** Runs the operator until the JVM is asked to stop (SIGTERM): then shuts down gracefully. */
    public static void run(KubernetesClient client, OperatorConfig config) throws InterruptedException {
        run(client, config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    private static void run(KubernetesClient client, OperatorConfig config, PrometheusMeterRegistry metrics) throws InterruptedException {
        Clock clock = Clock.systemUTC();
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        List<SourceFactory> factories = SourceFactories.all(client, config, clock, metrics);
        TriggerOperator operator = new TriggerOperator(client, config, clock, metrics, factories, identity());
        // Probes answer from the start: /readyz says 503 until the informers have synced.
        OpsServer ops = new OpsServer(config.metricsPort(), metrics)
                .readinessCheck("operator", operator::isReady);
        for (SourceFactory factory : factories) factory.readinessChecks().forEach(ops::readinessCheck);
        ops.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: no new events are consumed, fires in flight finish, the leader Lease is released");
            operator.close();
            ops.close(); // last: probes and scrapes answer until everything else has stopped
            stopped.countDown();
        }, "shutdown"));
        operator.start();
        log.info("trigger-operator started against {} (namespaces: {}, cross-namespace targets: {})",
                client.getMasterUrl(), config.watchesAllNamespaces() ? "all" : config.watchNamespaces(),
                config.allowCrossNamespaceTargets());
        stopped.await();
    }

    /**
     * The Lease holder's name: the pod's name (the chart sets POD_NAME), so `kubectl get lease` shows who
     * leads, plus a random suffix (as client-go does) so a restarted container is a new candidate.
     */
    private static String identity() {
        String pod = Settings.POD_NAME.read(System::getenv);
        if (pod == null) pod = System.getenv("HOSTNAME");
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        return (pod == null || pod.isBlank() ? "trigger-operator" : pod) + "_" + suffix;
    }
}
