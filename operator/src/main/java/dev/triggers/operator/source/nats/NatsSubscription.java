package dev.triggers.operator.source.nats;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerEvent;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.NUID;
import io.nats.client.Subscription;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A core NATS subscription (optionally in a queue group) on the shared connection's dispatcher. Core
 * NATS delivers at most once: a message published while the operator is disconnected, restarting or
 * failing over, or whose fire fails, is not delivered again. The event id is generated.
 */
final class NatsSubscription extends NatsSourceBase {
    private static final Logger log = LoggerFactory.getLogger(NatsSubscription.class);

    private Subscription subscription;
    private Dispatcher dispatcher;
    private long generation = -1;
    private long confirmations;
    private volatile boolean confirmed;
    private final java.util.concurrent.ExecutorService setups;
    private final java.util.concurrent.ScheduledExecutorService timers;

    NatsSubscription(Trigger trigger, SourceContext context, NatsConnections connections) {
        super(trigger, context, connections);
        this.setups = connections.setups();
        this.timers = connections.timers();
    }

    @Override
    protected synchronized void connected(SharedConnection connection) {
        if (closed) return;
        // The client resubscribes by itself after a reconnect; only a new client connection needs a new SUB.
        if (generation != connection.generation()) {
            dispatcher = connection.dispatcher();
            String queue = spec.getQueueGroup();
            subscription = queue == null || queue.isBlank()
                    ? dispatcher.subscribe(spec.getSubject(), this::onMessage)
                    : dispatcher.subscribe(spec.getSubject(), queue, this::onMessage);
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
                    }, 1, java.util.concurrent.TimeUnit.SECONDS);
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

    private void onMessage(Message message) {
        if (closed) return;
        TriggerEvent event = new TriggerEvent(TriggerEvent.NATS, NUID.nextGlobal(), context.clock().instant());
        log.debug("{}: NATS message on '{}', event {}", name, message.getSubject(), event.id());
        // At most once: nothing to acknowledge, a failed fire shows on the status and is not retried.
        context.fire(event);
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
