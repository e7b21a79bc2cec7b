package dev.triggers.operator.action;

import java.time.Duration;

/**
 * How a fire that failed for a passing reason (API unreachable, 5xx, conflict) is tried again: the one retry policy
 * of the fire path (patches are deterministic per event, so a retry never doubles an effect).
 *
 * @param maxRetries retries after the first attempt
 * @param first the delay before the first retry, doubling up to {@code max}
 */
public record RetryPolicy(int maxRetries, Duration first, Duration max) {
    /** 0.5 s doubling to 30 s, 25 retries: about 10 minutes in all. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(25, Duration.ofMillis(500), Duration.ofSeconds(30));

    /** The delay before retry number {@code retry} (from 1), or null when there is none. */
    public Duration delay(int retry) {
        if (retry < 1 || retry > maxRetries) return null;
        Duration d = first.multipliedBy(1L << Math.min(retry - 1, 10));
        return d.compareTo(max) > 0 ? max : d;
    }
}
