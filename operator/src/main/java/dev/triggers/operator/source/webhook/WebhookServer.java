package dev.triggers.operator.source.webhook;

import dev.triggers.operator.support.DaemonThreads;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.WebhookSignature;
import dev.triggers.operator.api.v1alpha1.WebhookSource;
import dev.triggers.operator.action.TriggerEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.UndertowOptions;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioExecutor;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * The webhook HTTP server (Undertow's non-blocking HTTP/1.1 core, on its own port): {@code POST
 * /hooks/{namespace}/{name}} with {@code Authorization: Bearer <token>}, or {@code POST /hooks/{namespace}/{name}/{token}}.
 *
 * <p>In order: not POST → 405; a declared body length over the limit → 413; a wrong token or an unknown
 * Trigger → the same 404 (429 once the client address made too many refused calls); only then is the body
 * read, and one over the limit (chunked) → 413; suspended → 409; a replayed
 * Idempotency-Key → 202 with the first event id; over the Trigger's rate limit → 429 with Retry-After;
 * else 202 with the new event id. Runs on every replica: where the Trigger's source runs (the leader)
 * the event is fired here; elsewhere it is handed to the leader through the triggers.dev/fire-request
 * annotation. Nothing here logs a path, a header or a body: a token can be in any of them.
 *
 * <p>Slow clients hold no thread: requests are parsed on a few I/O threads, and a connection whose request line
 * and headers do not arrive within {@link WebhookSettings#headerTimeout()} (Undertow's request parse timeout),
 * whose body does not within {@link WebhookSettings#bodyTimeout()}, or that stays idle between requests for
 * {@link WebhookSettings#idleTimeout()}, is closed. One client address holds at most
 * {@link WebhookSettings#maxConnectionsPerAddress()} connections; more are closed as soon as they are accepted.
 * Only hand-overs to the leader (a blocking PATCH) run on the {@link WebhookSettings#threads()} worker threads.
 */
public final class WebhookServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookServer.class);
    static final String PREFIX = "/hooks/";
    static final byte[] NOT_FOUND = json("{\"error\":\"not found\"}");
    /** A call the Trigger's filter does not match: accepted, and nothing fires. */
    static final byte[] NOT_MATCHED = json("{\"matched\":false}");
    private static final HttpString IDEMPOTENCY_KEY = new HttpString("Idempotency-Key");
    private static final HttpString IDEMPOTENT_REPLAYED = new HttpString("Idempotent-Replayed");

    static {
        // Undertow's request logger quotes the request (path, token included) when a handler throws: ours catch
        // everything, and that logger stays off so no other path can print a token either.
        if (LoggerFactory.getLogger("io.undertow.request") instanceof ch.qos.logback.classic.Logger undertow) {
            undertow.setLevel(ch.qos.logback.classic.Level.OFF);
        }
    }

    /** Event ids: random bytes of the request thread's own (see {@link #newEventId()}). */
    private static final ThreadLocal<EventIdBytes> EVENT_IDS = ThreadLocal.withInitial(EventIdBytes::new);

    /** Client addresses whose refused calls are counted: past that, idle ones are forgotten first. */
    static final int MAX_CLIENTS = 10_000;
    /** A body over the limit is still read away up to this much more before the 413, so its client reads the answer. */
    static final int LINGER_BYTES = 64 * 1024;

    private final WebhookSourceFactory factory;
    private final KubernetesClient client;
    private final Clock clock;
    private final int defaultRateLimit;
    private final int maxBody;
    private final long bodyTimeoutMillis;
    private final int maxConnectionsPerAddress;
    private final WebhookRateLimits rateLimits;
    private final WebhookRateLimits failedCalls;
    private final int failedCallsPerMinute;
    private final IdempotencyKeys idempotency;
    private final MeterRegistry metrics;
    /** trigger_webhook_requests_total by response code: looked up once per code, not built and registered per call. */
    private final Map<Integer, Counter> requestsByCode = new ConcurrentHashMap<>();
    private final Counter refusedConnections;
    /** Open connections by client address (closed ones are dropped lazily: at the next accept from it, and by the sweep). */
    private final Map<InetAddress, Set<StreamConnection>> connections = new ConcurrentHashMap<>();
    private final XnioWorker worker;
    private final ExecutorService handOvers;
    private final AcceptingChannel<StreamConnection> server;

    WebhookServer(WebhookSourceFactory factory, KubernetesClient client, Clock clock, int port, int defaultRateLimit,
                  WebhookSettings settings, MeterRegistry metrics) throws IOException {
        this.factory = factory;
        this.client = client;
        this.clock = clock;
        this.defaultRateLimit = defaultRateLimit;
        this.maxBody = settings.maxBodyBytes();
        this.bodyTimeoutMillis = settings.bodyTimeout().toMillis();
        this.maxConnectionsPerAddress = settings.maxConnectionsPerAddress();
        this.rateLimits = new WebhookRateLimits(clock);
        this.failedCalls = new WebhookRateLimits(clock, MAX_CLIENTS);
        this.failedCallsPerMinute = settings.failedCallsPerMinute();
        this.idempotency = new IdempotencyKeys(clock, settings.idempotencyTtl(), settings.idempotencyMaxKeys());
        this.metrics = metrics;
        this.refusedConnections = Counter.builder("trigger_webhook_connections_refused_total")
                .description("Webhook connections closed as soon as accepted: their client address held too many").register(metrics);
        this.handOvers = Executors.newFixedThreadPool(settings.threads(), DaemonThreads.named("webhook"));
        this.worker = Xnio.getInstance(WebhookServer.class.getClassLoader()).createWorker(OptionMap.builder()
                .set(Options.WORKER_NAME, "webhook-io")
                .set(Options.WORKER_IO_THREADS, settings.ioThreads())
                // XNIO's task pool is unused (hand-overs have their own): keep it minimal.
                .set(Options.WORKER_TASK_CORE_THREADS, 1)
                .set(Options.WORKER_TASK_MAX_THREADS, 1)
                .set(Options.THREAD_DAEMON, true)
                .getMap());
        try {
            OptionMap http = OptionMap.builder()
                    .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) settings.headerTimeout().toMillis())
                    .set(UndertowOptions.NO_REQUEST_TIMEOUT, (int) settings.idleTimeout().toMillis())
                    .set(UndertowOptions.MAX_HEADER_SIZE, settings.maxHeaderBytes())
                    .set(UndertowOptions.MAX_HEADERS, 100)
                    // The raw path is what is checked (see respond): no decoding, no %2F turning into a separator.
                    .set(UndertowOptions.DECODE_URL, false)
                    .set(UndertowOptions.ALWAYS_SET_DATE, false)
                    .getMap();
            HttpOpenListener open = new HttpOpenListener(new DefaultByteBufferPool(true, 16 * 1024, 256, 4), http);
            open.setRootHandler(this::handle);
            ChannelListener<StreamConnection> capped = connection -> {
                if (admit(connection)) {
                    open.handleEvent(connection);
                } else {
                    refusedConnections.increment();
                    IoUtils.safeClose(connection);
                }
            };
            this.server = worker.createStreamConnectionServer(new InetSocketAddress(settings.bindAddress(), port),
                    ChannelListeners.openListenerAdapter(capped), OptionMap.builder()
                            .set(Options.BACKLOG, 1024)
                            .set(Options.REUSE_ADDRESSES, true)
                            .set(Options.TCP_NODELAY, true)
                            .getMap());
            server.resumeAccepts();
        } catch (IOException | RuntimeException e) {
            worker.shutdownNow();
            handOvers.shutdownNow();
            throw e;
        }
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getLocalAddress(InetSocketAddress.class).getPort();
    }

    /** Whether a new connection may stay: fewer than the cap from its address are open. */
    private boolean admit(StreamConnection connection) {
        InetSocketAddress peer = connection.getPeerAddress(InetSocketAddress.class);
        if (peer == null) return false;
        AtomicBoolean admitted = new AtomicBoolean();
        // compute() holds the key's bin: the set is only touched in here and in sweepConnections.
        connections.compute(peer.getAddress(), (address, open) -> {
            Set<StreamConnection> set = open == null ? new HashSet<>() : open;
            if (set.size() >= maxConnectionsPerAddress) set.removeIf(c -> !c.isOpen());
            if (set.size() < maxConnectionsPerAddress) {
                set.add(connection);
                admitted.set(true);
            }
            return set;
        });
        return admitted.get();
    }

    /** Drops closed connections from the per-address counts, and addresses with none open. */
    void sweepConnections() {
        for (InetAddress address : connections.keySet()) {
            connections.computeIfPresent(address, (a, set) -> {
                set.removeIf(c -> !c.isOpen());
                return set.isEmpty() ? null : set;
            });
        }
    }

    /** Connections admitted and open now, over all client addresses. */
    int openConnections() {
        int[] n = {0};
        for (InetAddress address : connections.keySet()) {
            // Under the key's bin lock, like every other use of the set.
            connections.computeIfPresent(address, (a, set) -> {
                for (StreamConnection c : set) if (c.isOpen()) n[0]++;
                return set;
            });
        }
        return n[0];
    }

    private void handle(HttpServerExchange ex) {
        try {
            respond(ex);
        } catch (RuntimeException | Error e) {
            // The class only: an exception's message could quote the request.
            log.debug("webhook request ended early: {}", e.getClass().getSimpleName());
            count(0);
            IoUtils.safeClose(ex.getConnection());
        }
    }

    private void respond(HttpServerExchange ex) {
        // Until the caller is known to hold the token, the body is not read: a refusal is answered at once and
        // Undertow discards what follows (or closes the connection), without a thread waiting for it.
        String path = ex.getRequestURI();
        if (path == null || !path.startsWith(PREFIX)) {
            refused(ex);
            return;
        }
        // HttpString compares without case; methods are case-sensitive ("post" is not POST).
        if (!"POST".equals(ex.getRequestMethod().toString())) {
            ex.getResponseHeaders().put(Headers.ALLOW, "POST");
            send(ex, 405, json("{\"error\":\"method not allowed: use POST\"}"));
            return;
        }
        if (ex.getRequestContentLength() > maxBody) {
            tooLarge(ex);
            return;
        }

        // Authenticate: /hooks/{namespace}/{name}[/{token}]
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            refused(ex);
            return;
        }
        String namespace = parts[0];
        String name = parts[1];
        String pathToken = parts.length == 3 && !parts[2].isEmpty() ? parts[2] : null;
        String bearer = bearer(ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
        if (pathToken != null && bearer != null && !pathToken.equals(bearer)) {
            refused(ex);
            return;
        }
        Optional<WebhookTokens.Verified> verified = factory.tokens().verify(namespace, name, bearer != null ? bearer : pathToken);
        if (verified.isEmpty()) {
            refused(ex);
            return;
        }

        // The caller holds the token: read the body (up to the limit, within the body timeout), without a thread.
        XnioExecutor.Key deadline = ex.getIoThread().executeAfter(() -> IoUtils.safeClose(ex.getConnection()),
                bodyTimeoutMillis, TimeUnit.MILLISECONDS);
        Body body = new Body(ex.getRequestContentLength());
        ex.getRequestReceiver().receivePartialBytes((e, chunk, last) -> {
            try {
                if (!body.add(chunk, maxBody)) {
                    // A body past the limit plus what we read away: answer and close, whatever is still coming.
                    deadline.remove();
                    tooLarge(e);
                } else if (last) {
                    deadline.remove();
                    if (body.over(maxBody)) {
                        // Read to its end (so the client reads the answer, not a reset), kept only up to the limit.
                        tooLarge(e);
                    } else {
                        signed(e, namespace, name, verified.get().trigger(), body.bytes());
                    }
                }
            } catch (RuntimeException | Error t) {
                deadline.remove();
                log.debug("webhook request ended early: {}", t.getClass().getSimpleName());
                count(0);
                IoUtils.safeClose(e.getConnection());
            }
        }, (e, error) -> {
            deadline.remove();
            count(0);
            IoUtils.safeClose(e.getConnection());
        });
    }

    /**
     * A body as it arrives: kept up to the limit; past it only counted, up to {@link #LINGER_BYTES} more, so that a
     * body a little over the limit is read to its end and its client gets the 413 rather than a connection reset.
     */
    private static final class Body {
        private final java.io.ByteArrayOutputStream kept;
        private long total;

        Body(long declared) {
            kept = new java.io.ByteArrayOutputStream((int) Math.max(64, Math.min(declared, 64 * 1024)));
        }

        /** False once more than the limit and the lingering allowance arrived. */
        boolean add(byte[] chunk, int limit) {
            total += chunk.length;
            if (total <= limit) kept.write(chunk, 0, chunk.length);
            return total <= (long) limit + LINGER_BYTES;
        }

        boolean over(int limit) {
            return total > limit;
        }

        byte[] bytes() {
            return kept.toByteArray();
        }
    }

    /**
     * After the body: a provider signature, when the Trigger asks for one, is checked before anything else, and a
     * wrong or missing one is refused like a wrong token. Reading a signing Secret not yet in memory is a GET: on a
     * worker thread.
     */
    private void signed(HttpServerExchange ex, String namespace, String name, Trigger trigger, byte[] body) {
        if (trigger.getSpec() == null || trigger.getSpec().getSource() == null
                || !SourceSpec.WEBHOOK.equals(trigger.getSpec().getSource().getType())) {
            notFound(ex);
            return;
        }
        WebhookSource webhook = trigger.getSpec().getSource().getWebhook();
        WebhookSignature signature = webhook == null ? null : webhook.getSignature();
        if (signature == null) {
            authenticated(ex, namespace, name, trigger, body, null);
            return;
        }
        WebhookSignatures.Loaded loaded = factory.signatures().cached(namespace, signature);
        if (loaded != null) {
            checkSignature(ex, namespace, name, trigger, body, signature, loaded);
            return;
        }
        ex.dispatch(handOvers, () -> guarded(ex, () ->
                checkSignature(ex, namespace, name, trigger, body, signature, factory.signatures().load(namespace, signature))));
    }

    private void checkSignature(HttpServerExchange ex, String namespace, String name, Trigger trigger, byte[] body,
                                WebhookSignature signature, WebhookSignatures.Loaded loaded) {
        Function<String, String> headers = h -> ex.getRequestHeaders().getFirst(h);
        if (loaded.secret() == null || !factory.signatures().verify(signature, loaded.secret(), headers, body, namespace + "/" + name)) {
            log.debug("{}/{}: webhook call refused: wrong, missing or replayed {} signature", namespace, name, signature.getType());
            refused(ex);
            return;
        }
        authenticated(ex, namespace, name, trigger, body, WebhookSignatures.deliveryId(signature, headers));
    }

    /** Runs a step off the I/O thread: whatever it throws ends the exchange, quoting nothing of the request. */
    private void guarded(HttpServerExchange ex, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException | Error t) {
            log.debug("webhook request ended early: {}", t.getClass().getSimpleName());
            count(0);
            IoUtils.safeClose(ex.getConnection());
        }
    }

    /** The answers a caller with the token (and the signature, if asked for) may see. */
    private void authenticated(HttpServerExchange ex, String namespace, String name, Trigger trigger, byte[] body, String deliveryId) {
        // The Trigger is the informer's copy whose status held the digest (on every replica: no API read per call).
        // The clock is read only when a suspendUntil asks for it: one read fewer on every call of the hot path.
        if (trigger.getSpec().isSuspended() || trigger.getSpec().getSuspendUntil() != null && trigger.getSpec().isSuspendedAt(clock.instant())) {
            log.debug("{}/{}: webhook call refused: the Trigger is suspended", namespace, name);
            // Written from the parsed Instant, never the raw field: a plain timestamp, nothing to escape.
            String until = trigger.getSpec().isSuspended() ? null : trigger.getSpec().suspendUntilInstant().map(Instant::toString).orElse(null);
            send(ex, 409, json(until == null ? "{\"error\":\"the Trigger is suspended (spec.suspend: true)\"}"
                    : "{\"error\":\"the Trigger is suspended until " + until + " (spec.suspendUntil)\",\"suspendedUntil\":\"" + until + "\"}"));
            return;
        }

        WebhookSource webhook = trigger.getSpec().getSource().getWebhook();
        String filter = webhook == null || webhook.getFilter() == null || webhook.getFilter().isBlank() ? null : webhook.getFilter();
        if (filter == null) {
            admit(ex, namespace, name, trigger, deliveryId);
            return;
        }
        // Parsing up to 1 MiB of JSON and evaluating: on a worker thread, not an I/O thread.
        Runnable check = () -> {
            Map<String, String> headers = new java.util.HashMap<>();
            for (io.undertow.util.HeaderValues h : ex.getRequestHeaders()) {
                headers.putIfAbsent(h.getHeaderName().toString().toLowerCase(java.util.Locale.ROOT), h.getFirst());
            }
            WebhookFilters.Outcome outcome = factory.filters().evaluate(filter, body, headers);
            if (!outcome.matched()) {
                if (outcome.why().startsWith("evaluation failed") || outcome.why().startsWith("the body")) {
                    log.info("{}/{}: webhook call not matched, nothing fired: {}", namespace, name, outcome.why());
                } else {
                    log.debug("{}/{}: webhook call not matched, nothing fired: {}", namespace, name, outcome.why());
                }
                count(202);
                ex.setStatusCode(202);
                ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
                ex.getResponseSender().send(ByteBuffer.wrap(NOT_MATCHED));
                return;
            }
            admit(ex, namespace, name, trigger, deliveryId);
        };
        if (ex.isInIoThread()) {
            ex.dispatch(handOvers, () -> guarded(ex, check));
        } else {
            guarded(ex, check);
        }
    }

    /** A call that is to fire: Idempotency-Key, rate limit, then the event (here, or handed to the leader). */
    private void admit(HttpServerExchange ex, String namespace, String name, Trigger trigger, String deliveryId) {
        ResourceID id = new ResourceID(name, namespace);
        Optional<WebhookTriggerSource> local = factory.local(id);
        String header = ex.getRequestHeaders().getFirst(IDEMPOTENCY_KEY);
        // A provider's delivery id (GitHub, GitLab) is the key unless the caller sent one.
        String key = header != null ? header : deliveryId;
        if (key != null && (key.isBlank() || key.length() > IdempotencyKeys.MAX_KEY_LENGTH)) {
            send(ex, 400, json("{\"error\":\"Idempotency-Key must be 1 to " + IdempotencyKeys.MAX_KEY_LENGTH + " characters\"}"));
            return;
        }
        String triggerKey = namespace + "/" + name;
        String eventId = key != null ? keyedEventId(trigger, key) : newEventId();
        if (key != null) {
            Optional<String> first = idempotency.reserve(triggerKey, key, eventId);
            if (first.isPresent()) {
                ex.getResponseHeaders().put(IDEMPOTENT_REPLAYED, "true");
                send(ex, 202, accepted(first.get()));
                return;
            }
        }
        Duration wait = rateLimits.take(triggerKey, rateLimit(trigger));
        if (!wait.isZero()) {
            if (key != null) idempotency.release(triggerKey, key, eventId);
            ex.getResponseHeaders().put(Headers.RETRY_AFTER, String.valueOf(Math.max(1, (wait.toMillis() + 999) / 1000)));
            log.debug("{}/{}: webhook call refused: over the rate limit", namespace, name);
            send(ex, 429, json("{\"error\":\"rate limit of " + rateLimit(trigger) + " calls per minute exceeded\"}"));
            return;
        }

        String caller = ex.getConnection().getPeerAddress(InetSocketAddress.class).getAddress().getHostAddress();
        TriggerEvent event = new TriggerEvent(TriggerEvent.WEBHOOK, eventId, clock.instant(), caller);
        if (local.isPresent()) {
            // 202 only once the event is kept in the API (one write per coalescing window; most calls find it done).
            CompletableFuture<Void> recorded = local.get().accept(event);
            if (recorded.isDone()) {
                answerAccepted(ex, namespace, name, triggerKey, key, event, recorded.isCompletedExceptionally() ? failure(recorded) : null);
            } else {
                ex.dispatch(SameThreadExecutor.INSTANCE, () -> recorded.whenComplete((v, thrown) ->
                        guarded(ex, () -> answerAccepted(ex, namespace, name, triggerKey, key, event, thrown))));
            }
            return;
        }
        // A PATCH blocks: on a worker thread, never on an I/O thread.
        Runnable handOver = () -> {
            try {
                forward(namespace, name, eventId);
            } catch (RuntimeException e) {
                if (key != null) idempotency.release(triggerKey, key, eventId);
                log.warn("{}/{}: could not hand webhook event {} to the leader: {}", namespace, name, eventId,
                        KubernetesErrors.describe(e, "annotate", "Trigger"));
                unavailable(ex);
                return;
            }
            factory.eventOutcome(namespace, name, "forwarded");
            log.info("{}/{}: accepted webhook event {} from {}, handed to the leader as a fire request", namespace, name, eventId, caller);
            send(ex, 202, accepted(eventId));
        };
        if (ex.isInIoThread()) {
            ex.dispatch(handOvers, () -> guarded(ex, handOver));
        } else {
            guarded(ex, handOver);
        }
    }

    private void answerAccepted(HttpServerExchange ex, String namespace, String name, String triggerKey, String key, TriggerEvent event,
                                Throwable notRecorded) {
        if (notRecorded == null) {
            if (log.isDebugEnabled()) log.debug("{}/{}: accepted webhook event {} from {}", namespace, name, event.id(), event.caller());
            send(ex, 202, accepted(event.id()));
            return;
        }
        if (key != null) idempotency.release(triggerKey, key, event.id());
        Throwable cause = notRecorded instanceof java.util.concurrent.CompletionException && notRecorded.getCause() != null ? notRecorded.getCause() : notRecorded;
        log.warn("{}/{}: webhook event {} not accepted: could not record it on the Trigger's status: {}", namespace, name, event.id(),
                KubernetesErrors.describe(cause instanceof Exception x ? x : new RuntimeException(cause), "patch status of", "Trigger"));
        unavailable(ex);
    }

    private static Throwable failure(CompletableFuture<?> failed) {
        try {
            failed.join();
            return null;
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            return e;
        }
    }

    /** Forgets the rate-limit buckets and Idempotency-Keys of the Triggers {@code gone} says were deleted. */
    void forget(Predicate<ResourceID> gone) {
        Predicate<String> goneKey = key -> {
            int slash = key.indexOf('/');
            return slash > 0 && gone.test(new ResourceID(key.substring(slash + 1), key.substring(0, slash)));
        };
        rateLimits.forget(goneKey);
        idempotency.forget(goneKey);
        sweepConnections();
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

    private void notFound(HttpServerExchange ex) {
        // One answer for a wrong token, an unknown Trigger and a wrong namespace: nothing to tell them apart.
        send(ex, 404, NOT_FOUND);
    }

    /**
     * A call without a valid token (or to no webhook at all): 404, or 429 once its client address has made
     * more refused calls than its budget. Only refused calls count, after the token check, so a flood of
     * wrong tokens never delays nor limits a valid call from the same address (an ingress, say).
     */
    private void refused(HttpServerExchange ex) {
        InetSocketAddress peer = ex.getConnection().getPeerAddress(InetSocketAddress.class);
        Duration wait = failedCalls.take(peer == null ? "" : peer.getAddress().getHostAddress(), failedCallsPerMinute);
        if (wait.isZero()) {
            notFound(ex);
            return;
        }
        ex.getResponseHeaders().put(Headers.RETRY_AFTER, String.valueOf(Math.max(1, (wait.toMillis() + 999) / 1000)));
        send(ex, 429, json("{\"error\":\"too many refused calls from this address: retry later\"}"));
    }

    private void tooLarge(HttpServerExchange ex) {
        ex.setPersistent(false);
        send(ex, 413, json("{\"error\":\"request body larger than " + maxBody + " bytes\"}"));
    }

    private void unavailable(HttpServerExchange ex) {
        ex.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
        send(ex, 503, json("{\"error\":\"the Kubernetes API is unavailable: retry\"}"));
    }

    private static byte[] accepted(String eventId) {
        return json("{\"eventId\":\"" + eventId + "\"}");
    }

    private void send(HttpServerExchange ex, int code, byte[] body) {
        count(code);
        ex.setStatusCode(code);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        if (Methods.HEAD.equals(ex.getRequestMethod())) {
            ex.endExchange();
            return;
        }
        ex.getResponseSender().send(ByteBuffer.wrap(body));
    }

    private void count(int code) {
        requestsByCode.computeIfAbsent(code, c -> Counter.builder("trigger_webhook_requests_total")
                .description("Webhook calls, by response code").tag("code", String.valueOf(c)).register(metrics)).increment();
    }

    /**
     * The event id of a call with an Idempotency-Key (or a provider's delivery id): a name-based UUID of the Trigger's
     * uid and the key (RFC 9562 version 8, from SHA-256). Every replica answers a retry with the same id, and a retry
     * another replica hands to the leader carries the id the first call's fire left on the target, where the patch
     * then changes nothing; the keys of another Trigger, or of an earlier one of the same name, give other ids.
     */
    static String keyedEventId(Trigger trigger, String key) {
        byte[] b = WebhookTokens.sha256((trigger.getMetadata().getUid() + "\n" + key).getBytes(StandardCharsets.UTF_8));
        b[6] = (byte) ((b[6] & 0x0f) | 0x80); // version 8
        b[8] = (byte) ((b[8] & 0x3f) | 0x80); // IETF variant
        return uuid(b);
    }

    /**
     * A random (version 4) UUID, from a SecureRandom of the request thread's own: UUID.randomUUID() draws
     * from one SecureRandom for the whole JVM (NativePRNG, behind a lock), which the request threads queued on.
     */
    static String newEventId() {
        byte[] b = EVENT_IDS.get().next();
        b[6] = (byte) ((b[6] & 0x0f) | 0x40); // version 4
        b[8] = (byte) ((b[8] & 0x3f) | 0x80); // IETF variant
        return uuid(b);
    }

    private static String uuid(byte[] b) {
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

    private static String bearer(String authorization) {
        if (authorization == null) return null;
        String v = authorization.trim();
        if (v.length() < 7 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        String token = v.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private final AtomicBoolean closed = new AtomicBoolean();

    /** Idempotent: closing the listener again after its I/O threads stopped would wait for them forever. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        IoUtils.safeClose(server);
        worker.shutdownNow();
        handOvers.shutdownNow();
    }
}
