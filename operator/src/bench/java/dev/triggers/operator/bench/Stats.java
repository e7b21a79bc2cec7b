package dev.triggers.operator.bench;

import java.util.Arrays;
import java.util.List;

/** Percentiles of a sample, in milliseconds. */
public record Stats(int count, double p50, double p95, double p99, double max) {

    public static Stats ofNanos(List<Long> nanos) {
        if (nanos.isEmpty()) return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return new Stats(sorted.length, ms(pick(sorted, 0.50)), ms(pick(sorted, 0.95)), ms(pick(sorted, 0.99)), ms(sorted[sorted.length - 1]));
    }

    private static long pick(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static double ms(long nanos) {
        return nanos / 1_000_000.0;
    }

    @Override
    public String toString() {
        return String.format("n=%d p50=%.2fms p95=%.2fms p99=%.2fms max=%.2fms", count, p50, p95, p99, max);
    }
}
