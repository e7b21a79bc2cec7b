package dev.triggers.operator.bench;

import dev.triggers.operator.api.v1alpha1.Trigger;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent clients POST for a bounded time to 100 webhook Triggers with a 5 s cooldown; then every
 * accepted event must be accounted for on the Triggers' status (fired or coalesced).
 */
final class WebhookIngestScenario implements Benchmarks.Scenario {
    static final String NS = "bench-ingest";
    static final int TRIGGERS = 100;
    static final int CLIENTS = 32;

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        BenchFixtures.namespace(client, NS);
        BenchFixtures.deployment(client, NS, "web");
        env.startOperator(Map.of());
        for (int i = 0; i < TRIGGERS; i++) client.resource(BenchFixtures.webhookTrigger(NS, "hook-" + i, "web", 5)).create();
        BenchFixtures.awaitAll(client, TRIGGERS, BenchFixtures::ready, Duration.ofSeconds(120));
        String[] tokens = new String[TRIGGERS];
        for (int i = 0; i < TRIGGERS; i++) tokens[i] = BenchFixtures.token(client, NS, "hook-" + i);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Executors.newFixedThreadPool(4)).build();
        Map<Integer, AtomicLong> codes = new ConcurrentHashMap<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(env.options.seconds());
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            pool.execute(() -> {
                List<Long> mine = new ArrayList<>();
                while (System.nanoTime() < end) {
                    int i = ThreadLocalRandom.current().nextInt(TRIGGERS);
                    long t0 = System.nanoTime();
                    int code;
                    try {
                        code = BenchFixtures.post(http, env.webhookPort, NS, "hook-" + i, tokens[i]).statusCode();
                    } catch (Exception e) {
                        code = -1;
                    }
                    mine.add(System.nanoTime() - t0);
                    codes.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
                }
                latencies.addAll(mine);
            });
        }
        pool.shutdown();
        pool.awaitTermination(env.options.seconds() + 60L, TimeUnit.SECONDS);
        long accepted = codes.getOrDefault(202, new AtomicLong()).get();
        long total = codes.values().stream().mapToLong(AtomicLong::get).sum();

        // Wait for the last cooldowns to end and every accepted event to be fired or coalesced.
        long accounted = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            accounted = 0;
            for (Trigger t : client.resources(Trigger.class).inNamespace(NS).list().getItems()) {
                if (t.getStatus() == null) continue;
                accounted += nz(t.getStatus().getFireCount()) + nz(t.getStatus().getCoalescedCount());
            }
            if (accounted >= accepted) break;
            Thread.sleep(500);
        }
        Stats stats = Stats.ofNanos(latencies);
        System.out.println("  status codes: " + codes);
        report.add("ingest", "accepted requests per second", accepted / (double) env.options.seconds(), "req/s", "≥ 10000 req/s");
        report.add("ingest", "all requests per second", total / (double) env.options.seconds(), "req/s", "");
        report.add("ingest", "request latency", stats, "");
        for (var e : codes.entrySet()) report.add("ingest", "HTTP " + e.getKey(), e.getValue().get(), "responses", "");
        report.add("ingest", "accepted events not accounted for", accepted - Math.min(accepted, accounted), "events", "0");
        report.add("ingest", "accounted beyond accepted (reconcile-retried)", Math.max(0, accounted - accepted), "events", "");
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }
}
