package dev.triggers.operator.bench;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Webhook POST → the Deployment's new pod template seen through a watch, one fire at a time; baseline:
 * a raw PATCH of the same annotations by a plain fabric8 client, seen through the same watch.
 */
final class FireLatencyScenario implements Benchmarks.Scenario {
    static final String NS = "bench-latency";

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        BenchFixtures.namespace(client, NS);
        BenchFixtures.deployment(client, NS, "baseline");
        BenchFixtures.deployment(client, NS, "target");
        int fires = env.options.fires();
        try (var watch = new BenchFixtures.TemplateWatch(client, NS)) {
            List<Long> baseline = new ArrayList<>();
            for (int i = 0; i < fires + 50; i++) {
                String id = "raw-" + i;
                long t0 = System.nanoTime();
                BenchFixtures.rawRedeploy(client, NS, "baseline", id);
                long seen = watch.seen(id).get(30, TimeUnit.SECONDS);
                if (i >= 50) baseline.add(seen - t0);
            }
            Stats base = Stats.ofNanos(baseline);

            env.startOperator(Map.of());
            client.resource(BenchFixtures.webhookTrigger(NS, "fire", "target", 0)).create();
            BenchFixtures.awaitAll(client, 1, t -> t.getMetadata().getName().equals("fire") && BenchFixtures.ready(t), Duration.ofSeconds(60));
            String token = BenchFixtures.token(client, NS, "fire");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<Long> operator = new ArrayList<>();
            for (int i = 0; i < fires + 50; i++) {
                long t0 = System.nanoTime();
                var response = BenchFixtures.post(http, env.webhookPort, NS, "fire", token);
                if (response.statusCode() != 202) throw new IllegalStateException("webhook answered " + response.statusCode() + ": " + response.body());
                long seen = watch.seen(BenchFixtures.eventId(response.body())).get(30, TimeUnit.SECONDS);
                if (i >= 50) operator.add(seen - t0);
            }
            Stats op = Stats.ofNanos(operator);
            System.out.println("  baseline raw PATCH: " + base);
            System.out.println("  webhook fire:       " + op);
            report.add("latency", "raw PATCH → watch (baseline)", base, "");
            report.add("latency", "webhook POST → watch", op, "");
            report.add("latency", "ratio p50 (fire / baseline)", op.p50() / base.p50(), "x", "≤ 1.5x");
            report.add("latency", "ratio p99 (fire / baseline)", op.p99() / base.p99(), "x", "≤ 3x");
        }
    }
}
