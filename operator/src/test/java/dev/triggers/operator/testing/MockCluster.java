package dev.triggers.operator.testing;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerGrant;
import dev.triggers.operator.api.v1alpha1.TriggerGrantSpec;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactory;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * A real Kubernetes API for tests and the embedded mode: the fabric8 mock server in CRUD mode over plain
 * HTTP (expectations can still be added for faults), with the generated Trigger CRD installed so that
 * the status subresource works.
 */
public final class MockCluster implements AutoCloseable {
    public static final String CRD_RESOURCE = "META-INF/fabric8/triggers.triggers.dev-v1.yml";

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private MockCluster(KubernetesMockServer server) {
        this.server = server;
        this.client = server.createClient();
    }

    public static MockCluster start() {
        return start(0);
    }

    /** Starts on the given loopback port (0: any free one) and installs the Trigger CRD. */
    public static MockCluster start(int port) {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
                new MergePatchDispatcher(responses), false);
        try {
            server.init(InetAddress.getLoopbackAddress(), port);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the mock Kubernetes API on port " + port, e);
        }
        MockCluster cluster = new MockCluster(server);
        cluster.installCrd();
        return cluster;
    }

    public KubernetesMockServer server() {
        return server;
    }

    public KubernetesClient client() {
        return client;
    }

    public void installCrd() {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(CRD_RESOURCE)) {
            if (in == null) throw new IllegalStateException(CRD_RESOURCE + " is not on the classpath: run the build (process-classes) first");
            CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
            client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(op -> op.update());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void namespace(String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .createOr(op -> op.update());
    }

    public Deployment deployment(String ns, String name, int replicas, Map<String, String> labels) {
        Map<String, String> podLabels = Map.of("app", name);
        return client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().withMatchLabels(podLabels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(podLabels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("nginx:1.27").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
    }

    public Deployment deployment(String ns, String name) {
        return deployment(ns, name, 1, Map.of());
    }

    public StatefulSet statefulSet(String ns, String name, Map<String, String> labels) {
        Map<String, String> podLabels = Map.of("app", name);
        return client.apps().statefulSets().inNamespace(ns).resource(new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(1).withServiceName(name)
                .withNewSelector().withMatchLabels(podLabels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(podLabels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("postgres:17").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
    }

    public DaemonSet daemonSet(String ns, String name, Map<String, String> labels) {
        Map<String, String> podLabels = Map.of("app", name);
        return client.apps().daemonSets().inNamespace(ns).resource(new DaemonSetBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).withLabels(labels).endMetadata()
                .withNewSpec()
                .withNewSelector().withMatchLabels(podLabels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(podLabels).endMetadata()
                .withNewSpec().addNewContainer().withName("agent").withImage("fluent-bit:3").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
    }

    public Trigger create(Trigger trigger) {
        return client.resource(trigger).create();
    }

    /** A TriggerGrant in the target namespace: Triggers of {@code from} may act there (all workloads unless {@code to} says). */
    public TriggerGrant grant(String targetNs, String name, String from, TriggerGrantSpec.To to, String... actions) {
        TriggerGrant grant = new TriggerGrant();
        grant.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(targetNs).withName(name).build());
        TriggerGrantSpec spec = new TriggerGrantSpec();
        spec.setFrom(List.of(new TriggerGrantSpec.From(from)));
        spec.setTo(to);
        if (actions.length > 0) spec.setActions(List.of(actions));
        grant.setSpec(spec);
        return client.resource(grant).create();
    }

    public Trigger trigger(String ns, String name) {
        return client.resources(Trigger.class).inNamespace(ns).withName(name).get();
    }

    public Deployment getDeployment(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    /** A test configuration: fast rechecks, free ports for the operator's servers. */
    public static OperatorConfig testConfig() {
        return OperatorConfig.defaults().withRecheckInterval(Duration.ofMillis(500)).withPorts(0, 0).withExitOnLostLeadership(false)
                .withTenancy(dev.triggers.operator.config.TenantPolicy.open());
    }

    /** Starts an operator on this API; it is stopped when the cluster closes. */
    public TriggerOperator startOperator(OperatorConfig config, Clock clock, List<SourceFactory> factories) {
        return startOperator(config, clock, new SimpleMeterRegistry(), factories);
    }

    public TriggerOperator startOperator(OperatorConfig config, Clock clock, MeterRegistry metrics, List<SourceFactory> factories) {
        TriggerOperator operator = new TriggerOperator(client, config, clock, metrics, factories);
        closeables.add(operator);
        operator.start();
        return operator;
    }

    /** Something to close (before the API goes away) when the cluster closes. */
    public <T extends AutoCloseable> T closeLater(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception ignored) {
                // best effort: the next one still closes
            }
        }
        client.close();
        server.destroy();
    }
}
