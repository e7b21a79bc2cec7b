package dev.triggers.operator.source.webhook;

import dev.triggers.operator.DaemonThreads;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.triggers.operator.action.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.WebhookSource;
import dev.triggers.operator.ops.JdkHttpServers;
import dev.triggers.operator.source.TriggerEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook HTTP server (the JDK's own, on its own port): {@code POST /hooks/{namespace}/{name}} with
 * {@code Authorization: Bearer <token>}, or {@code POST /hooks/{namespace}/{name}/{token}}.
 *
 * <p>In order: not POST → 405; a declared body length over the limit → 413; a wrong token or an unknown
 * Trigger → the same 404 (429 once the client address made too many refused calls); only then is the body
 * read, and one over the limit (chunked) → 413; suspended → 409; a replayed
 * Idempotency-Key → 202 with the first event id; over the Trigger's rate limit → 429 with Retry-After;
 * else 202 with the new event id. Runs on every replica: where the Trigger's source runs (the leader)
 * the event is fired here; elsewhere it is handed to the leader through the triggers.dev/fire-request
 * annotation. Nothing here logs a path, a header or a body: a token can be in any of them.
 */
public final class WebhookServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookServer.class);
    static final String PREFIX = "/hooks/";
    static final byte[] NOT_FOUND = json("{\"error\":\"not found\"}");
    // The JDK server logs request lines (a path token included) at FINE: keep that logger above it, held here.
    private static final java.util.logging.Logger JDK_SERVER_LOG = java.util.logging.Logger.getLogger("com.sun.net.httpserver");

    static {
        JDK_SERVER_LOG.setLevel(java.util.logging.Level.INFO);
        // Request timeout, TCP_NODELAY, and no waiting for the unread rest of a body: see JdkHttpServers.
        JdkHttpServers.configure();
    }

    /** Event ids: random bytes of the request thread's own (see {@link #newEventId()}). */
    private static final ThreadLocal<EventIdBytes> EVENT_IDS = ThreadLocal.withInitial(EventIdBytes::new);
    /** The request threads' buffer for reading bodies away (a fixed pool: one buffer per thread, not per call). */
    private static final ThreadLocal<byte[]> DRAIN_BUFFER = ThreadLocal.withInitial(() -> new byte[8192]);

    /** Client addresses whose refused calls are counted: past that, idle ones are forgotten first. */
    static final int MAX_CLIENTS = 10_000;
    /** A refused call's body is read up to this much after the answer; a longer one has its connection closed. */
    static final int LINGER_BYTES = 64 * 1024;

    private final WebhookSourceFactory factory;
    private final KubernetesClient client;
    private final Clock clock;
    private final int defaultRateLimit;
    private final int maxBody;
    private final WebhookRateLimits rateLimits;
    private final WebhookRateLimits failedCalls;
    private final int failedCallsPerMinute;
    private final IdempotencyKeys idempotency;
    private final MeterRegistry metrics;
    /** trigger_webhook_requests_total by response code: looked up once per code, not built and registered per call. */
    private final Map<Integer, Counter> requestsByCode = new ConcurrentHashMap<>();
    private final HttpServer server;
    private final ExecutorService threads;
    private final ThreadPoolExecutor lingering;
    /** Exchanges answered before their body had all arrived (not an exchange attribute: in the JDK those are per context). */
    private final Set<HttpExchange> unread = ConcurrentHashMap.newKeySet();

    WebhookServer(WebhookSourceFactory factory, KubernetesClient client, Clock clock, int port, int defaultRateLimit,
                  WebhookSettings settings, MeterRegistry metrics) throws IOException {
        this.factory = factory;
        this.client = client;
        this.clock = clock;
        this.defaultRateLimit = defaultRateLimit;
        this.maxBody = settings.maxBodyBytes();
        this.rateLimits = new WebhookRateLimits(clock);
        this.failedCalls = new WebhookRateLimits(clock, MAX_CLIENTS);
        this.failedCallsPerMinute = settings.failedCallsPerMinute();
        this.idempotency = new IdempotencyKeys(clock, settings.idempotencyTtl(), settings.idempotencyMaxKeys());
        this.metrics = metrics;
        this.server = HttpServer.create(new InetSocketAddress(settings.bindAddress(), port), 1024);
        this.threads = Executors.newFixedThreadPool(settings.threads(), DaemonThreads.named("webhook"));
        server.setExecutor(threads);
        this.lingering = new ThreadPoolExecutor(4, 4, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(256),
                DaemonThreads.named("webhook-linger"));
        server.createContext("/", this::handle);
        server.start();
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) {
        int code;
        try {
            code = respond(ex);
            finish(ex);
        } catch (IOException | RuntimeException e) {
            // The class only: an exception's message could quote the request.
            log.debug("webhook request ended early: {}", e.getClass().getSimpleName());
            unread.remove(ex);
            ex.close();
            code = 0;
        }
        requestsByCode.computeIfAbsent(code, c -> Counter.builder("trigger_webhook_requests_total")
                .description("Webhook calls, by response code").tag("code", String.valueOf(c)).register(metrics)).increment();
    }

    /**
     * Ends the exchange. A refusal whose body had not all arrived was answered without waiting for it; its
     * rest is read (up to {@link #LINGER_BYTES}) on a small pool of its own before the exchange is closed, so
     * the client reads its answer rather than a connection reset, and a client that never sends the rest
     * holds one of those threads, not a request thread, until the request timeout. When that pool is busy,
     * the connection is closed at once.
     */
    private void finish(HttpExchange ex) {
        if (!unread.remove(ex)) {
            ex.close();
            return;
        }
        try {
            lingering.execute(() -> {
                try {
                    InputStream in = ex.getRequestBody();
                    byte[] buffer = new byte[8192];
                    long read = 0;
                    int n;
                    while (read <= LINGER_BYTES && (n = in.read(buffer)) != -1) read += n;
                } catch (IOException | RuntimeException e) {
                    // cut off by the request timeout, or by the client: closed below either way
                } finally {
                    ex.close();
                }
            });
        } catch (RejectedExecutionException e) {
            ex.close();
        }
    }

    private int respond(HttpExchange ex) throws IOException {
        // Until the caller is known to hold the token, the body is not waited for: a client that never sends
        // it must not hold a request thread. Refusals read only what has arrived (JdkHttpServers.drainArrived).
        String path = ex.getRequestURI().getRawPath();
        if (path == null || !path.startsWith(PREFIX)) return refused(ex);
        if (!"POST".equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().set("Allow", "POST");
            lingerUnlessRead(ex);
            return send(ex, 405, json("{\"error\":\"method not allowed: use POST\"}"));
        }
        if (declaredLength(ex) > maxBody) return tooLarge(ex);

        // Authenticate: /hooks/{namespace}/{name}[/{token}]
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) return refused(ex);
        String namespace = parts[0];
        String name = parts[1];
        String pathToken = parts.length == 3 && !parts[2].isEmpty() ? parts[2] : null;
        String bearer = bearer(ex.getRequestHeaders().getFirst("Authorization"));
        if (pathToken != null && bearer != null && !pathToken.equals(bearer)) return refused(ex);
        Optional<WebhookTokens.Verified> verified = factory.tokens().verify(namespace, name, bearer != null ? bearer : pathToken);
        if (verified.isEmpty()) return refused(ex);
        if (!drain(ex.getRequestBody(), maxBody)) return tooLarge(ex);

        // The caller holds the token: from here on, answers may say more. The Trigger is the informer's copy
        // whose status held the digest (on every replica: no API read per call).
        ResourceID id = new ResourceID(name, namespace);
        Optional<WebhookTriggerSource> local = factory.local(id);
        Trigger trigger = verified.get().trigger();
        if (trigger.getSpec() == null || trigger.getSpec().getSource() == null
                || !SourceSpec.WEBHOOK.equals(trigger.getSpec().getSource().getType())) {
            return notFound(ex);
        }
        if (trigger.getSpec().isSuspended()) {
            log.debug("{}/{}: webhook call refused: the Trigger is suspended", namespace, name);
            return send(ex, 409, json("{\"error\":\"the Trigger is suspended (spec.suspend: true)\"}"));
        }

        String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
        if (key != null && (key.isBlank() || key.length() > IdempotencyKeys.MAX_KEY_LENGTH)) {
            return send(ex, 400, json("{\"error\":\"Idempotency-Key must be 1 to " + IdempotencyKeys.MAX_KEY_LENGTH + " characters\"}"));
        }
        String triggerKey = namespace + "/" + name;
        String eventId = newEventId();
        if (key != null) {
            Optional<String> first = idempotency.reserve(triggerKey, key, eventId);
            if (first.isPresent()) {
                ex.getResponseHeaders().set("Idempotent-Replayed", "true");
                return send(ex, 202, accepted(first.get()));
            }
        }
        Duration wait = rateLimits.take(triggerKey, rateLimit(trigger));
        if (!wait.isZero()) {
            if (key != null) idempotency.release(triggerKey, key, eventId);
            ex.getResponseHeaders().set("Retry-After", String.valueOf(Math.max(1, (wait.toMillis() + 999) / 1000)));
            log.debug("{}/{}: webhook call refused: over the rate limit", namespace, name);
            return send(ex, 429, json("{\"error\":\"rate limit of " + rateLimit(trigger) + " calls per minute exceeded\"}"));
        }

        String caller = ex.getRemoteAddress().getAddress().getHostAddress();
        TriggerEvent event = new TriggerEvent(TriggerEvent.WEBHOOK, eventId, clock.instant(), caller);
        if (local.isPresent()) {
            local.get().accept(event);
            if (log.isDebugEnabled()) log.debug("{}/{}: accepted webhook event {} from {}", namespace, name, eventId, caller);
        } else {
            try {
                forward(namespace, name, eventId);
            } catch (RuntimeException e) {
                if (key != null) idempotency.release(triggerKey, key, eventId);
                log.warn("{}/{}: could not hand webhook event {} to the leader: {}", namespace, name, eventId,
                        KubernetesErrors.describe(e, "annotate", "Trigger"));
                return unavailable(ex);
            }
            factory.eventOutcome(namespace, name, "forwarded");
            log.info("{}/{}: accepted webhook event {} from {}, handed to the leader as a fire request", namespace, name, eventId, caller);
        }
        return send(ex, 202, accepted(eventId));
    }

    /** Forgets the rate-limit buckets and Idempotency-Keys of the Triggers {@code gone} says were deleted. */
    void forget(Predicate<ResourceID> gone) {
        Predicate<String> goneKey = key -> {
            int slash = key.indexOf('/');
            return slash > 0 && gone.test(new ResourceID(key.substring(slash + 1), key.substring(0, slash)));
        };
        rateLimits.forget(goneKey);
        idempotency.forget(goneKey);
    }

    int rateLimitBuckets() {
        return rateLimits.size();
    }

    int idempotencyKeys() {
        return idempotency.size();
    }

    /** Not the leader (or not started yet): the leader's manual-fire source fires this annotation value once. */
    private void forward(String namespace, String name, String eventId) {
        String patch = client.getKubernetesSerialization().asJson(
                Map.of("metadata", Map.of("annotations", Map.of(Trigger.ANNOTATION_FIRE_REQUEST, eventId))));
        client.resources(Trigger.class).inNamespace(namespace).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }

    private int rateLimit(Trigger trigger) {
        WebhookSource webhook = trigger.getSpec().getSource().getWebhook();
        return webhook != null && webhook.getRateLimitPerMinute() != null && webhook.getRateLimitPerMinute() > 0
                ? webhook.getRateLimitPerMinute() : defaultRateLimit;
    }

    private static int notFound(HttpExchange ex) throws IOException {
        // One answer for a wrong token, an unknown Trigger and a wrong namespace: nothing to tell them apart.
        return send(ex, 404, NOT_FOUND);
    }

    /**
     * A call without a valid token (or to no webhook at all): 404, or 429 once its client address has made
     * more refused calls than its budget. Only refused calls count, after the token check, so a flood of
     * wrong tokens never delays nor limits a valid call from the same address (an ingress, say).
     */
    private int refused(HttpExchange ex) throws IOException {
        lingerUnlessRead(ex);
        Duration wait = failedCalls.take(ex.getRemoteAddress().getAddress().getHostAddress(), failedCallsPerMinute);
        if (wait.isZero()) return notFound(ex);
        ex.getResponseHeaders().set("Retry-After", String.valueOf(Math.max(1, (wait.toMillis() + 999) / 1000)));
        return send(ex, 429, json("{\"error\":\"too many refused calls from this address: retry later\"}"));
    }

    private void lingerUnlessRead(HttpExchange ex) throws IOException {
        if (!JdkHttpServers.drainArrived(ex)) unread.add(ex);
    }

    private int tooLarge(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Connection", "close");
        return send(ex, 413, json("{\"error\":\"request body larger than " + maxBody + " bytes\"}"));
    }

    private static int unavailable(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Retry-After", "1");
        return send(ex, 503, json("{\"error\":\"the Kubernetes API is unavailable: retry\"}"));
    }

    private static byte[] accepted(String eventId) {
        return json("{\"eventId\":\"" + eventId + "\"}");
    }

    private static long declaredLength(HttpExchange ex) {
        String v = ex.getRequestHeaders().getFirst("Content-Length");
        if (v == null) return -1;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * A random (version 4) UUID, from a SecureRandom of the request thread's own: UUID.randomUUID() draws
     * from one SecureRandom for the whole JVM (NativePRNG, behind a lock), which the request threads queued on.
     */
    static String newEventId() {
        byte[] b = EVENT_IDS.get().next();
        b[6] = (byte) ((b[6] & 0x0f) | 0x40); // version 4
        b[8] = (byte) ((b[8] & 0x3f) | 0x80); // IETF variant
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) msb = (msb << 8) | (b[i] & 0xff);
        for (int i = 8; i < 16; i++) lsb = (lsb << 8) | (b[i] & 0xff);
        return new UUID(msb, lsb).toString();
    }

    /**
     * A request thread's DRBG, drawn from 32 ids at a time: each draw costs a few SHA-256 rounds whatever
     * its length, which showed in the profile when it was made for every id.
     */
    private static final class EventIdBytes {
        private final SecureRandom random;
        private final byte[] pool = new byte[16 * 32];
        private int next = pool.length;

        EventIdBytes() {
            try {
                random = SecureRandom.getInstance("DRBG");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("DRBG is part of every JDK since 9", e);
            }
        }

        byte[] next() {
            if (next == pool.length) {
                random.nextBytes(pool);
                next = 0;
            }
            byte[] b = Arrays.copyOfRange(pool, next, next + 16);
            next += 16;
            return b;
        }
    }

    /** Reads and discards the body; false as soon as it is longer than {@code limit} (chunked bodies too). */
    private static boolean drain(InputStream in, int limit) throws IOException {
        byte[] buffer = DRAIN_BUFFER.get();
        long total = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            total += n;
            if (total > limit) return false;
        }
        return true;
    }

    private static String bearer(String authorization) {
        if (authorization == null) return null;
        String v = authorization.trim();
        if (v.length() < 7 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        String token = v.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private static int send(HttpExchange ex, int code, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        if ("HEAD".equals(ex.getRequestMethod())) {
            ex.sendResponseHeaders(code, -1);
            return code;
        }
        ex.sendResponseHeaders(code, body.length);
        // Written and flushed, not closed: finish() closes the exchange (maybe after reading the rest of the body).
        OutputStream out = ex.getResponseBody();
        out.write(body);
        out.flush();
        return code;
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        lingering.shutdownNow();
    }
}
