package dev.triggers.operator.bench;

import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * N Triggers (--size, default 5 000; half webhook, half cron) over 50 namespaces. First the operator with no
 * Trigger (its own heap, RSS and threads: the base the per-Trigger figures are taken from); then the API alone
 * creates the N (baseline), the operator starts and brings all to Ready: time, its API requests per Trigger
 * (from its own client's metrics, so on a real server too), threads started, CPU per reconcile, RSS, heap
 * after GC per 1 000 Triggers and the classes that hold it; then 1 000 updates and 1 000 deletes, and the
 * time to converge. {@code --ready-minutes} bounds the wait for all Ready (default 15, times (size/5 000)² above 5 000).
 */
final class ScaleScenario implements Benchmarks.Scenario {
    static final int NAMESPACES = 50;
    static final int THREADS = 8;
    static final String NS_PREFIX = "bench-scale-";

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        int n = env.options.size();
        // The mock answers each request by scanning its whole store: past 5 000 Triggers waits grow with n².
        double slower = Math.max(1, Math.pow(n / 5000.0, 2));
        Duration readyTimeout = Duration.ofMinutes(Long.parseLong(env.options.option("ready-minutes", Long.toString((long) (15 * slower)))));
        for (int i = 0; i < NAMESPACES; i++) {
            env.namespace(NS_PREFIX + i);
            BenchFixtures.deployment(client, NS_PREFIX + i, "web");
        }

        // The operator with nothing to do: what the per-Trigger figures are counted from.
        OperatorProcess idle = env.startOperator(Map.of());
        idle.awaitMetrics(Duration.ofSeconds(120));
        Thread.sleep(5000); // informers synced, start-up done
        OperatorMetrics idleMetrics = idle.metrics();
        double idleHeap = idle.heapAfterGcMiB();
        double idleRss = idle.rssMiB();
        double idleStarted = idleMetrics.value(OperatorMetrics.THREADS_STARTED);
        double idleCpu = idle.cpu().toMillis() / 1000.0;
        report.add("scale", "operator with no Trigger: RSS", idleRss, "MiB", "");
        report.add("scale", "operator with no Trigger: heap after GC", idleHeap, "MiB", "");
        report.add("scale", "operator with no Trigger: threads started", idleStarted, "threads", "");
        report.add("scale", "operator with no Trigger: live threads", idleMetrics.value(OperatorMetrics.THREADS_LIVE), "threads", "");
        report.add("scale", "operator with no Trigger: CPU to start and idle 5 s", idleCpu, "s", "");
        env.discardOperator();

        // Baseline: what the API alone takes to create the N Triggers (no operator running).
        long start = System.nanoTime();
        inParallel(n, k -> {
            String ns = NS_PREFIX + (k % NAMESPACES);
            env.create(k % 2 == 0 ? BenchFixtures.webhookTrigger(ns, "t-" + k, "web", 0)
                    : BenchFixtures.cronTrigger(ns, "t-" + k, "web", "0 3 * * *"));
        });
        double created = (System.nanoTime() - start) / 1e9;
        report.add("scale", "Triggers", n, "", "");
        report.add("scale", "baseline: API alone creates them (" + THREADS + " clients)", created, "s", "");

        // Then the operator starts and brings every one to Ready: labels, target read, status, webhook Secret.
        long requestsBefore = env.cluster == null ? -1 : env.cluster.server().getRequestCount();
        start = System.nanoTime();
        OperatorProcess operator = env.startOperator(Map.of());
        BenchFixtures.awaitAll(env, n, BenchFixtures::ready, readyTimeout);
        double allReady = (System.nanoTime() - start) / 1e9;
        double cpu = operator.cpu().toMillis() / 1000.0;
        OperatorMetrics ready = operator.metrics();
        report.add("scale", "operator start → all Ready", allReady, "s", "");
        report.add("scale", "ratio (all Ready / baseline create)", allReady / created, "x", "≤ 2x");
        double requests = ready.sum(OperatorMetrics.API_REQUESTS);
        report.add("scale", "API requests per Trigger to Ready (operator's client)", requests / n, "requests", "");
        System.out.println("  operator's API requests to Ready, by verb and resource: " + ready.topRequests(12));
        if (requestsBefore >= 0) {
            report.add("scale", "API requests per Trigger to Ready (counted at the mock; incl. the bench's watch)",
                    (env.cluster.server().getRequestCount() - requestsBefore) / (double) n, "requests", "");
        }
        double started = ready.value(OperatorMetrics.THREADS_STARTED);
        report.add("scale", "threads started by the operator's JVM (to all Ready)", started, "threads", "");
        report.add("scale", "of which beyond the operator with no Trigger", started - idleStarted, "threads", "");
        report.add("scale", "live threads with all Ready", ready.value(OperatorMetrics.THREADS_LIVE), "threads", "");
        double reconciles = ready.sum(OperatorMetrics.RECONCILES);
        report.add("scale", "reconciles to all Ready", reconciles, "", "");
        report.add("scale", "operator CPU to all Ready (start-up included)", cpu, "s", "");
        report.add("scale", "operator CPU per reconcile (start-up included)", reconciles > 0 ? cpu * 1000 / reconciles : Double.NaN, "ms", "");
        report.add("scale", "operator CPU per reconcile (beyond an idle operator's start-up)",
                reconciles > 0 ? (cpu - idleCpu) * 1000 / reconciles : Double.NaN, "ms", "");
        System.out.println("  operator's live threads by name with all Ready: " + operator.threadGroups());
        report.add("scale", "operator RSS with all Ready", operator.rssMiB(), "MiB", n <= 5000 ? "≤ 250 MiB at 5 000" : "");
        double heap = operator.heapAfterGcMiB();
        report.add("scale", "operator heap after GC with all Ready", heap, "MiB", "");
        report.add("scale", "heap after GC per 1 000 Triggers (beyond the operator with no Trigger)", (heap - idleHeap) * 1000 / n, "MiB", "");
        System.out.println("  heap by class with all Ready (instances, bytes):");
        operator.classHistogram(15).forEach(l -> System.out.println("    " + l));
        System.out.println("  of which the operator's and the Kubernetes model's classes (instances, bytes):");
        operator.classHistogram(15, "(dev\\.triggers|io\\.fabric8\\.kubernetes\\.api\\.model)\\..*").forEach(l -> System.out.println("    " + l));

        int changes = Math.min(1000, n);
        start = System.nanoTime();
        inParallel(changes, i -> client.resources(Trigger.class).inNamespace(NS_PREFIX + (i % NAMESPACES)).withName("t-" + i)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"description\":\"updated " + i + "\"}}"));
        BenchFixtures.awaitAll(env, changes, t -> t.getSpec().getDescription() != null && t.getSpec().getDescription().startsWith("updated")
                && t.getStatus() != null && Objects.equals(t.getStatus().getObservedGeneration(), t.getMetadata().getGeneration()),
                Duration.ofSeconds((long) (300 * slower)));
        report.add("scale", changes + " updates: time to observedGeneration", (System.nanoTime() - start) / 1e9, "s", "≤ 5 s");

        // Counted from the sources running before the deletes, so that other Triggers (on a real cluster) do not count.
        double runningBefore = operator.metrics().value(OperatorMetrics.SOURCES_RUNNING);
        start = System.nanoTime();
        inParallel(changes, i -> client.resources(Trigger.class).inNamespace(NS_PREFIX + (i % NAMESPACES)).withName("t-" + i).delete());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos((long) (300 * slower));
        double running = Double.NaN;
        while (System.nanoTime() < deadline) {
            running = operator.metrics().value(OperatorMetrics.SOURCES_RUNNING);
            if (running <= runningBefore - changes) break;
            Thread.sleep(250);
        }
        report.add("scale", changes + " deletes: time to sources stopped", (System.nanoTime() - start) / 1e9, "s", "");
        report.add("scale", "sources running after deletes", running, "", String.valueOf((long) runningBefore - changes));
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
        if (!pool.awaitTermination(30, TimeUnit.MINUTES)) throw new IllegalStateException("client calls did not finish in 30 minutes");
    }
}
