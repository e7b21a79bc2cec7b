package dev.triggers.operator.source.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The rate limit and the Idempotency-Key memory are plain functions of the calls and the clock. */
class WebhookLimitsTest {
    final OffsetClock clock = OffsetClock.frozen();

    @Test
    void aBucketTakesItsLimitAtOnceThenOneCallPerSixtyOverLimitSeconds() {
        WebhookRateLimits limits = new WebhookRateLimits(clock);
        for (int i = 0; i < 60; i++) assertThat(limits.take("shop/a", 60)).isZero();
        Duration wait = limits.take("shop/a", 60);
        assertThat(wait).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(limits.take("shop/b", 60)).as("another Trigger has its own bucket").isZero();

        clock.advance(Duration.ofSeconds(1));
        assertThat(limits.take("shop/a", 60)).isZero();
        assertThat(limits.take("shop/a", 60)).isPositive();
        clock.advance(Duration.ofMinutes(10));
        for (int i = 0; i < 60; i++) assertThat(limits.take("shop/a", 60)).as("refilled to the limit, not beyond").isZero();
        assertThat(limits.take("shop/a", 60)).isPositive();
    }

    @Test
    void aChangedLimitStartsAFreshBucket() {
        WebhookRateLimits limits = new WebhookRateLimits(clock);
        assertThat(limits.take("shop/a", 1)).isZero();
        assertThat(limits.take("shop/a", 1)).isEqualTo(Duration.ofMinutes(1));
        assertThat(limits.take("shop/a", 2)).isZero();
    }

    @Test
    void aKeyGivesItsFirstEventIdForTwentyFourHours() {
        IdempotencyKeys keys = new IdempotencyKeys(clock, Duration.ofHours(24), 100);
        assertThat(keys.reserve("shop/a", "k", "e1")).isEmpty();
        assertThat(keys.reserve("shop/a", "k", "e2")).contains("e1");
        assertThat(keys.reserve("shop/b", "k", "e3")).as("keys are per Trigger").isEmpty();
        clock.advance(Duration.ofHours(24).minusSeconds(1));
        assertThat(keys.reserve("shop/a", "k", "e4")).contains("e1");
        clock.advance(Duration.ofSeconds(2));
        assertThat(keys.reserve("shop/a", "k", "e5")).isEmpty();
    }

    @Test
    void aReleasedKeyCanBeUsedAgain() {
        IdempotencyKeys keys = new IdempotencyKeys(clock, Duration.ofHours(24), 100);
        assertThat(keys.reserve("shop/a", "k", "e1")).isEmpty();
        keys.release("shop/a", "k", "other");
        assertThat(keys.reserve("shop/a", "k", "e2")).as("only the reserving call releases").contains("e1");
        keys.release("shop/a", "k", "e1");
        assertThat(keys.reserve("shop/a", "k", "e3")).isEmpty();
    }

    @Test
    void memoryIsBoundedTheOldestKeysGoFirst() {
        IdempotencyKeys keys = new IdempotencyKeys(clock, Duration.ofHours(24), 1000);
        for (int i = 0; i < 5000; i++) keys.reserve("shop/a", "k" + i, "e" + i);
        assertThat(keys.size()).isEqualTo(1000);
        assertThat(keys.reserve("shop/a", "k4999", "x")).contains("e4999");
        assertThat(keys.reserve("shop/a", "k0", "x")).isEmpty();
    }
}
