package dev.triggers.operator.source.webhook;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The system clock plus an offset a test moves forward: time still passes, and an hour can pass at once.
 * {@link #frozen()} gives one that only moves when told, for pure unit tests.
 */
final class OffsetClock extends Clock {
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);
    private final Instant frozenAt;

    OffsetClock() {
        this(null);
    }

    private OffsetClock(Instant frozenAt) {
        this.frozenAt = frozenAt;
    }

    static OffsetClock frozen() {
        return new OffsetClock(Instant.parse("2026-11-26T12:00:00Z"));
    }

    void advance(Duration d) {
        offset.updateAndGet(o -> o.plus(d));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
        return (frozenAt != null ? frozenAt : Instant.now()).plus(offset.get());
    }
}
