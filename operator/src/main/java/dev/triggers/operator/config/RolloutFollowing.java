package dev.triggers.operator.config;

/**
 * Whether the operator follows the rollout each fire started, and how many workloads it follows at once: per
 * namespace of the Triggers (one tenant cannot use up the rest) and in all.
 */
public record RolloutFollowing(boolean enabled, int perNamespace, int total) {
    /** A fire ends at its patch (tests whose API runs no workload controllers). */
    public static final RolloutFollowing OFF = new RolloutFollowing(false, 0, 0);
}
