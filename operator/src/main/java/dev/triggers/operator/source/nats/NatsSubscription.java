package dev.triggers.operator.source.nats;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerEvent;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.NUID;
import io.nats.client.Subscription;
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

    NatsSubscription(Trigger trigger, SourceContext context, NatsConnections connections) {
        super(trigger, context, connections);
    }

    @Override
    protected synchronized void connected(SharedConnection connection) {
        // The client resubscribes by itself after a reconnect; only a new client connection needs a new SUB.
        if (closed || generation == connection.generation()) return;
        dispatcher = connection.dispatcher();
        String queue = spec.getQueueGroup();
        subscription = queue == null || queue.isBlank()
                ? dispatcher.subscribe(spec.getSubject(), this::onMessage)
                : dispatcher.subscribe(spec.getSubject(), queue, this::onMessage);
        generation = connection.generation();
        log.info("{}: subscribed to NATS subject '{}'{} on {}", name, spec.getSubject(), queueText(), connection.where());
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
        if (subscription == null) return SourceHealth.starting("subscribing to '" + spec.getSubject() + "' on " + connection.where());
        return SourceHealth.ready("subscribed to NATS subject '" + spec.getSubject() + "'" + queueText() + " on " + connection.where()
                + ". Core NATS is at most once: messages published while the operator is disconnected or restarting are lost;"
                + " use spec.source.nats.jetStream for at least once");
    }

    private String queueText() {
        String queue = spec.getQueueGroup();
        return queue == null || queue.isBlank() ? "" : " in queue group '" + queue + "'";
    }
}
