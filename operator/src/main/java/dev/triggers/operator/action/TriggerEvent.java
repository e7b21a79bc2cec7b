package dev.triggers.operator.action;

import java.time.Instant;

/**
 * One outside event that fires a Trigger: every source turns what it receives into this.
 *
 * @param source manual | webhook | cron | sqs | nats
 * @param id the event's id (SQS MessageId, JetStream sequence, cron slot, webhook event id); written to
 *     the pod template, so a repeated fire of the same event patches the same values
 * @param receivedAt when the operator received it (cron: the slot time)
 * @param caller webhook only: the caller's address; otherwise null
 * @param redeliverable true when the transport redelivers the event unless it is acknowledged (an SQS
 *     message, a JetStream message, a fire-request annotation not yet handled): the executor may then
 *     refuse it instead of keeping it. Other events
 *     are kept at most one per Trigger (the newest) plus a count, so a flood cannot grow the heap.
 */
public record TriggerEvent(String source, String id, Instant receivedAt, String caller, boolean redeliverable) {
    public static final String MANUAL = "manual";
    public static final String WEBHOOK = "webhook";
    public static final String CRON = "cron";
    public static final String SQS = "sqs";
    public static final String NATS = "nats";

    public TriggerEvent(String source, String id, Instant receivedAt) {
        this(source, id, receivedAt, null, false);
    }

    public TriggerEvent(String source, String id, Instant receivedAt, String caller) {
        this(source, id, receivedAt, caller, false);
    }

    /** An event the transport redelivers until it is acknowledged (SQS, JetStream, a fire-request annotation). */
    public static TriggerEvent redeliverable(String source, String id, Instant receivedAt) {
        return new TriggerEvent(source, id, receivedAt, null, true);
    }
}
