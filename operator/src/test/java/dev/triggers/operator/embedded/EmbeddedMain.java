package dev.triggers.operator.embedded;

import dev.triggers.operator.Main;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.testing.Manifests;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * README's first command: the operator against an embedded Kubernetes API (the fabric8 mock server in
 * CRUD mode, plain HTTP) with the CRD, a `demo` namespace with workloads and every manifest of
 * examples/ loaded, and a kubeconfig for kubectl. Lives in the test tree so the mock server never
 * enters the production jar.
 */
public final class EmbeddedMain {
    public static final String NAMESPACE = "demo";

    /** The mock web server logs every request through java.util.logging at INFO: keep warnings only. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private EmbeddedMain() {}

    public static void main(String[] args) throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        // A bad setting (WEBHOOK_PORT=abc) stops it as it stops the operator: one line, exit 2.
        OperatorConfig fromEnv = Main.configOrExit(System.getenv());
        int apiPort = Integer.getInteger("embedded.apiPort", 6443);
        int webhookPort = Integer.getInteger("embedded.webhookPort", fromEnv.webhookPort());
        int metricsPort = Integer.getInteger("embedded.metricsPort", fromEnv.metricsPort());
        // Before anything starts: a busy port is one clear line and a non-zero exit, not a stack trace and a hang.
        exitIfBusy(apiPort, "the embedded Kubernetes API", "-Dembedded.apiPort");
        exitIfBusy(webhookPort, "webhooks", "-Dembedded.webhookPort");
        exitIfBusy(metricsPort, "metrics", "-Dembedded.metricsPort");
        // 0 = any free port, chosen now so that the webhook URLs and the banner name the real one.
        webhookPort = webhookPort == 0 ? NatsServer.freePort() : webhookPort;
        metricsPort = metricsPort == 0 ? NatsServer.freePort() : metricsPort;
        MockCluster cluster = MockCluster.start(apiPort);
        LocalBackends backends = LocalBackends.start();
        load(cluster, backends);
        Path kubeconfig = writeKubeconfig(cluster, kubeconfigPath());
        Runtime.getRuntime().addShutdownHook(new Thread(backends::close, "embedded-backends"));
        // A developer's machine: the local ElasticMQ and NATS of the examples are on loopback.
        int webhook = webhookPort;
        int metrics = metricsPort;
        OperatorConfig config = fromEnv.with(c -> {
            c.watchNamespaces = java.util.Set.of();
            c.webhookPort = webhook;
            c.metricsPort = metrics;
            c.webhookBaseUrl = "http://localhost:" + webhook;
            c.tenancy = dev.triggers.operator.config.TenantPolicy.open();
            // The mock API runs no workload controllers: a rollout would never end, and with whileProgressing
            // Queue every fire after the first would wait for it. Fires end at their patch here.
            c.rollouts = dev.triggers.operator.config.RolloutFollowing.OFF;
        });
        System.out.printf("""

                trigger-operator is running against an embedded Kubernetes API at %s
                  export KUBECONFIG=%s
                  kubectl get trg -n %s                       # the examples, with their status
                  kubectl annotate trg -n %s restart-web --overwrite triggers.dev/fire-request=$(date +%%s)
                  kubectl get deploy web -n %s -o jsonpath='{.spec.template.metadata.annotations}'
                Webhooks on http://localhost:%d/hooks/%s/<trigger>, metrics on http://localhost:%d/metrics. Ctrl-C stops it.
                SQS examples use ElasticMQ at %s; NATS examples: %s.

                """, cluster.client().getMasterUrl(), kubeconfig.toAbsolutePath(), NAMESPACE, NAMESPACE, NAMESPACE,
                webhookPort, NAMESPACE, metricsPort, backends.sqsEndpoint(),
                backends.natsInstalled() ? "nats-server at " + backends.natsUrl() : LocalBackends.NATS_MISSING);
        Main.run(cluster.client(), config);
    }

    /** operator/target/embedded-kubeconfig (where README says), whatever directory Maven was started from. */
    static Path kubeconfigPath() throws Exception {
        String configured = System.getProperty("embedded.kubeconfig");
        if (configured != null) return Path.of(configured);
        // target/test-classes/ -> target/
        Path testClasses = Path.of(EmbeddedMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return testClasses.getParent().resolve("embedded-kubeconfig");
    }

    static void exitIfBusy(int port, String what, String property) {
        if (port == 0) return;
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(port));
        } catch (java.io.IOException busy) {
            System.err.printf("error: port %d (%s) is already in use; stop what uses it, or choose another port with %s=<port> (0 = any free port)%n",
                    port, what, property);
            System.exit(2);
        }
    }

    /** The demo namespace, its workloads, every example manifest, pointed at the local SQS and NATS servers. */
    public static MockCluster load(MockCluster cluster, LocalBackends backends) throws Exception {
        load(cluster);
        backends.rewire(cluster.client(), NAMESPACE);
        return cluster;
    }

    /** The demo namespace, its workloads, and every example manifest. */
    public static MockCluster load(MockCluster cluster) throws Exception {
        cluster.namespace(NAMESPACE);
        cluster.namespace("default");
        cluster.deployment(NAMESPACE, "web", 2, Map.of("app.kubernetes.io/instance", "shop"));
        cluster.deployment(NAMESPACE, "worker", 1, Map.of("app.kubernetes.io/instance", "shop"));
        cluster.statefulSet(NAMESPACE, "db", Map.of("app.kubernetes.io/instance", "shop"));
        cluster.deployment(NAMESPACE, "reports", 1, Map.of());
        for (Path example : Manifests.examples()) Manifests.apply(cluster.client(), example);
        return cluster;
    }

    static Path writeKubeconfig(MockCluster cluster, Path file) throws Exception {
        var kubeconfig = new ConfigBuilder()
                .withApiVersion("v1").withKind("Config")
                .addToClusters(new NamedClusterBuilder().withName("embedded")
                        .withNewCluster().withServer(cluster.client().getMasterUrl().toString()).endCluster().build())
                .addToUsers(new NamedAuthInfoBuilder().withName("embedded").withNewUser().withToken("embedded").endUser().build())
                .addToContexts(new NamedContextBuilder().withName("embedded")
                        .withNewContext().withCluster("embedded").withUser("embedded").withNamespace(NAMESPACE).endContext().build())
                .withCurrentContext("embedded")
                .build();
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, cluster.client().getKubernetesSerialization().asYaml(kubeconfig));
        return file;
    }
}
