package dev.triggers.operator.source.nats;

import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.NatsMessage;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many core NATS messages (and bytes) may wait for one Trigger in the shared dispatcher's queue.
 * jnats applies pending limits per dispatcher, not per subscription of a dispatcher, and a dispatcher
 * per Trigger costs a thread per Trigger; so the limit is checked where jnats checks its own, on the
 * reader thread before the message is queued (the subscription's "before queue" hook), and a message
 * over it is dropped there: it never reaches the heap, and the socket keeps being read, so the
 * server never sees a slow consumer and the connection stays up for the other Triggers.
 */
final class PendingLimit implements Function<NatsMessage, Boolean> {
    private static final Logger log = LoggerFactory.getLogger(PendingLimit.class);
    /** jnats's hook is package-private; found once. Null if a jnats upgrade removed it (then only the dispatcher's limits hold). */
    private static final Method BEFORE_QUEUE = find();

    private final int maxMessages;
    private final long maxBytes;
    private final Runnable onDrop;
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    PendingLimit(int maxMessages, long maxBytes, Runnable onDrop) {
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.onDrop = onDrop;
    }

    /** Puts the limit in front of the subscription's queue; false if this jnats has no such hook. */
    boolean install(Subscription subscription) {
        if (BEFORE_QUEUE == null) return false;
        try {
            BEFORE_QUEUE.invoke(subscription, this);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("cannot limit the pending messages of NATS subscription {}: {}", subscription.getSubject(), e.toString());
            return false;
        }
    }

    /** On the reader thread, for each message of the subscription: queue it, or drop and count it. */
    @Override
    public Boolean apply(NatsMessage message) {
        long size = size(message);
        long waiting = messages.get();
        // One message always fits, so that a message larger than the byte limit still gets through an empty queue.
        if (waiting >= maxMessages || (waiting > 0 && bytes.get() + size > maxBytes)) {
            dropped.incrementAndGet();
            onDrop.run();
            return false;
        }
        messages.incrementAndGet();
        bytes.addAndGet(size);
        return true;
    }

    /** The handler took the message off the queue. */
    void handled(Message message) {
        long size = size(message);
        messages.updateAndGet(v -> v > 0 ? v - 1 : 0);
        bytes.updateAndGet(v -> v > size ? v - size : 0);
    }

    long dropped() {
        return dropped.get();
    }

    long waiting() {
        return messages.get();
    }

    static long size(Message message) {
        byte[] data = message.getData();
        String subject = message.getSubject();
        return (data == null ? 0 : data.length) + (subject == null ? 0 : subject.length());
    }

    private static Method find() {
        try {
            Method m = Class.forName("io.nats.client.impl.NatsSubscription").getDeclaredMethod("setBeforeQueueProcessor", Function.class);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("this jnats has no per-subscription queue hook ({}): core NATS Triggers share their dispatcher's pending limits", e.toString());
            return null;
        }
    }
}
