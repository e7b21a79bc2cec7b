package dev.triggers.operator.action;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Runs tasks later: a scheduled executor in the operator, virtual time in unit tests. */
public interface Timers {
    /** Runs the task after the delay; the returned action cancels it if it has not run yet. */
    Runnable schedule(Runnable task, Duration delay);

    static Timers of(ScheduledExecutorService executor) {
        return (task, delay) -> {
            ScheduledFuture<?> f = executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
            return () -> f.cancel(false);
        };
    }
}
