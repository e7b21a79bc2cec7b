package dev.triggers.operator;

import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactories;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wiring only: settings from the environment, the cluster from kubeconfig or in-cluster config. */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) throws InterruptedException {
        OperatorConfig config = OperatorConfig.fromEnv(System.getenv());
        KubernetesClient client = new KubernetesClientBuilder().build();
        run(client, config);
    }

    /** Runs the operator until the JVM is asked to stop (SIGTERM): then shuts down gracefully. */
    public static void run(KubernetesClient client, OperatorConfig config) throws InterruptedException {
        Clock clock = Clock.systemUTC();
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TriggerOperator operator = new TriggerOperator(client, config, clock, metrics,
                SourceFactories.all(client, config, clock, metrics));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: no new events are consumed, fires in flight finish");
            operator.close();
            stopped.countDown();
        }, "shutdown"));
        operator.start();
        log.info("trigger-operator started against {} (namespaces: {}, cross-namespace targets: {})",
                client.getMasterUrl(), config.watchesAllNamespaces() ? "all" : config.watchNamespaces(),
                config.allowCrossNamespaceTargets());
        stopped.await();
    }
}
