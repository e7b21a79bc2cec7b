package dev.triggers.operator.source.webhook;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * Token buckets by key: a key may take {@code limit} calls at once, then one more every 60/limit seconds.
 * The server keeps two: per Trigger, counting only authenticated calls, so nobody without the token can
 * use up a Trigger's budget (or learn from a 429 that it exists); and per client address, counting only
 * refused (404) calls, so a flood of wrong tokens is slowed down without touching valid calls.
 *
 * <p>Bounded with Caffeine: past {@code maxKeys}, the entries least used go (W-TinyLFU), so a flood of new
 * keys (addresses) neither grows memory nor resets the buckets of the keys that keep calling; a bucket unused
 * for a minute is full again, the same as a new one, and is dropped.
 */
final class WebhookRateLimits {
    /** A bucket untouched this long has refilled whatever its limit: forgetting it changes nothing. */
    static final Duration REFILLED = Duration.ofMinutes(1);

    private final Clock clock;
    private final Cache<String, Bucket> buckets;

    WebhookRateLimits(Clock clock) {
        this(clock, 100_000);
    }

    /** At most about {@code maxKeys} buckets are kept. */
    WebhookRateLimits(Clock clock, int maxKeys) {
        this.clock = clock;
        this.buckets = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfterAccess(REFILLED)
                // The operator's clock (tests move it), and upkeep on the calling thread: no common-pool tasks.
                .ticker(() -> { Instant now = clock.instant(); return now.getEpochSecond() * 1_000_000_000L + now.getNano(); })
                .executor(Runnable::run)
                .build();
    }

    /** Takes one call; empty when allowed, else how long to wait before the next one is. */
    Duration take(String key, int limitPerMinute) {
        Instant now = clock.instant();
        Bucket bucket = buckets.getIfPresent(key);
        if (bucket == null || bucket.limit != limitPerMinute) {
            // New key or new limit: compute() locks the key, so only here, not on every call.
            bucket = buckets.asMap().compute(key, (k, b) -> b == null || b.limit != limitPerMinute ? new Bucket(limitPerMinute, now) : b);
        }
        return bucket.take(now);
    }

    /** Forgets the buckets of the keys {@code gone} accepts (a deleted Trigger's). */
    void forget(Predicate<String> gone) {
        buckets.asMap().keySet().removeIf(gone);
    }

    int size() {
        buckets.cleanUp();
        return (int) buckets.estimatedSize();
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
