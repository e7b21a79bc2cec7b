package dev.triggers.operator.bench;

import ch.qos.logback.classic.Level;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.NatsSource;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.TriggerSource;
import dev.triggers.operator.source.nats.NatsSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.LoggerFactory;

/**
 * What 1 000 NATS Triggers sharing one connection cost (threads, heap), and publish → patch latency.
 *
 * <pre>
 * cd operator && mvn -B -o -q -Pbench test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -Xmx1g -cp target/bench-classes:target/test-classes:target/classes:$(cat target/cp.txt) dev.triggers.operator.bench.NatsLatency [triggers] [samples] [operatorTriggers]
 * </pre>
 *
 * Part 1 runs the NATS sources alone (no Kubernetes API: fires complete at once), so the figures are
 * the NATS source's own cost. Part 2 runs the whole operator against the in-JVM mock API with the
 * same number of core Triggers, then times publish → Deployment template patched (seen by a watch),
 * for core NATS and for a JetStream Trigger.
 */
public final class NatsLatency {
    private NatsLatency() {}

    public static void main(String[] args) throws Exception {
        int triggers = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int operatorTriggers = args.length > 2 ? Integer.parseInt(args[2]) : triggers;
        // The mock API logs every request through java.util.logging: keep that out of the figures.
        java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.triggers")).setLevel(Level.ERROR);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.ERROR);
        System.out.printf("java %s, %d CPUs, max heap %d MiB, nats-server %s%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, NatsServer.BINARY);
        try (NatsServer nats = NatsServer.start()) {
            sourcesAlone(nats, triggers, false, samples);
            sourcesAlone(nats, triggers, true, samples);
            wholeOperator(nats, operatorTriggers, samples);
        }
        System.exit(0);
    }

    /** N sources on one shared connection, with a context that needs no Kubernetes API. */
    static void sourcesAlone(NatsServer nats, int n, boolean jetStream, int samples) throws Exception {
        if (jetStream) {
            try (Connection admin = Nats.connect(nats.url())) {
                admin.jetStreamManagement().addStream(StreamConfiguration.builder().name("ALONE").subjects("alone.>").storageType(StorageType.File).build());
            }
        }
        Snapshot before = Snapshot.take();
        Map<String, CompletableFuture<Long>> fired = new ConcurrentHashMap<>();
        NatsSourceFactory factory = new NatsSourceFactory();
        List<TriggerSource> sources = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NatsSource spec = jetStream ? jetStream(nats.url(), "alone.t" + i, "ALONE", "alone-" + i) : core(nats.url(), "alone.t" + i);
            Trigger trigger = trigger("t" + i, spec);
            TriggerSource source = factory.start(trigger, new dev.triggers.operator.testing.FakeSourceContext(ResourceID.fromResource(trigger), Clock.systemUTC(), event -> {
                // Fires succeed at once: measures the source, not the API.
                long now = System.nanoTime();
                CompletableFuture<Long> waiting = fired.remove(trigger.getMetadata().getName());
                if (waiting != null) waiting.complete(now);
            }));
            source.observe(trigger);
            sources.add(source);
        }
        long start = System.nanoTime();
        await(Duration.ofMinutes(5), () -> sources.stream().allMatch(s -> s.health().ready()));
        long readyMillis = (System.nanoTime() - start) / 1_000_000;
        Snapshot after = Snapshot.take();
        System.out.printf("%n== %d %s NATS sources alone, %d connection(s): all ready in %d ms%n", n, jetStream ? "JetStream" : "core",
                factory.connections().size(), readyMillis);
        System.out.printf("threads: %d before, %d after (+%d); heap used after GC: %.1f MiB before, %.1f MiB after (+%.1f MiB, %.1f KiB per Trigger)%n",
                before.threads, after.threads, after.threads - before.threads, before.heapMiB(), after.heapMiB(),
                after.heapMiB() - before.heapMiB(), (after.heap - before.heap) / 1024.0 / n);
        System.out.println("threads added, by name: " + Snapshot.newThreads(before, after));
        try (Connection publisher = Nats.connect(nats.url())) {
            List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                int k = (i * 7919) % n;
                CompletableFuture<Long> done = new CompletableFuture<>();
                fired.put("t" + k, done);
                long t0 = System.nanoTime();
                if (jetStream) {
                    publisher.jetStream().publish("alone.t" + k, new byte[0]);
                } else {
                    publisher.publish("alone.t" + k, new byte[0]);
                    publisher.flush(Duration.ofSeconds(5));
                }
                latencies.add(done.get(30, TimeUnit.SECONDS) - t0);
            }
            print((jetStream ? "JetStream publish (with PubAck)" : "core publish (with flush)") + " -> source hands the event to the executor", latencies);
        }
        sources.forEach(TriggerSource::close);
        factory.close();
    }

    /** The whole operator (mock API in this JVM) with N core Triggers, then publish → patch latency. */
    static void wholeOperator(NatsServer nats, int n, int samples) throws Exception {
        String ns = "bench";
        try (MockCluster cluster = MockCluster.start()) {
            cluster.namespace(ns);
            Snapshot before = Snapshot.take();
            OperatorConfig config = MockCluster.testConfig().with(c -> c.recheckInterval = Duration.ofSeconds(10));
            SimpleMeterRegistry metrics = new SimpleMeterRegistry();
            cluster.startOperator(config, Clock.systemUTC(), metrics, List.of(new NatsSourceFactory()));
            for (int i = 0; i < n; i++) {
                cluster.deployment(ns, "web-t" + i);
                Trigger t = trigger("t" + i, core(nats.url(), "bench.t" + i));
                t.getMetadata().setNamespace(ns);
                cluster.create(t);
            }
            long start = System.nanoTime();
            await(Duration.ofMinutes(10), () -> countReady(cluster.client(), ns) == n);
            System.out.printf("%n== whole operator, %d core NATS Triggers on one connection (mock API in the same JVM): all Ready in %d ms%n",
                    n, (System.nanoTime() - start) / 1_000_000);
            Snapshot after = Snapshot.take();
            System.out.printf("threads: %d before the operator, %d with it (+%d); heap used after GC: %.1f MiB -> %.1f MiB (+%.1f MiB, mock API's objects included)%n",
                    before.threads, after.threads, after.threads - before.threads, before.heapMiB(), after.heapMiB(), after.heapMiB() - before.heapMiB());
            System.out.println("threads added, by name: " + Snapshot.newThreads(before, after));

            // For scale: one round trip to the mock API (a fire makes several: GET, PATCH, status PATCH, Event).
            List<Long> gets = new ArrayList<>();
            List<Long> patches = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                long t0 = System.nanoTime();
                cluster.client().apps().deployments().inNamespace(ns).withName("web-t0").get();
                gets.add(System.nanoTime() - t0);
                t0 = System.nanoTime();
                cluster.client().apps().deployments().inNamespace(ns).withName("web-t0")
                        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                                "{\"metadata\":{\"annotations\":{\"bench\":\"" + i + "\"}}}");
                patches.add(System.nanoTime() - t0);
            }
            print("mock API GET Deployment", gets);
            print("mock API merge PATCH Deployment", patches);

            Map<String, CompletableFuture<Long>> waiting = new ConcurrentHashMap<>();
            Map<String, String> lastId = new ConcurrentHashMap<>();
            Watch watch = cluster.client().apps().deployments().inNamespace(ns).watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, Deployment d) {
                    long now = System.nanoTime();
                    Map<String, String> a = d.getSpec().getTemplate().getMetadata().getAnnotations();
                    String id = a == null ? null : a.get(RedeployAction.EVENT_ID);
                    String name = d.getMetadata().getName();
                    if (id != null && !Objects.equals(lastId.put(name, id), id)) {
                        CompletableFuture<Long> f = waiting.remove(name);
                        if (f != null) f.complete(now);
                    }
                }

                @Override
                public void onClose(WatcherException cause) {}
            });
            try (Connection publisher = Nats.connect(nats.url())) {
                List<Long> core = new ArrayList<>();
                for (int i = 0; i < samples; i++) {
                    int k = (i * 7919) % n;
                    CompletableFuture<Long> patched = new CompletableFuture<>();
                    waiting.put("web-t" + k, patched);
                    long t0 = System.nanoTime();
                    publisher.publish("bench.t" + k, new byte[0]);
                    publisher.flush(Duration.ofSeconds(5));
                    core.add(patched.get(30, TimeUnit.SECONDS) - t0);
                }
                print("core NATS publish -> Deployment patched (watch event), " + n + " Triggers on one connection", core);
                printFireLatency(metrics);

                publisher.jetStreamManagement().addStream(StreamConfiguration.builder().name("BENCH").subjects("bench-js.>").storageType(StorageType.File).build());
                cluster.deployment(ns, "web-js");
                Trigger js = trigger("js", jetStream(nats.url(), "bench-js.web", "BENCH", "bench-js"));
                js.getSpec().getTarget().setName("web-js");
                js.getMetadata().setNamespace(ns);
                cluster.create(js);
                await(Duration.ofMinutes(1), () -> {
                    TriggerStatus s = cluster.trigger(ns, "js").getStatus();
                    return s != null && TriggerStatus.READY.equals(s.getStatus());
                });
                List<Long> jet = new ArrayList<>();
                for (int i = 0; i < samples; i++) {
                    CompletableFuture<Long> patched = new CompletableFuture<>();
                    waiting.put("web-js", patched);
                    long t0 = System.nanoTime();
                    publisher.jetStream().publish("bench-js.web", new byte[0]);
                    jet.add(patched.get(30, TimeUnit.SECONDS) - t0);
                }
                print("JetStream publish (with PubAck) -> Deployment patched (watch event)", jet);
                printFireLatency(metrics);
            } finally {
                watch.close();
            }
        }
    }

    /** The operator's own histogram: event received (JetStream: stored) -> fire done, patch and status included. */
    static void printFireLatency(SimpleMeterRegistry metrics) {
        metrics.find("trigger_fire_latency").timers().forEach(t -> System.out.printf("  operator's trigger_fire_latency %s: count=%d mean=%.1f ms max=%.1f ms%n",
                t.getId().getTag("source"), t.count(), t.mean(TimeUnit.MILLISECONDS), t.max(TimeUnit.MILLISECONDS)));
    }

    static int countReady(KubernetesClient client, String ns) {
        return (int) client.resources(Trigger.class).inNamespace(ns).list().getItems().stream()
                .filter(t -> t.getStatus() != null && TriggerStatus.READY.equals(t.getStatus().getStatus())).count();
    }

    static void print(String what, List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        System.out.printf("%s: n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms%n", what, sorted.size(),
                sorted.get(sorted.size() / 2) / 1e6, sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1e6, sorted.get(sorted.size() - 1) / 1e6);
    }

    static NatsSource core(String url, String subject) {
        NatsSource nats = new NatsSource();
        nats.setServers(List.of(url));
        nats.setSubject(subject);
        return nats;
    }

    static NatsSource jetStream(String url, String subject, String stream, String durable) {
        NatsSource nats = core(url, subject);
        NatsSource.JetStreamSpec js = new NatsSource.JetStreamSpec();
        js.setStream(stream);
        js.setDurable(durable);
        nats.setJetStream(js);
        return nats;
    }

    static Trigger trigger(String name, NatsSource nats) {
        Trigger t = Triggers.redeploy("bench", name, "web-" + name);
        SourceSpec source = new SourceSpec(SourceSpec.NATS);
        source.setNats(nats);
        t.getSpec().setSource(source);
        return t;
    }

    static void await(Duration max, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("not reached within " + max);
            Thread.sleep(50);
        }
    }

    /** Live threads and heap used after a full GC. */
    record Snapshot(int threads, long heap, Map<String, Integer> names) {
        static Snapshot take() throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
            Map<String, Integer> names = new TreeMap<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) names.merge(t.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum);
            return new Snapshot(ManagementFactory.getThreadMXBean().getThreadCount(),
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), names);
        }

        double heapMiB() {
            return heap / 1024.0 / 1024.0;
        }

        static Map<String, Integer> newThreads(Snapshot before, Snapshot after) {
            Map<String, Integer> added = new TreeMap<>();
            after.names.forEach((name, count) -> {
                int diff = count - before.names.getOrDefault(name, 0);
                if (diff != 0) added.put(name, diff);
            });
            return added;
        }
    }

}
