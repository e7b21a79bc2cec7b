package dev.triggers.operator;

import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.ops.ApiRequestMetrics;
import dev.triggers.operator.ops.OpsServer;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
import java.util.List;
import dev.triggers.operator.source.SourceFactories;
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
        OperatorConfig config = OperatorConfig.fromEnv(System.getenv());
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Its requests counted (trigger_operator_api_requests_total): what the operator costs the API server.
        KubernetesClient client = ApiRequestMetrics.instrument(new KubernetesClientBuilder(), metrics).build();
        run(client, config, metrics);
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
        factories.stream().filter(WebhookSourceFactory.class::isInstance).map(WebhookSourceFactory.class::cast)
                .forEach(webhook -> ops.readinessCheck("webhook", () -> webhook.port() > 0));
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
        String pod = System.getenv("POD_NAME");
        if (pod == null || pod.isBlank()) pod = System.getenv("HOSTNAME");
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        return (pod == null || pod.isBlank() ? "trigger-operator" : pod) + "_" + suffix;
    }
}
