package dev.triggers.operator.ops;

import dev.triggers.operator.support.JdkHttpServers;
import dev.triggers.operator.support.DaemonThreads;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's own HTTP endpoints on the metrics port, never exposed with the webhooks:
 * {@code /metrics} (Prometheus text format), {@code /healthz} (liveness: the process answers) and
 * {@code /readyz} (503 until every readiness check passes). Parts that start later, such as the webhook
 * server, add their own readiness check with {@link #readinessCheck}.
 */
public final class OpsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OpsServer.class);
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry metrics;
    private final Map<String, BooleanSupplier> readiness = new ConcurrentHashMap<>();
    private final InetSocketAddress address;
    private HttpServer server;
    private ExecutorService threads;

    /** @param port the metrics port; 0 picks a free one (tests) */
    public OpsServer(int port, PrometheusMeterRegistry metrics) {
        this(new InetSocketAddress(port), metrics);
    }

    public OpsServer(InetSocketAddress address, PrometheusMeterRegistry metrics) {
        this.address = address;
        this.metrics = metrics;
    }

    /** Adds (or replaces) a named readiness check; /readyz answers 200 only when all of them pass. */
    public OpsServer readinessCheck(String name, BooleanSupplier check) {
        readiness.put(name, check);
        return this;
    }

    public synchronized OpsServer start() {
        if (server != null) return this;
        try {
            JdkHttpServers.configure();
            server = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("could not listen on " + address + " for /metrics, /healthz and /readyz", e);
        }
        // Two threads: a slow scrape never holds up a probe.
        threads = Executors.newFixedThreadPool(2, DaemonThreads.named("ops-http"));
        server.setExecutor(threads);
        server.createContext("/metrics", get(exchange -> respond(exchange, 200, PROMETHEUS_TEXT, metrics.scrape())));
        server.createContext("/healthz", get(exchange -> respond(exchange, 200, "text/plain; charset=utf-8", "ok\n")));
        server.createContext("/readyz", get(exchange -> {
            List<String> failing = failingChecks();
            if (failing.isEmpty()) respond(exchange, 200, "text/plain; charset=utf-8", "ok\n");
            else respond(exchange, 503, "text/plain; charset=utf-8", "not ready: " + String.join(", ", failing) + "\n");
        }));
        server.start();
        log.info("serving /metrics, /healthz and /readyz on port {}", port());
        return this;
    }

    /** The port listened on (the configured one, or the free one picked for port 0). */
    public synchronized int port() {
        if (server == null) throw new IllegalStateException("not started");
        return server.getAddress().getPort();
    }

    /** The names of the readiness checks that do not pass now, sorted. */
    public List<String> failingChecks() {
        List<String> failing = new ArrayList<>();
        readiness.forEach((name, check) -> {
            boolean ok;
            try {
                ok = check.getAsBoolean();
            } catch (RuntimeException e) {
                ok = false;
            }
            if (!ok) failing.add(name);
        });
        failing.sort(String::compareTo);
        return failing;
    }

    /** Stops answering; Main calls it last, so probes and scrapes work until everything else stopped. */
    @Override
    public synchronized void close() {
        if (server == null) return;
        server.stop(0);
        threads.shutdown();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private static com.sun.net.httpserver.HttpHandler get(Handler handler) {
        return exchange -> {
            try (exchange) {
                JdkHttpServers.drainArrived(exchange);
                String method = exchange.getRequestMethod();
                if (!"GET".equals(method) && !"HEAD".equals(method)) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                handler.handle(exchange);
            } catch (RuntimeException e) {
                log.warn("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
            }
        };
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
