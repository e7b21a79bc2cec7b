package dev.triggers.operator.bench;

import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * N Triggers (half webhook, half cron) over 50 namespaces: time to all Ready, the operator's RSS, heap
 * after GC and threads; then 1 000 updates and 1 000 deletes, and the time to converge.
 */
final class ScaleScenario implements Benchmarks.Scenario {
    static final int NAMESPACES = 50;
    static final int THREADS = 8;

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        int n = env.options.size();
        for (int i = 0; i < NAMESPACES; i++) {
            BenchFixtures.namespace(client, "scale-" + i);
            BenchFixtures.deployment(client, "scale-" + i, "web");
        }
        // Baseline: what the API alone takes to create the N Triggers (no operator running yet).
        long start = System.nanoTime();
        inParallel(n, k -> {
            String ns = "scale-" + (k % NAMESPACES);
            client.resource(k % 2 == 0 ? BenchFixtures.webhookTrigger(ns, "t-" + k, "web", 0)
                    : BenchFixtures.cronTrigger(ns, "t-" + k, "web", "0 3 * * *")).create();
        });
        double created = (System.nanoTime() - start) / 1e9;
        report.add("scale", "Triggers", n, "", "");
        report.add("scale", "baseline: API alone creates them (" + THREADS + " clients)", created, "s", "");

        // Then the operator starts and brings every one to Ready: labels, target read, status, webhook Secret.
        long requestsBefore = env.cluster == null ? -1 : env.cluster.server().getRequestCount();
        start = System.nanoTime();
        OperatorProcess operator = env.startOperator(Map.of());
        BenchFixtures.awaitAll(client, n, BenchFixtures::ready, Duration.ofMinutes(6));
        double allReady = (System.nanoTime() - start) / 1e9;
        report.add("scale", "operator start → all Ready", allReady, "s", "≤ 30 s");
        report.add("scale", "ratio (all Ready / baseline create)", allReady / created, "x", "");
        if (requestsBefore >= 0) {
            report.add("scale", "API requests per Trigger to Ready",
                    (env.cluster.server().getRequestCount() - requestsBefore) / (double) n, "", "");
        }
        report.add("scale", "operator RSS with all Ready", operator.rssMiB(), "MiB", "≤ 300 MiB");
        report.add("scale", "operator heap after GC", operator.heapAfterGcMiB(), "MiB", "");
        report.add("scale", "operator threads", operator.threads(), "", "");

        int changes = Math.min(1000, n);
        start = System.nanoTime();
        inParallel(changes, i -> client.resources(Trigger.class).inNamespace("scale-" + (i % NAMESPACES)).withName("t-" + i)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"description\":\"updated " + i + "\"}}"));
        BenchFixtures.awaitAll(client, changes, t -> t.getSpec().getDescription() != null && t.getSpec().getDescription().startsWith("updated")
                && t.getStatus() != null && Objects.equals(t.getStatus().getObservedGeneration(), t.getMetadata().getGeneration()), Duration.ofMinutes(5));
        report.add("scale", changes + " updates: time to observedGeneration", (System.nanoTime() - start) / 1e9, "s", "");

        start = System.nanoTime();
        inParallel(changes, i -> client.resources(Trigger.class).inNamespace("scale-" + (i % NAMESPACES)).withName("t-" + i).delete());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        double running = Double.NaN;
        while (System.nanoTime() < deadline) {
            running = metric(env, "trigger_sources_running");
            if (running <= n - changes) break;
            Thread.sleep(250);
        }
        report.add("scale", changes + " deletes: time to sources stopped", (System.nanoTime() - start) / 1e9, "s", "");
        report.add("scale", "sources running after deletes", running, "", String.valueOf(n - changes));
        report.add("scale", "operator RSS at the end", operator.rssMiB(), "MiB", "");
    }

    /** Runs the action for 0..count-1 from THREADS client threads and waits for all. */
    static void inParallel(int count, java.util.function.IntConsumer action) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        for (int i = 0; i < count; i++) {
            int k = i;
            pool.execute(() -> action.accept(k));
        }
        pool.shutdown();
        if (!pool.awaitTermination(10, TimeUnit.MINUTES)) throw new IllegalStateException("client calls did not finish in 10 minutes");
    }

    static void awaitMetrics(BenchEnv env, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (!Double.isNaN(metric(env, "trigger_sources_running"))) return;
            } catch (Exception ignored) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the operator's /metrics did not come up");
    }

    /** One value from the operator's Prometheus endpoint. */
    static double metric(BenchEnv env, String name) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + env.metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        return r.body().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
