package dev.triggers.operator.action;

import dev.triggers.operator.support.DaemonThreads;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;

/** The fire engine's threads, all bounded and named: fire workers, one timer thread, record writers, accept writers. */
final class FireThreads {
    final ThreadPoolExecutor workers;
    final ScheduledExecutorService timers;
    /** Writes of accepted events into status.acceptedEvents (one per coalescing window), off the HTTP threads. */
    final ExecutorService acceptWriters;
    /** Single-thread executors, a Trigger always on the same one: its records are written in order. */
    private final ExecutorService[] recorders;

    FireThreads(int threads) {
        this.workers = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads, DaemonThreads.named("fire"));
        this.timers = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("fire-cooldown"));
        this.acceptWriters = Executors.newFixedThreadPool(Math.max(2, threads / 2), DaemonThreads.named("fire-accept"));
        this.recorders = new ExecutorService[Math.max(2, threads / 2)];
        for (int i = 0; i < recorders.length; i++) recorders[i] = Executors.newSingleThreadExecutor(DaemonThreads.named("fire-record-" + i));
    }

    /** The Trigger's record writer: always the same one for a Trigger. */
    Executor recorderOf(ResourceID trigger) {
        return recorders[Math.floorMod(trigger.hashCode(), recorders.length)];
    }

    /** Whether fires wait for a worker now (records give way to them). */
    boolean firesWaiting() {
        return !workers.getQueue().isEmpty();
    }

    /**
     * Stops the timers and the accept writes; fires in flight finish (a graceful shutdown), then {@code afterFires} runs
     * (the waiting records are written) and the record writers finish. No wait is for ever.
     */
    void close(Runnable afterFires) {
        timers.shutdownNow();
        acceptWriters.shutdownNow();
        DaemonThreads.shutdownAndWait(workers, Duration.ofSeconds(30));
        afterFires.run();
        for (ExecutorService r : recorders) DaemonThreads.shutdownAndWait(r, Duration.ofSeconds(30));
    }
}
