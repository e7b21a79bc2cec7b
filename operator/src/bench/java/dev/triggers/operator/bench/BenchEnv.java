package dev.triggers.operator.bench;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerGrant;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One scenario's API (a fresh embedded mock, or a real cluster named by a kubeconfig) and its operator in its
 * own JVM. On a real cluster the scenario's namespaces (all labelled {@value #LABEL}) are emptied and deleted
 * when it ends, and waited for, so that the next scenario starts on a clean cluster.
 */
final class BenchEnv implements AutoCloseable {
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    /** The Helm chart's default memory limit of the operator container (--memory-limit sizes the operator's JVM for another). */
    static final String CHART_MEMORY_LIMIT = "512m";
    /** On every namespace the benchmark makes: only such namespaces are ever deleted by it. */
    static final String LABEL = "triggers.dev/bench";
    static final Duration CLEANUP_TIMEOUT = Duration.ofMinutes(5);

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
    final String scenario;
    final Report report;
    /** The embedded mock, or null on an external cluster. */
    final MockCluster cluster;
    final KubernetesClient client;
    final Path kubeconfig;
    final Path workDir;
    final int webhookPort;
    final int metricsPort;
    OperatorProcess operator;
    private final Set<String> namespaces = new LinkedHashSet<>();
    private final AtomicInteger triggersCreated = new AtomicInteger();

    private BenchEnv(Options options, String scenario, Report report, MockCluster cluster, KubernetesClient client, Path kubeconfig,
                     Path workDir) throws IOException {
        this.options = options;
        this.scenario = scenario;
        this.report = report;
        this.cluster = cluster;
        this.client = client;
        this.kubeconfig = kubeconfig;
        this.workDir = workDir;
        this.webhookPort = freePort();
        this.metricsPort = freePort();
    }

    /** The scenario's API: the cluster of {@code external} (a kubeconfig), or else a new embedded mock. */
    static BenchEnv start(Options options, String scenario, Report report, Path external) throws IOException {
        MOCK_LOG.setLevel(Level.WARNING);
        Path work = Files.createDirectories(Path.of("target", "bench"));
        if (external != null) {
            return new BenchEnv(options, scenario, report, null, externalClient(external), external, work);
        }
        // Objects shaped as a real API server's (metadata.managedFields): what the operator caches is then as big.
        MockCluster cluster = MockCluster.start(0, RealShapedObjects::onRequest);
        Path kubeconfig = writeKubeconfig(cluster.client().getMasterUrl().toString(), work.resolve("kubeconfig"));
        return new BenchEnv(options, scenario, report, cluster, cluster.client(), kubeconfig, work);
    }

    static KubernetesClient externalClient(Path kubeconfig) throws IOException {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
    }

    /**
     * The kubeconfig of the cluster to run against, or null for the embedded mock: --kubeconfig, else the
     * system property bench.kubeconfig (what -Dbench.kubeconfig on the mvn command line becomes in the benchmark's
     * JVM), else the environment variable BENCH_KUBECONFIG; blank counts as unset. A relative path is taken
     * from where mvn was started (bench.cwd), "~/" from the home directory.
     */
    static Path kubeconfig(String option, String property, String environment, String cwd) {
        String chosen = option != null && !option.isBlank() ? option
                : property != null && !property.isBlank() ? property
                : environment != null && !environment.isBlank() ? environment : null;
        if (chosen == null) return null;
        chosen = chosen.trim();
        if (chosen.equals("~") || chosen.startsWith("~/")) chosen = System.getProperty("user.home") + chosen.substring(1);
        Path path = Path.of(chosen);
        if (!path.isAbsolute() && cwd != null && !cwd.isBlank()) path = Path.of(cwd).resolve(path);
        path = path.toAbsolutePath().normalize();
        if (!Files.isReadable(path)) throw new IllegalArgumentException("no kubeconfig at " + path);
        return path;
    }

    /** A kubeconfig for an API at this URL (plain HTTP, any token), as the mock needs. */
    static Path writeKubeconfig(String server, Path file) throws IOException {
        var config = new ConfigBuilder().withApiVersion("v1").withKind("Config")
                .addToClusters(new NamedClusterBuilder().withName("bench").withNewCluster().withServer(server).endCluster().build())
                .addToUsers(new NamedAuthInfoBuilder().withName("bench").withNewUser().withToken("bench").endUser().build())
                .addToContexts(new NamedContextBuilder().withName("bench").withNewContext().withCluster("bench").withUser("bench").endContext().build())
                .withCurrentContext("bench").build();
        Files.writeString(file, new KubernetesSerialization().asYaml(config));
        return file;
    }

    boolean external() {
        return cluster == null;
    }

    /**
     * Creates the namespace, labelled as the benchmark's, and remembers it for the clean-up. An existing
     * namespace without the label is someone else's: the benchmark refuses it rather than delete it later.
     */
    void namespace(String ns) {
        Namespace existing = client.namespaces().withName(ns).get();
        if (existing != null && (existing.getMetadata().getLabels() == null || !existing.getMetadata().getLabels().containsKey(LABEL))) {
            throw new IllegalStateException("namespace " + ns + " exists and was not made by the benchmark (no label " + LABEL
                    + "): it neither uses nor deletes it; delete it or run against another cluster");
        }
        namespaces.add(ns);
        if (existing == null) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).addToLabels(LABEL, scenario).endMetadata().build())
                    .create();
        }
    }

    Set<String> namespaces() {
        return namespaces;
    }

    /** Creates a Trigger (in one of this scenario's namespaces) and counts it for the per-Trigger figures. */
    Trigger create(Trigger trigger) {
        if (!namespaces.contains(trigger.getMetadata().getNamespace())) {
            throw new IllegalArgumentException("not a namespace of this scenario: " + trigger.getMetadata().getNamespace());
        }
        Trigger created = client.resource(trigger).create();
        triggersCreated.incrementAndGet();
        return created;
    }

    int triggersCreated() {
        return triggersCreated.get();
    }

    /** Starts the operator (production Main) in its own JVM with these extra settings. */
    OperatorProcess startOperator(Map<String, String> env) throws IOException {
        if (operator != null) throw new IllegalStateException("an operator runs already");
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("WEBHOOK_PORT", Integer.toString(webhookPort));
        all.putIfAbsent("METRICS_PORT", Integer.toString(metricsPort));
        all.putIfAbsent("WEBHOOK_BASE_URL", "http://127.0.0.1:" + webhookPort);
        all.putIfAbsent("WEBHOOK_RATE_LIMIT_PER_MINUTE", "100000000");
        all.putIfAbsent("RECHECK_SECONDS", "5");
        // The embedded mock runs no workload controllers: no rollout would ever end, and every event after a
        // Trigger's first fire would wait for it (whileProgressing: Queue). A scenario that measures following
        // turns it on itself.
        if (!external()) all.putIfAbsent("FOLLOW_ROLLOUTS", "false");
        operator = OperatorProcess.start(kubeconfig.toAbsolutePath(), all, operatorLog(), memoryLimit(), options.jfr(),
                metricsPort);
        return operator;
    }

    Path operatorLog() {
        return workDir.resolve("operator-" + scenario + ".log");
    }

    /** The container memory limit the operator's JVM is sized for: the chart's default, or --memory-limit (e.g. 1g). */
    String memoryLimit() {
        return options.option("memory-limit", CHART_MEMORY_LIMIT);
    }

    /**
     * Reports what the operator cost during the scenario, from its own /metrics (so the figures exist on a real
     * cluster too): threads started by its JVM, its API requests in all and per Trigger, the top verbs and
     * resources; then stops it. Scenarios that must stop it early (before a backend goes) call this.
     */
    void stopOperator() throws Exception {
        if (operator == null) return;
        try {
            if (operator.isAlive()) {
                OperatorMetrics m = operator.metrics();
                int triggers = Math.max(1, triggersCreated());
                double requests = m.sum(OperatorMetrics.API_REQUESTS);
                report.add(scenario, "operator: threads started (JVM, in all)", m.value(OperatorMetrics.THREADS_STARTED), "threads", "");
                report.add(scenario, "operator: live threads at the end", m.value(OperatorMetrics.THREADS_LIVE), "threads", "");
                report.add(scenario, "operator: peak RSS (VmHWM)", operator.peakRssMiB(), "MiB", "≤ " + memoryLimit() + " (container limit)");
                report.add(scenario, "operator: API requests (its client's count)", requests, "requests", "");
                report.add(scenario, "operator: API requests per Trigger (" + triggersCreated() + " Triggers)", requests / triggers, "requests", "");
                System.out.println("  operator's API requests by verb and resource: " + m.topRequests(10));
                System.out.println("  operator's live threads by name: " + operator.threadGroups());
            } else {
                report.add(scenario, "operator: JVM had exited (see " + operatorLog() + ")", Double.NaN, "", "");
                report.add(scenario, "operator: peak RSS (VmHWM) before it exited", operator.peakRssMiB(), "MiB", "≤ " + memoryLimit() + " (container limit)");
            }
        } finally {
            operator.close();
            operator = null;
        }
    }

    /** Stops the operator without reporting its figures (one measured apart, say). */
    void discardOperator() throws InterruptedException {
        if (operator == null) return;
        operator.close();
        operator = null;
    }

    /** The kinds a scenario (or the operator) puts in a namespace; a real cluster would delete them with it, the mock does not. */
    private static final List<Consumer<NsScope>> KINDS = List.of(
            s -> s.client.resources(Trigger.class).inNamespace(s.ns).delete(),
            s -> s.client.resources(TriggerGrant.class).inNamespace(s.ns).delete(),
            s -> s.client.apps().deployments().inNamespace(s.ns).delete(),
            s -> s.client.apps().statefulSets().inNamespace(s.ns).delete(),
            s -> s.client.apps().daemonSets().inNamespace(s.ns).delete(),
            s -> s.client.secrets().inNamespace(s.ns).delete(),
            s -> s.client.configMaps().inNamespace(s.ns).delete(),
            s -> s.client.v1().events().inNamespace(s.ns).delete());

    private record NsScope(KubernetesClient client, String ns) {}

    /**
     * Deletes what the benchmark made in these namespaces and the namespaces, and waits until they are gone
     * (a real cluster deletes a namespace's objects in the background). Returns the seconds it took.
     */
    static double deleteNamespaces(KubernetesClient client, Set<String> namespaces) throws InterruptedException {
        long start = System.nanoTime();
        for (String ns : namespaces) {
            for (Consumer<NsScope> kind : KINDS) {
                try {
                    kind.accept(new NsScope(client, ns));
                } catch (RuntimeException e) {
                    System.out.println("  clean-up of " + ns + ": " + e.getMessage());
                }
            }
            client.namespaces().withName(ns).delete();
        }
        long deadline = System.nanoTime() + CLEANUP_TIMEOUT.toNanos();
        List<String> left = new ArrayList<>(namespaces);
        while (!left.isEmpty()) {
            left.removeIf(ns -> client.namespaces().withName(ns).get() == null);
            if (left.isEmpty()) break;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("namespaces still there " + CLEANUP_TIMEOUT.toMinutes() + " minutes after their deletion: " + left);
            }
            Thread.sleep(500);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Namespaces an earlier, interrupted run left behind on this cluster (they carry the benchmark's label). */
    static Set<String> leftovers(KubernetesClient client) {
        Set<String> found = new LinkedHashSet<>();
        for (HasMetadata ns : client.namespaces().withLabel(LABEL).list().getItems()) found.add(ns.getMetadata().getName());
        return found;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops the operator (with its figures), then cleans the scenario's namespaces up on a real cluster. */
    @Override
    public void close() throws Exception {
        try {
            stopOperator();
        } finally {
            try {
                if (external() && !namespaces.isEmpty()) {
                    double took = deleteNamespaces(client, namespaces);
                    System.out.printf("  clean-up: %d namespaces and everything in them deleted in %.1f s%n", namespaces.size(), took);
                }
            } finally {
                if (cluster != null) cluster.close();
                else client.close();
            }
        }
    }
}
