package dev.triggers.operator.source.nats;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.NatsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.Acknowledgement;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.action.TriggerEvent;
import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.impl.NatsJetStreamMetaData;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JetStream durable pull consumer with explicit acks, consumed through the shared connection's
 * dispatcher. Each message is one event (id: its stream sequence); messages that arrive together are
 * handed to the executor together, so they coalesce into one fire. A message is acked only after the
 * fire it rode on succeeded; a failed fire naks it with a growing delay, so it comes back; while a fire
 * runs (or waits out the cooldown) the message is kept alive with in-progress acks.
 */
final class JetStreamConsumer extends NatsSourceBase {
    private static final Logger log = LoggerFactory.getLogger(JetStreamConsumer.class);

    /** AckWait of the durables the operator creates: longer than a slow patch; in-progress acks cover the rest. */
    static final Duration ACK_WAIT = Duration.ofSeconds(60);
    static final int BATCH = 64;
    private static final long FLUSH_AFTER_MILLIS = 20;
    private static final int STREAM_NOT_FOUND = 10059;
    private static final int CONSUMER_NOT_FOUND = 10014;

    private final ScheduledExecutorService timers;
    private final ExecutorService setups;
    private final List<Received> buffer = new ArrayList<>();
    private final Set<Received> inFlight = ConcurrentHashMap.newKeySet();
    private ScheduledFuture<?> flushTimer;
    private ScheduledFuture<?> retry;
    private ScheduledFuture<?> keepAlive;
    private MessageConsumer consumer;
    private long generation = -1;
    private long reconnects = -1;
    private boolean settingUp;
    private int failures;
    private volatile SourceHealth problem;
    /** The durable's name on the server: the spec's, prefixed with the namespace (see {@link #serverDurable}). */
    private final String durable;

    JetStreamConsumer(Trigger trigger, SourceContext context, NatsConnections connections) {
        super(trigger, context, connections);
        this.durable = serverDurable(namespace, js().getDurable());
        this.timers = connections.timers();
        this.setups = connections.setups();
    }

    /**
     * The durable consumer's name on the server: {@code <namespace>_<durable>}. Namespaces never contain
     * '_', so two namespaces can never name the same consumer (nor bind to one made for another), and
     * the name stays one NATS token (no '.', '*', '>' or spaces: the spec's durable has none either).
     */
    static String serverDurable(String namespace, String durable) {
        return namespace + "_" + durable;
    }

    private NatsSource.JetStreamSpec js() {
        return spec.getJetStream();
    }

    @Override
    protected synchronized void connected(SharedConnection connection) {
        // Set up anew on a new client connection and after each reconnect: the server may have restarted and
        // lost the pending pull requests (or, without storage, the durable); waiting for heartbeats to notice is slow.
        if (closed || settingUp || (generation == connection.generation() && reconnects == connection.reconnects())) return;
        settingUp = true;
        if (consumer != null) {
            stopConsumer();
            problem = null;
        }
        try {
            setups.execute(() -> setUp(connection));
        } catch (RejectedExecutionException e) {
            settingUp = false;
        }
    }

    /** Finds the stream, creates or checks the durable, and starts consuming. Off the NATS threads: it waits for replies. */
    private void setUp(SharedConnection connection) {
        long gen = connection.generation();
        long reconnected = connection.reconnects();
        Connection nc = connection.connection();
        SourceHealth failed = null;
        MessageConsumer started = null;
        Duration ackWait = ACK_WAIT;
        try {
            if (nc == null || closed) return;
            JetStreamManagement jsm = nc.jetStreamManagement();
            try {
                jsm.getStreamInfo(js().getStream());
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                    throw new Problem("StreamNotFound", "JetStream stream '" + js().getStream() + "' not found on NATS at " + connection.where()
                            + ": create it (e.g. `nats stream add " + js().getStream() + " --subjects '" + spec.getSubject() + "'`) or fix spec.source.nats.jetStream.stream");
                }
                throw e;
            }
            ConsumerInfo info = consumerInfo(jsm);
            ConsumerConfiguration cc = info.getConsumerConfiguration();
            if (cc.getDeliverSubject() != null) {
                throw new Problem("ConsumerMismatch", "durable '" + durable + "' of stream '" + js().getStream()
                        + "' is a push consumer; the operator needs a pull consumer: delete it (the operator creates it) or name another durable");
            }
            List<String> filters = cc.getFilterSubjects();
            if (filters != null && !filters.isEmpty() && !filters.equals(List.of(spec.getSubject()))) {
                throw new Problem("ConsumerMismatch", "durable '" + durable + "' of stream '" + js().getStream() + "' filters "
                        + filters + ", not the Trigger's subject '" + spec.getSubject() + "': use another durable, or delete it so the operator recreates it");
            }
            if (cc.getAckPolicy() != AckPolicy.Explicit) {
                throw new Problem("ConsumerMismatch", "durable '" + durable + "' has ack policy " + cc.getAckPolicy()
                        + "; the operator needs explicit acks: delete it (the operator creates it) or name another durable");
            }
            if (cc.getAckWait() != null && !cc.getAckWait().isZero()) ackWait = cc.getAckWait();
            synchronized (this) {
                if (closed) return;
                started = nc.getConsumerContext(js().getStream(), durable).consume(
                        ConsumeOptions.builder().batchSize(BATCH).expiresIn(30_000).build(), connection.dispatcher(), this::onMessage);
                consumer = started;
                generation = gen;
                reconnects = reconnected;
                failures = 0;
                problem = null;
                Duration tick = Duration.ofMillis(Math.max(1000, ackWait.toMillis() / 3));
                if (keepAlive != null) keepAlive.cancel(false);
                keepAlive = timers.scheduleAtFixedRate(this::keepAlive, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
            }
            log.info("{}: consuming JetStream durable '{}' of stream '{}' on {}", name, durable, js().getStream(), connection.where());
        } catch (Problem p) {
            failed = SourceHealth.error(p.reason, p.getMessage());
        } catch (JetStreamApiException e) {
            failed = SourceHealth.error("JetStreamError", "JetStream refused durable '" + durable + "' of stream '" + js().getStream()
                    + "': " + e.getErrorDescription() + " (code " + e.getApiErrorCode() + ")");
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            failed = SourceHealth.error("JetStreamUnavailable", "cannot use JetStream on NATS at " + connection.where() + ": " + message
                    + " (is JetStream enabled on the server?)");
        } finally {
            synchronized (this) {
                settingUp = false;
                if (failed != null && !closed) {
                    problem = failed;
                    scheduleRetry(connection);
                }
            }
            if (failed != null) log.warn("{}: {}", name, failed.message());
            reportHealth();
        }
    }

    private ConsumerInfo consumerInfo(JetStreamManagement jsm) throws Exception {
        try {
            return jsm.getConsumerInfo(js().getStream(), durable);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != CONSUMER_NOT_FOUND) throw e;
        }
        log.info("{}: creating JetStream durable '{}' on stream '{}' (subject '{}', ack wait {}s)", name, durable, js().getStream(),
                spec.getSubject(), ACK_WAIT.toSeconds());
        return jsm.addOrUpdateConsumer(js().getStream(), ConsumerConfiguration.builder()
                .durable(durable)
                .filterSubject(spec.getSubject())
                .ackPolicy(AckPolicy.Explicit)
                .ackWait(ACK_WAIT)
                .deliverPolicy(DeliverPolicy.All)
                .build());
    }

    /** A missing stream may be created later: look again with backoff, 2 s doubling up to a minute. */
    private synchronized void scheduleRetry(SharedConnection connection) {
        long delay = Math.min(60_000L, 2000L << Math.min(failures++, 5));
        if (retry != null) retry.cancel(false);
        try {
            retry = timers.schedule(() -> {
                if (!closed && connection.isConnected()) connected(connection);
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private void onMessage(Message message) {
        if (closed) {
            nak(message, Duration.ZERO);
            return;
        }
        NatsJetStreamMetaData meta = message.metaData();
        // receivedAt is the stream's timestamp, so that a redelivery (a lost ack) patches the same template.
        Instant stored = meta.timestamp() == null ? context.clock().instant() : meta.timestamp().toInstant();
        Received received = new Received(message, TriggerEvent.redeliverable(TriggerEvent.NATS, Long.toString(meta.streamSequence()), stored));
        log.debug("{}: JetStream message seq {} (delivery {}, {} pending)", name, meta.streamSequence(), meta.deliveredCount(), meta.pendingCount());
        boolean now;
        synchronized (this) {
            buffer.add(received);
            now = meta.pendingCount() == 0 || buffer.size() >= BATCH;
            if (!now && flushTimer == null) flushTimer = timers.schedule(this::flush, FLUSH_AFTER_MILLIS, TimeUnit.MILLISECONDS);
        }
        if (now) flush();
    }

    /** Hands the messages received together to the executor together, and settles each with its fire's result. */
    private void flush() {
        List<Received> batch;
        synchronized (this) {
            if (flushTimer != null) flushTimer.cancel(false);
            flushTimer = null;
            if (buffer.isEmpty()) return;
            batch = new ArrayList<>(buffer);
            buffer.clear();
            if (closed) {
                batch.forEach(r -> nak(r.message, Duration.ZERO));
                return;
            }
            inFlight.addAll(batch);
        }
        List<CompletableFuture<FireResult>> results = context.fireAll(batch.stream().map(Received::event).toList());
        for (int i = 0; i < batch.size(); i++) {
            Received received = batch.get(i);
            Acknowledgement.afterFire(results.get(i), fired -> settle(received, fired), failed -> settle(received, failed));
        }
    }

    private void settle(Received received, FireResult result) {
        inFlight.remove(received);
        String seq = received.event.id();
        if (result != null && result.succeeded()) {
            try {
                received.message.ack();
                log.debug("{}: acked JetStream seq {}", name, seq);
            } catch (RuntimeException e) {
                // The connection is gone: the message comes back after AckWait; the same event id patches nothing new.
                log.warn("{}: could not ack JetStream seq {} ({}); it will be redelivered", name, seq, e.getMessage());
            }
            return;
        }
        long delivered = received.message.metaData().deliveredCount();
        Duration delay = Duration.ofMillis(Math.min(60_000L, 1000L << Math.min(Math.max(delivered - 1, 0), 6)));
        log.info("{}: JetStream seq {} not acked (fire failed), redelivery in {} s", name, seq, delay.toSeconds());
        nak(received.message, delay);
    }

    /** While a fire runs or waits out the cooldown, its messages must not be redelivered. */
    private void keepAlive() {
        if (closed) return;
        for (Received r : inFlight) {
            try {
                r.message.inProgress();
            } catch (RuntimeException e) {
                log.debug("{}: in-progress ack failed", name, e);
            }
        }
    }

    private void nak(Message message, Duration delay) {
        try {
            if (delay.isZero()) message.nak();
            else message.nakWithDelay(delay);
        } catch (RuntimeException e) {
            log.debug("{}: nak failed (the message comes back after AckWait)", name, e);
        }
    }

    @Override
    protected synchronized void detached() {
        if (keepAlive != null) keepAlive.cancel(false);
        if (retry != null) retry.cancel(false);
        keepAlive = null;
        retry = null;
        stopConsumer();
        generation = -1;
        // Received but not handed to a fire: give them back at once. Messages in flight are settled by
        // their fire's result (acked only if it succeeded), or come back after AckWait.
        buffer.forEach(r -> nak(r.message, Duration.ZERO));
        buffer.clear();
    }

    /** Unsubscribes the client's consumer; messages already handed to a fire are still settled by its result. */
    private void stopConsumer() {
        if (consumer != null) {
            try {
                consumer.close();
            } catch (Exception e) {
                log.debug("{}: closing the consumer failed", name, e);
            }
        }
        consumer = null;
    }

    @Override
    protected SourceHealth connectedHealth(SharedConnection connection) {
        SourceHealth p = problem;
        if (p != null) return p;
        synchronized (this) {
            if (consumer == null) {
                return SourceHealth.starting("binding JetStream durable '" + durable + "' of stream '" + js().getStream() + "'");
            }
        }
        return SourceHealth.ready("consuming JetStream durable '" + durable + "' (spec.source.nats.jetStream.durable '" + js().getDurable()
                + "' in namespace " + namespace + ") of stream '" + js().getStream() + "' (subject '"
                + spec.getSubject() + "') on " + connection.where() + ": at least once, a message is acked only after the action succeeded");
    }

    private record Received(Message message, TriggerEvent event) {}

    private static final class Problem extends Exception {
        final String reason;

        Problem(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
