package dev.triggers.operator.source.sqs;

import java.time.Duration;
import java.util.Map;

/**
 * How the SQS source uses threads and retries, shared by every SQS Trigger of the operator.
 *
 * @param pollThreads threads that long-poll (a sync long poll holds its thread for up to
 *     waitTimeSeconds); with more running SQS Triggers than this, the wait is shortened so that every
 *     queue is still polled at least once per waitTimeSeconds (same request count, bounded threads)
 * @param ackThreads threads for the short calls: delete, change visibility
 * @param maxInFlightPerTrigger received but not yet deleted messages per Trigger; the poller pauses above it
 * @param initialBackoff first retry delay after an error; doubles up to maxBackoff
 * @param maxBackoff longest retry delay
 */
public record SqsSettings(int pollThreads, int ackThreads, int maxInFlightPerTrigger, Duration initialBackoff, Duration maxBackoff) {

    public static SqsSettings defaults() {
        return new SqsSettings(64, 4, 100, Duration.ofSeconds(1), Duration.ofSeconds(60));
    }

    /** SQS_POLL_THREADS, SQS_ACK_THREADS, SQS_MAX_IN_FLIGHT, SQS_MAX_BACKOFF_SECONDS; the defaults otherwise. */
    public static SqsSettings fromEnv(Map<String, String> env) {
        SqsSettings d = defaults();
        return new SqsSettings(
                intOr(env.get("SQS_POLL_THREADS"), d.pollThreads),
                intOr(env.get("SQS_ACK_THREADS"), d.ackThreads),
                intOr(env.get("SQS_MAX_IN_FLIGHT"), d.maxInFlightPerTrigger),
                d.initialBackoff,
                Duration.ofSeconds(intOr(env.get("SQS_MAX_BACKOFF_SECONDS"), (int) d.maxBackoff.toSeconds())));
    }

    public SqsSettings withPollThreads(int threads) {
        return new SqsSettings(threads, ackThreads, maxInFlightPerTrigger, initialBackoff, maxBackoff);
    }

    public SqsSettings withBackoff(Duration initial, Duration max) {
        return new SqsSettings(pollThreads, ackThreads, maxInFlightPerTrigger, initial, max);
    }

    /**
     * The long-poll wait for one receive: the configured one while there are enough poll threads,
     * else shortened (at least 1 s) so that round-robin still polls each queue once per configured wait.
     */
    public int effectiveWait(int configuredWait, int activePollers) {
        if (configuredWait <= 0 || activePollers <= pollThreads) return configuredWait;
        return Math.max(1, (int) ((long) configuredWait * pollThreads / activePollers));
    }

    /** Retry delay after the given number of consecutive failures (1 = first). */
    public Duration backoff(int failures) {
        long millis = initialBackoff.toMillis() << Math.min(Math.max(failures - 1, 0), 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }

    private static int intOr(String value, int fallback) {
        if (value == null || value.isBlank()) return fallback;
        int parsed = Integer.parseInt(value.trim());
        if (parsed < 1) throw new IllegalArgumentException("SQS settings must be at least 1, not " + parsed);
        return parsed;
    }
}
