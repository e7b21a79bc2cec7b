package dev.triggers.operator.bench;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** 1 000 cron Triggers on the same slot, real clock: (patch seen through a watch) − (slot time). */
final class CronSkewScenario implements Benchmarks.Scenario {
    static final String NS = "bench-cron";
    /** The operator's default FIRE_THREADS: the baseline patches with as many threads. */
    static final int FIRE_THREADS = 8;

    /**
     * What the API itself allows: a plain client reads and patches all n Deployments at once from as
     * many threads as the operator fires with, timed like a slot (patch seen through the watch − start).
     */
    static Stats rawBurst(BenchEnv env, int n) throws Exception {
        String id = "baseline-burst-0000";
        try (TemplateCounter counter = new TemplateCounter(env.client, NS, id, n)) {
            var pool = java.util.concurrent.Executors.newFixedThreadPool(FIRE_THREADS);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                var deployment = env.client.apps().deployments().inNamespace(NS).withName("app-" + i);
                pool.execute(() -> BenchFixtures.rawRedeploy(env.client, deployment.get(), id));
            }
            pool.shutdown();
            if (counter.await(Duration.ofMinutes(3)) < n) throw new IllegalStateException("the baseline burst did not finish in 3 minutes");
            return Stats.ofNanos(counter.skews(start));
        }
    }

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        int n = Math.min(1000, env.options.size());
        env.namespace(NS);
        for (int i = 0; i < n; i++) BenchFixtures.deployment(client, NS, "app-" + i);
        Stats baseline = rawBurst(env, n);
        System.out.println("  baseline, " + n + " raw GET + PATCH from " + FIRE_THREADS + " threads at once: " + baseline);
        report.add("cron", "baseline: " + n + " raw GET + PATCH at once, seen − start", baseline, "");
        env.startOperator(Map.of());
        for (int i = 0; i < n; i++) env.create(BenchFixtures.cronTrigger(NS, "cron-" + i, "app-" + i, "* * * * *"));
        BenchFixtures.awaitAll(env, n, BenchFixtures::ready, Duration.ofSeconds(120));
        // The first slot at least 5 s away, so every Trigger is scheduled before it.
        Instant slot = Instant.now().plusSeconds(5).truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
        String slotId = slot.toString();
        long slotNanos = System.nanoTime() + Duration.between(Instant.now(), slot).toNanos();
        OperatorMetrics before = env.operator.metrics();
        try (TemplateCounter counter = new TemplateCounter(client, NS, slotId, n)) {
            counter.await(Duration.between(Instant.now(), slot).plusSeconds(90));
            List<Long> skews = new ArrayList<>(counter.skews(slotNanos));
            Stats stats = Stats.ofNanos(skews);
            System.out.println("  cron skew over " + skews.size() + " fires: " + stats);
            report.add("cron", "fires on the slot (of " + n + ")", skews.size(), "fires", "all");
            report.add("cron", "patch seen − slot time", stats, "");
            report.add("cron", "ratio p99 (cron / baseline)", stats.p99() / baseline.p99(), "x", "≤ 1.25x");
        }
        requestsPerFire(env, report, before, n, slot);
    }

    /**
     * The operator's API requests for the slot, per fire (per patch of a target), by verb and resource: counted from
     * just before the slot until every Trigger shows the fire and the next slot on its status (or that next slot comes).
     */
    static void requestsPerFire(BenchEnv env, Report report, OperatorMetrics before, int n, Instant slot) throws Exception {
        String slotId = slot.toString();
        String nextId = slot.plus(1, ChronoUnit.MINUTES).toString();
        Duration settle = Duration.between(Instant.now(), slot.plusSeconds(55));
        try {
            if (!settle.isNegative()) BenchFixtures.awaitAll(env, n, t -> t.getStatus() != null
                    && slotId.equals(t.getStatus().getLastScheduleTime()) && nextId.equals(t.getStatus().getNextFireAt()), settle);
        } catch (IllegalStateException e) {
            System.out.println("  (" + e.getMessage() + ": requests counted up to the next slot)");
        }
        Map<String, Double> since = env.operator.metrics().requestsSince(before);
        double all = since.values().stream().mapToDouble(Double::doubleValue).sum();
        // Per patch of a target, each a fire: on a slow machine the next slot's fires may already be in the count.
        double fires = Math.max(1, since.getOrDefault("patch deployments", 0.0));
        report.add("cron", "operator: API requests per fire (" + Math.round(fires) + " fires counted)", all / fires, "requests", "");
        StringBuilder line = new StringBuilder();
        since.entrySet().stream().filter(e -> e.getValue() > 0).sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .forEach(e -> line.append(line.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                        .append(String.format(java.util.Locale.ROOT, "%.2f", e.getValue() / fires)));
        System.out.println("  operator's API requests per fire, by verb and resource: " + line);
    }

    /** Counts Deployments whose template carries the slot's event id, with the time each was seen. */
    static final class TemplateCounter implements io.fabric8.kubernetes.client.Watcher<io.fabric8.kubernetes.api.model.apps.Deployment>, AutoCloseable {
        private final Map<String, Long> seen = new java.util.concurrent.ConcurrentHashMap<>();
        private final String slotId;
        private final int expected;
        private final io.fabric8.kubernetes.client.Watch watch;

        TemplateCounter(io.fabric8.kubernetes.client.KubernetesClient client, String ns, String slotId, int expected) {
            this.slotId = slotId;
            this.expected = expected;
            this.watch = client.apps().deployments().inNamespace(ns).watch(this);
        }

        @Override
        public void eventReceived(Action action, io.fabric8.kubernetes.api.model.apps.Deployment d) {
            long now = System.nanoTime();
            var a = d.getSpec().getTemplate().getMetadata().getAnnotations();
            if (a != null && a.getOrDefault(dev.triggers.operator.action.RedeployAction.EVENT_ID, "").contains(slotId.substring(0, 16))) {
                seen.putIfAbsent(d.getMetadata().getName(), now);
            }
        }

        @Override
        public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}

        long await(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (seen.size() < expected && System.nanoTime() < deadline) Thread.sleep(100);
            return seen.size();
        }

        List<Long> skews(long slotNanos) {
            return seen.values().stream().map(t -> t - slotNanos).toList();
        }

        @Override
        public void close() {
            watch.close();
        }
    }
}
