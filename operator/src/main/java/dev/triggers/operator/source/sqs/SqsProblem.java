package dev.triggers.operator.source.sqs;

import dev.triggers.operator.source.SourceHealth;

/** A problem the poller shows as its health and retries with backoff (no stack trace: it is data). */
final class SqsProblem extends RuntimeException {
    private final SourceHealth health;

    SqsProblem(SourceHealth health) {
        super(health.message(), null, false, false);
        this.health = health;
    }

    SourceHealth health() {
        return health;
    }
}
