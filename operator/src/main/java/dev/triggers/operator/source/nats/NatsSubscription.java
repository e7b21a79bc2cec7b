package dev.triggers.operator.source.nats;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.action.TriggerEvent;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.NUID;
import io.nats.client.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A core NATS subscription (optionally in a queue group) on the shared connection's dispatcher. Core
 * NATS delivers at most once: a message published while the operator is disconnected, restarting or
 * failing over, or whose fire fails, is not delivered again. The event id is generated.
 *
 * <p>At most {@link #MAX_PENDING_MESSAGES} messages ({@link #MAX_PENDING_BYTES} bytes) wait for one
 * Trigger; a flood beyond that is dropped before it is queued, counted in
 * {@code nats_messages_dropped_total} and told in a Warning Event at most once a minute.
 */
final class NatsSubscription extends NatsSourceBase {
    private static final Logger log = LoggerFactory.getLogger(NatsSubscription.class);
    /**
     * Messages that may wait for one Trigger. A core message only says "something happened": all that
     * wait fold into one fire, so a deeper queue buys nothing but heap. The dispatcher hands one on in
     * microseconds, so 1 000 waiting means a flood, not a burst of real deploys.
     */
    static final int MAX_PENDING_MESSAGES = 1_000;
    /** Bytes that may wait for one Trigger: a few messages of NATS's default 1 MiB max payload. */
    static final long MAX_PENDING_BYTES = 4L << 20;
    static final Duration DROP_REPORT_INTERVAL = Duration.ofMinutes(1);

    private Subscription subscription;
    private Dispatcher dispatcher;
    private long generation = -1;
    private long confirmations;
    private volatile boolean confirmed;
    private final java.util.concurrent.ExecutorService setups;
    private final java.util.concurrent.ScheduledExecutorService timers;
    private final MeterRegistry metrics;
    private final String triggerName;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean dropReportScheduled = new AtomicBoolean();
    private volatile Counter droppedCounter;
    private long droppedReported;
    private volatile long lastDropReportNanos;

    NatsSubscription(Trigger trigger, SourceContext context, NatsConnections connections) {
        super(trigger, context, connections);
        this.setups = connections.setups();
        this.timers = connections.timers();
        this.metrics = connections.metrics();
        this.triggerName = trigger.getMetadata().getName();
    }

    @Override
    protected synchronized void connected(SharedConnection connection) {
        if (closed) return;
        // The client resubscribes by itself after a reconnect; only a new client connection needs a new SUB.
        if (generation != connection.generation()) {
            dispatcher = connection.dispatcher();
            String queue = spec.getQueueGroup();
            PendingLimit limit = new PendingLimit(MAX_PENDING_MESSAGES, MAX_PENDING_BYTES, this::onDrop);
            subscription = queue == null || queue.isBlank()
                    ? dispatcher.subscribe(spec.getSubject(), m -> onMessage(m, limit))
                    : dispatcher.subscribe(spec.getSubject(), queue, m -> onMessage(m, limit));
            limit.install(subscription);
            generation = connection.generation();
            log.info("{}: subscribed to NATS subject '{}'{} on {}", name, spec.getSubject(), queueText(), connection.where());
        }
        // Ready only once the server has the subscription: a round trip after the SUB (or the resubscribe).
        confirmed = false;
        long confirming = ++confirmations;
        try {
            setups.execute(() -> confirm(connection, confirming));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    private void confirm(SharedConnection connection, long confirming) {
        io.nats.client.Connection nc = connection.connection();
        try {
            if (nc != null) nc.flush(Duration.ofSeconds(5));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                return;
            }
            // Disconnected again: the next reconnect confirms anew. Still connected (the flush raced the
            // client's own reconnect handling): no event will come, so try again, or the source stays Pending.
            log.debug("{}: confirming the subscription failed: {}", name, e.toString());
            if (!closed && connection.isConnected()) {
                try {
                    timers.schedule(() -> {
                        synchronized (this) {
                            if (closed || confirming != confirmations) return;
                        }
                        confirm(connection, confirming);
                    }, 1, TimeUnit.SECONDS);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    // the operator is stopping
                }
            }
            return;
        }
        synchronized (this) {
            if (confirming != confirmations) return;
            confirmed = true;
        }
        reportHealth();
    }

    @Override
    protected synchronized void detached() {
        if (subscription != null) {
            try {
                dispatcher.unsubscribe(subscription);
            } catch (RuntimeException e) {
                log.debug("{}: unsubscribe failed (the connection is going away)", name, e);
            }
        }
        subscription = null;
        dispatcher = null;
        generation = -1;
        confirmed = false;
    }

    private void onMessage(Message message, PendingLimit limit) {
        limit.handled(message);
        if (closed) return;
        TriggerEvent event = new TriggerEvent(TriggerEvent.NATS, NUID.nextGlobal(), context.clock().instant());
        log.debug("{}: NATS message on '{}', event {}", name, message.getSubject(), event.id());
        // At most once: nothing to acknowledge, a failed fire shows on the status and is not retried.
        context.fire(event);
    }

    /** On the reader thread, for each message over the limit: count it; report it at most once a minute. */
    private void onDrop() {
        dropped.incrementAndGet();
        Counter counter = droppedCounter;
        if (counter == null) {
            counter = Counter.builder("nats_messages_dropped_total")
                    .description("Core NATS messages dropped because a Trigger already had its maximum of messages waiting")
                    .tags("namespace", namespace, "trigger", triggerName).register(metrics);
            droppedCounter = counter;
        }
        counter.increment();
        if (dropReportScheduled.compareAndSet(false, true)) {
            long sinceLast = System.nanoTime() - lastDropReportNanos;
            long delay = lastDropReportNanos == 0 ? 0 : Math.max(0, DROP_REPORT_INTERVAL.toNanos() - sinceLast);
            try {
                timers.schedule(this::reportDrops, delay, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the operator is stopping
            }
        }
    }

    /** One Warning Event for the drops since the last one (an API write per Trigger per minute at most). */
    private void reportDrops() {
        lastDropReportNanos = System.nanoTime();
        dropReportScheduled.set(false); // before reading the count: a drop from now on schedules the next report
        long total = dropped.get();
        long fresh = total - droppedReported;
        droppedReported = total;
        if (fresh <= 0 || closed) return;
        String message = "dropped " + fresh + " core NATS messages on '" + spec.getSubject() + "': more than " + MAX_PENDING_MESSAGES
                + " messages (or " + (MAX_PENDING_BYTES >> 20) + " MiB) were waiting for this Trigger. They would only have folded into"
                + " the fire already pending; if they matter, narrow the subject or use JetStream";
        log.warn("{}: {}", name, message);
        try {
            context.recordEvent(true, "NatsMessagesDropped", message);
        } catch (RuntimeException e) {
            log.debug("{}: could not record the drops", name, e);
        }
    }

    /** Messages dropped over the pending limit since the source started. */
    long dropped() {
        return dropped.get();
    }

    @Override
    protected synchronized SourceHealth connectedHealth(SharedConnection connection) {
        if (subscription == null || !confirmed) return SourceHealth.starting("subscribing to '" + spec.getSubject() + "' on " + connection.where());
        return SourceHealth.ready("subscribed to NATS subject '" + spec.getSubject() + "'" + queueText() + " on " + connection.where()
                + ". Core NATS is at most once: messages published while the operator is disconnected or restarting are lost;"
                + " use spec.source.nats.jetStream for at least once");
    }

    private String queueText() {
        String queue = spec.getQueueGroup();
        return queue == null || queue.isBlank() ? "" : " in queue group '" + queue + "'";
    }
}
