package dev.triggers.operator.source.webhook;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-Trigger token buckets: a Trigger may take {@code limit} calls at once, then one more every
 * 60/limit seconds. Only authenticated calls are counted, so nobody without the token can use up a
 * Trigger's budget (or learn from a 429 that it exists).
 */
final class WebhookRateLimits {
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    WebhookRateLimits(Clock clock) {
        this.clock = clock;
    }

    /** Takes one call; empty when allowed, else how long to wait before the next one is. */
    Duration take(String trigger, int limitPerMinute) {
        Bucket bucket = buckets.compute(trigger, (k, b) -> b == null || b.limit != limitPerMinute ? new Bucket(limitPerMinute, clock.instant()) : b);
        return bucket.take(clock.instant());
    }

    private static final class Bucket {
        final int limit;
        final double nanosPerToken;
        double tokens;
        Instant refilledAt;

        Bucket(int limit, Instant now) {
            this.limit = limit;
            this.nanosPerToken = 60e9 / limit;
            this.tokens = limit;
            this.refilledAt = now;
        }

        synchronized Duration take(Instant now) {
            long elapsed = Math.max(0, Duration.between(refilledAt, now).toNanos());
            tokens = Math.min(limit, tokens + elapsed / nanosPerToken);
            refilledAt = now;
            if (tokens >= 1) {
                tokens -= 1;
                return Duration.ZERO;
            }
            return Duration.ofNanos((long) Math.ceil((1 - tokens) * nanosPerToken));
        }
    }
}
