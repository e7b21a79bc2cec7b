package dev.triggers.operator.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.webhook.WebhookSettings;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
import dev.triggers.operator.source.webhook.WebhookTokens;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * Webhook throughput on this machine: the real server and operator against the CRUD mock API, N POSTs
 * from C concurrent HTTP/1.1 clients (keep-alive) on loopback, for accepted calls (202: token check,
 * rate limit, hand-off to the executor, which coalesces them under a 1 s cooldown) and for refused ones
 * (404: a wrong token). Prints req/s, p50 and p99. A measurement, not a test:
 *
 * <pre>
 * cd operator && mvn -B -o -q -Pbench test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp target/bench-classes:target/test-classes:target/classes:$(cat target/cp.txt) dev.triggers.operator.bench.WebhookThroughput [--requests 20000 --concurrency 16]
 * </pre>
 */
public final class WebhookThroughput {
    // Held: JUL keeps loggers weakly, and the mock API logs every request at INFO.
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private WebhookThroughput() {}

    public static void main(String[] args) throws Exception {
        int requests = intArg(args, "--requests", 20_000);
        int concurrency = intArg(args, "--concurrency", 16);
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("dev.triggers").setLevel(Level.WARN);
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);

        try (MockCluster cluster = MockCluster.start()) {
            cluster.namespace("bench");
            cluster.deployment("bench", "web");
            SimpleMeterRegistry metrics = new SimpleMeterRegistry();
            // The operator-wide default is the admin's (uncapped); a spec's rateLimitPerMinute is capped.
            OperatorConfig config = MockCluster.testConfig().with(c -> c.webhookRateLimitPerMinute = 100_000_000);
            WebhookSourceFactory webhooks = WebhookSourceFactory.open(cluster.client(), config,
                    WebhookSettings.defaults().with(s -> {
                        s.bindAddress = "127.0.0.1";
                        // measures the refused path itself, not the per-address limit on refused calls
                        s.failedCallsPerMinute = 1_000_000_000;
                    }), Clock.systemUTC(), metrics);
            TriggerOperator operator = cluster.startOperator(config, Clock.systemUTC(), metrics, List.of(webhooks));
            Trigger trigger = Triggers.redeploy("bench", "deploy-web", "web");
            trigger.getSpec().setCooldownSeconds(1);
            cluster.create(trigger);
            String token = awaitToken(cluster, webhooks);

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://127.0.0.1:" + webhooks.port() + "/hooks/bench/deploy-web");
            HttpRequest accepted = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"push_data\":{\"tag\":\"latest\"}}")).build();
            HttpRequest refused = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + WebhookTokens.newToken())
                    .POST(HttpRequest.BodyPublishers.ofString("{\"push_data\":{\"tag\":\"latest\"}}")).build();

            System.out.printf("webhook throughput: %d requests per scenario, %d concurrent clients, %d cores, Java %s%n",
                    requests, concurrency, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
            run(http, accepted, 202, Math.min(2000, requests), concurrency, null);
            run(http, accepted, 202, requests, concurrency, "202 accepted (right token)");
            run(http, refused, 404, Math.min(2000, requests), concurrency, null);
            run(http, refused, 404, requests, concurrency, "404 refused (wrong token)");

            Thread.sleep(1500); // let the last cooldown fire (a benchmark, not a test)
            TriggerStatus status = cluster.trigger("bench", "deploy-web").getStatus();
            System.out.printf("executor: %d accepted events became %d fires (%d coalesced)%n",
                    requests + Math.min(2000, requests), status.getFireCount(), status.getCoalescedCount());
            operator.close();
        }
        System.exit(0);
    }

    private static void run(HttpClient http, HttpRequest request, int expected, int requests, int concurrency, String label) throws Exception {
        long[] latencies = new long[requests];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger unexpected = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            done.add(clients.submit(() -> {
                for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != expected && unexpected.incrementAndGet() == 1) System.out.println("  first unexpected answer: " + r.statusCode());
                    } catch (Exception e) {
                        if (unexpected.incrementAndGet() == 1) System.out.println("  first unexpected answer: " + e);
                    }
                    latencies[i] = System.nanoTime() - t0;
                }
                return null;
            }));
        }
        for (Future<?> f : done) f.get();
        long elapsed = System.nanoTime() - start;
        clients.shutdown();
        if (label == null) return;
        Arrays.sort(latencies);
        System.out.printf("  %-28s %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   unexpected answers: %d%n", label,
                requests / (elapsed / 1e9), latencies[requests / 2] / 1e6, latencies[(int) (requests * 0.99)] / 1e6, unexpected.get());
    }

    private static String awaitToken(MockCluster cluster, WebhookSourceFactory webhooks) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            var secret = cluster.client().secrets().inNamespace("bench").withName(WebhookTokens.secretName("deploy-web")).get();
            if (secret != null) {
                String token = new String(Base64.getDecoder().decode(secret.getData().get(WebhookTokens.KEY_TOKEN)), StandardCharsets.UTF_8);
                if (webhooks.tokens().verify("bench", "deploy-web", token).isPresent()) return token;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the webhook token was not minted within 30 s");
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        return fallback;
    }
}
