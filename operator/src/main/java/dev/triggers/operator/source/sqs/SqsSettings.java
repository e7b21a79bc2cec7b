package dev.triggers.operator.source.sqs;

import dev.triggers.operator.config.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

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
 * @param emptyReceiveInterval shortest time between the starts of two receives when the first one came
 *     back empty (waitTimeSeconds 0 would otherwise poll an empty queue in a tight loop)
 * @param stsEndpoint where roleArn Triggers call AssumeRoleWithWebIdentity; null means AWS's regional
 *     STS endpoint of the queue's region (set by the cluster admin only, never by a Trigger)
 */
public record SqsSettings(int pollThreads, int ackThreads, int maxInFlightPerTrigger, Duration initialBackoff, Duration maxBackoff,
                          Duration emptyReceiveInterval, URI stsEndpoint) {
    public static final String ENV_STS_ENDPOINT = Settings.AWS_STS_ENDPOINT.env();

    public static SqsSettings defaults() {
        return fromEnv(Map.of());
    }

    /** Reads the settings from this environment ({@link Settings}); the others are fixed. */
    public static SqsSettings fromEnv(Map<String, String> env) {
        Function<String, String> get = env::get;
        return new SqsSettings(
                Settings.SQS_POLL_THREADS.read(get),
                Settings.SQS_ACK_THREADS.read(get),
                Settings.SQS_MAX_IN_FLIGHT.read(get),
                Duration.ofSeconds(1),
                Settings.SQS_MAX_BACKOFF_SECONDS.read(get),
                Duration.ofSeconds(1),
                Settings.AWS_STS_ENDPOINT.read(get));
    }

    /** A copy with some components changed, e.g. {@code settings.with(s -> s.pollThreads = 8)}. */
    public SqsSettings with(Consumer<Builder> changes) {
        Builder b = new Builder(this);
        changes.accept(b);
        return b.build();
    }

    /** The components of an {@link SqsSettings}, to change with {@link #with}. */
    public static final class Builder {
        public int pollThreads;
        public int ackThreads;
        public int maxInFlightPerTrigger;
        public Duration initialBackoff;
        public Duration maxBackoff;
        public Duration emptyReceiveInterval;
        public URI stsEndpoint;

        private Builder(SqsSettings s) {
            pollThreads = s.pollThreads;
            ackThreads = s.ackThreads;
            maxInFlightPerTrigger = s.maxInFlightPerTrigger;
            initialBackoff = s.initialBackoff;
            maxBackoff = s.maxBackoff;
            emptyReceiveInterval = s.emptyReceiveInterval;
            stsEndpoint = s.stsEndpoint;
        }

        private SqsSettings build() {
            return new SqsSettings(pollThreads, ackThreads, maxInFlightPerTrigger, initialBackoff, maxBackoff, emptyReceiveInterval, stsEndpoint);
        }
    }

    /** How long to wait before the next receive, after one that started at {@code started} came back empty at {@code now}. */
    public Duration emptyReceivePause(java.time.Instant started, java.time.Instant now) {
        Duration rest = emptyReceiveInterval.minus(Duration.between(started, now));
        return rest.isNegative() ? Duration.ZERO : rest;
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
}
