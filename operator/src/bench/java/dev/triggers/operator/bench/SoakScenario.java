package dev.triggers.operator.bench;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.sqs.ElasticMq;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak (not part of "all"): webhook load and SQS messages together for a bounded time (--seconds,
 * default 120 here) against 200 Triggers with a cooldown; then every event sent must be accounted for
 * (fired or coalesced) and every queue empty. Prints sent / fired / coalesced / lost, status codes and
 * the operator's RSS at the start and the end.
 */
final class SoakScenario implements Benchmarks.Scenario {
    static final String NS = "bench-soak";
    static final int WEBHOOK_TRIGGERS = 100;
    static final int SQS_TRIGGERS = 100;
    static final int DEPLOYMENTS = 10;

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        env.namespace(NS);
        for (int i = 0; i < DEPLOYMENTS; i++) BenchFixtures.deployment(client, NS, "app-" + i);
        BenchFixtures.sqsCredentials(client, NS);
        try (ElasticMq sqs = ElasticMq.start()) {
            String[] queues = new String[SQS_TRIGGERS];
            for (int i = 0; i < SQS_TRIGGERS; i++) queues[i] = sqs.createQueue("soak-" + i, 30);
            OperatorProcess operator = env.startOperator(SqsScenario.allowing(sqs, Map.of("SQS_POLL_THREADS", "32")));
            for (int i = 0; i < WEBHOOK_TRIGGERS; i++) env.create(BenchFixtures.webhookTrigger(NS, "hook-" + i, "app-" + (i % DEPLOYMENTS), 2));
            for (int i = 0; i < SQS_TRIGGERS; i++) env.create(BenchFixtures.sqsTrigger(NS, "queue-" + i, "app-" + (i % DEPLOYMENTS), 2, queues[i], sqs.endpoint(), 2));
            BenchFixtures.awaitAll(env, WEBHOOK_TRIGGERS + SQS_TRIGGERS, BenchFixtures::ready, Duration.ofMinutes(3));
            double rssStart = operator.rssMiB();
            String[] tokens = new String[WEBHOOK_TRIGGERS];
            for (int i = 0; i < WEBHOOK_TRIGGERS; i++) tokens[i] = BenchFixtures.token(client, NS, "hook-" + i);

            int seconds = env.options.seconds();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            Map<Integer, AtomicLong> codes = new ConcurrentHashMap<>();
            AtomicLong sqsSent = new AtomicLong();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            ExecutorService load = Executors.newFixedThreadPool(9);
            for (int c = 0; c < 8; c++) {
                load.execute(() -> {
                    while (System.nanoTime() < end) {
                        int i = ThreadLocalRandom.current().nextInt(WEBHOOK_TRIGGERS);
                        int code;
                        try {
                            code = BenchFixtures.post(http, env.webhookPort, NS, "hook-" + i, tokens[i]).statusCode();
                        } catch (Exception e) {
                            code = -1;
                        }
                        codes.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
                    }
                });
            }
            load.execute(() -> {
                int k = 0;
                while (System.nanoTime() < end) {
                    sqs.send(queues[k++ % SQS_TRIGGERS], "soak");
                    sqsSent.incrementAndGet();
                }
            });
            load.shutdown();
            load.awaitTermination(seconds + 60L, TimeUnit.SECONDS);
            long accepted = codes.getOrDefault(202, new AtomicLong()).get();

            long[] webhook = new long[2];
            long[] queued = new long[2];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            int left = -1;
            while (System.nanoTime() < deadline) {
                webhook[0] = webhook[1] = queued[0] = queued[1] = 0;
                for (Trigger t : client.resources(Trigger.class).inNamespace(NS).list().getItems()) {
                    if (t.getStatus() == null) continue;
                    long[] into = t.getMetadata().getName().startsWith("hook-") ? webhook : queued;
                    into[0] += nz(t.getStatus().getFireCount());
                    into[1] += nz(t.getStatus().getCoalescedCount());
                }
                left = 0;
                for (String q : queues) left += sqs.messagesLeft(q);
                if (webhook[0] + webhook[1] >= accepted && left == 0 && queued[0] + queued[1] >= sqsSent.get()) break;
                Thread.sleep(1000);
            }
            System.out.println("  webhook status codes: " + codes);
            report.add("soak", "duration", seconds, "s", "");
            report.add("soak", "Triggers (webhook + SQS)", WEBHOOK_TRIGGERS + SQS_TRIGGERS, "", "");
            report.add("soak", "webhook events accepted (202)", accepted, "events", "");
            for (var e : codes.entrySet()) if (e.getKey() != 202) report.add("soak", "webhook HTTP " + e.getKey(), e.getValue().get(), "responses", "");
            report.add("soak", "webhook fires", webhook[0], "fires", "");
            report.add("soak", "webhook events coalesced", webhook[1], "events", "");
            report.add("soak", "webhook events lost", Math.max(0, accepted - webhook[0] - webhook[1]), "events", "0");
            report.add("soak", "SQS messages sent", sqsSent.get(), "messages", "");
            report.add("soak", "SQS fires", queued[0], "fires", "");
            report.add("soak", "SQS messages coalesced", queued[1], "messages", "");
            report.add("soak", "SQS messages left in queues", left, "messages", "0");
            report.add("soak", "SQS messages lost", Math.max(0, sqsSent.get() - queued[0] - queued[1]), "messages", "0");
            report.add("soak", "operator RSS at start", rssStart, "MiB", "");
            report.add("soak", "operator RSS at end", operator.rssMiB(), "MiB", "");
            env.stopOperator(); // before ElasticMQ goes: else its sources turn to Error on the way out
        }
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }
}
