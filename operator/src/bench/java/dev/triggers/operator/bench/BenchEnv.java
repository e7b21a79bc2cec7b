package dev.triggers.operator.bench;

import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The API (embedded mock, or a real cluster with --kubeconfig) and the operator in its own JVM. */
final class BenchEnv implements AutoCloseable {
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    /** The Helm chart's default memory limit of the operator container. */
    static final String CHART_MEMORY_LIMIT = "512m";

    /**
     * @param size Triggers (scale, cron)
     * @param fires latency samples
     * @param seconds load duration (ingest, soak)
     * @param messages the SQS backlog
     * @param jfr record the operator's JVM with JFR (--jfr, or BENCH_JFR=1); scenarios that support it dump
     *     their measured window to target/bench/*.jfr and print its hot methods
     * @param raw every --option given, for options of one scenario
     */
    record Options(int size, int fires, int seconds, int messages, boolean jfr, Map<String, String> raw) {
        String option(String name, String fallback) {
            return raw.getOrDefault(name, fallback);
        }

        @Override
        public String toString() {
            return "size=" + size + ", fires=" + fires + ", seconds=" + seconds + ", messages=" + messages + (jfr ? ", jfr" : "");
        }
    }

    final Options options;
    final MockCluster cluster;
    final KubernetesClient client;
    final Path kubeconfig;
    final Path workDir;
    final int webhookPort;
    final int metricsPort;
    OperatorProcess operator;

    private BenchEnv(Options options, MockCluster cluster, KubernetesClient client, Path kubeconfig, Path workDir) throws IOException {
        this.options = options;
        this.cluster = cluster;
        this.client = client;
        this.kubeconfig = kubeconfig;
        this.workDir = workDir;
        this.webhookPort = freePort();
        this.metricsPort = freePort();
    }

    static BenchEnv start(Options options) throws IOException {
        MOCK_LOG.setLevel(Level.WARNING);
        Path work = Files.createDirectories(Path.of("target", "bench"));
        String real = System.getProperty("bench.kubeconfig", System.getenv("BENCH_KUBECONFIG"));
        if (real != null && !real.isBlank()) {
            Path kubeconfig = Path.of(real);
            KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
            return new BenchEnv(options, null, client, kubeconfig, work);
        }
        MockCluster cluster = MockCluster.start();
        Path kubeconfig = work.resolve("kubeconfig");
        var config = new ConfigBuilder().withApiVersion("v1").withKind("Config")
                .addToClusters(new NamedClusterBuilder().withName("bench").withNewCluster()
                        .withServer(cluster.client().getMasterUrl().toString()).endCluster().build())
                .addToUsers(new NamedAuthInfoBuilder().withName("bench").withNewUser().withToken("bench").endUser().build())
                .addToContexts(new NamedContextBuilder().withName("bench").withNewContext().withCluster("bench").withUser("bench").endContext().build())
                .withCurrentContext("bench").build();
        Files.writeString(kubeconfig, cluster.client().getKubernetesSerialization().asYaml(config));
        return new BenchEnv(options, cluster, cluster.client(), kubeconfig, work);
    }

    /** Starts the operator (production Main) in its own JVM with these extra settings. */
    OperatorProcess startOperator(Map<String, String> env) throws IOException {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("WEBHOOK_PORT", Integer.toString(webhookPort));
        all.putIfAbsent("METRICS_PORT", Integer.toString(metricsPort));
        all.putIfAbsent("WEBHOOK_BASE_URL", "http://127.0.0.1:" + webhookPort);
        all.putIfAbsent("WEBHOOK_RATE_LIMIT_PER_MINUTE", "100000000");
        all.putIfAbsent("RECHECK_SECONDS", "5");
        operator = OperatorProcess.start(kubeconfig.toAbsolutePath(), all, workDir.resolve("operator.log"), CHART_MEMORY_LIMIT, options.jfr());
        return operator;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        if (operator != null) operator.close();
        if (cluster != null) cluster.close();
        else client.close();
    }
}
