package dev.triggers.operator.source.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The rate-limit buckets stay bounded under a flood of new keys without forgetting the keys that keep calling. */
class WebhookBoundedStateTest {
    final OffsetClock clock = OffsetClock.frozen();

    @Test
    void aFloodOfNewAddressesDoesNotResetTheBucketOfOneThatKeepsCalling() {
        WebhookRateLimits limits = new WebhookRateLimits(clock, 100);
        // One address uses up its budget of refused calls, calling again and again.
        for (int i = 0; i < 10; i++) assertThat(limits.take("10.0.0.1", 10)).isZero();
        assertThat(limits.take("10.0.0.1", 10)).isPositive();
        // Then 5 000 addresses call once each: far more than the 100 kept.
        for (int i = 0; i < 5_000; i++) {
            assertThat(limits.take("10.1." + (i / 250) + "." + (i % 250), 10)).isZero();
            if (i % 100 == 0) assertThat(limits.take("10.0.0.1", 10)).as("still limited after %d new addresses", i).isPositive();
        }
        assertThat(limits.size()).isLessThanOrEqualTo(100);
        assertThat(limits.take("10.0.0.1", 10)).as("the busy address was neither forgotten nor reset").isPositive();
    }

    @Test
    void aBucketUnusedForAMinuteIsDroppedBecauseItRefilledAnyway() {
        WebhookRateLimits limits = new WebhookRateLimits(clock, 100);
        for (int i = 0; i < 3; i++) limits.take("shop/a", 3);
        assertThat(limits.take("shop/a", 3)).isPositive();
        assertThat(limits.size()).isEqualTo(1);
        clock.advance(WebhookRateLimits.REFILLED.plusSeconds(1));
        assertThat(limits.size()).isZero();
        for (int i = 0; i < 3; i++) assertThat(limits.take("shop/a", 3)).as("a full budget again").isZero();
    }

    @Test
    void deletedTriggersAreForgotten() {
        WebhookRateLimits limits = new WebhookRateLimits(clock, 100);
        limits.take("shop/a", 3);
        limits.take("shop/b", 3);
        limits.forget("shop/a"::equals);
        assertThat(limits.size()).isEqualTo(1);
        IdempotencyKeys keys = new IdempotencyKeys(clock, Duration.ofHours(24), 100);
        keys.reserve("shop/a", "k", "e1");
        keys.reserve("shop/b", "k", "e2");
        keys.forget("shop/a"::equals);
        assertThat(keys.size()).isEqualTo(1);
        assertThat(keys.reserve("shop/b", "k", "e3")).contains("e2");
    }
}
