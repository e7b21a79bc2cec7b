package dev.triggers.operator.source;

/**
 * A source's state, shown as the SourceReady condition.
 *
 * @param ready whether the source is receiving events
 * @param reason a CamelCase condition reason, e.g. QueueNotFound
 * @param message what is going on, or what to fix, for a person
 */
public record SourceHealth(boolean ready, String reason, String message) {
    public static SourceHealth ready(String message) {
        return new SourceHealth(true, "Listening", message);
    }

    public static SourceHealth starting(String message) {
        return new SourceHealth(false, "Starting", message);
    }

    public static SourceHealth error(String reason, String message) {
        return new SourceHealth(false, reason, message);
    }
}
