package dev.triggers.operator.source.webhook;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets by key: a key may take {@code limit} calls at once, then one more every 60/limit seconds.
 * The server keeps two: per Trigger, counting only authenticated calls, so nobody without the token can
 * use up a Trigger's budget (or learn from a 429 that it exists); and per client address, counting only
 * refused (404) calls, so a flood of wrong tokens is slowed down without touching valid calls.
 */
final class WebhookRateLimits {
    private final Clock clock;
    private final int maxKeys;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    WebhookRateLimits(Clock clock) {
        this(clock, Integer.MAX_VALUE);
    }

    /** At most about {@code maxKeys} buckets are kept: past that, full ones (idle keys) are forgotten first. */
    WebhookRateLimits(Clock clock, int maxKeys) {
        this.clock = clock;
        this.maxKeys = maxKeys;
    }

    /** Takes one call; empty when allowed, else how long to wait before the next one is. */
    Duration take(String key, int limitPerMinute) {
        Instant now = clock.instant();
        Bucket bucket = buckets.get(key);
        if (bucket == null || bucket.limit != limitPerMinute) {
            // New key or new limit: compute() locks the key's bin, so only here, not on every call.
            if (bucket == null && buckets.size() >= maxKeys) prune();
            bucket = buckets.compute(key, (k, b) -> b == null || b.limit != limitPerMinute ? new Bucket(limitPerMinute, now) : b);
        }
        return bucket.take(now);
    }

    /** Forgets the buckets of the keys {@code gone} accepts (a deleted Trigger's). */
    void forget(java.util.function.Predicate<String> gone) {
        buckets.keySet().removeIf(gone);
    }

    int size() {
        return buckets.size();
    }

    /** Forgets the buckets that have refilled (a new one would be the same); if that is not enough, all. */
    private synchronized void prune() {
        if (buckets.size() < maxKeys) return;
        buckets.values().removeIf(b -> b.full(clock.instant()));
        if (buckets.size() >= maxKeys) buckets.clear();
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

        synchronized boolean full(Instant now) {
            return tokens + Math.max(0, Duration.between(refilledAt, now).toNanos()) / nanosPerToken >= limit;
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
