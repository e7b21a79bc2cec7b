package dev.triggers.operator.source.cron;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one scheduler of all cron Triggers: one thread that sleeps until the earliest instant a source
 * asked to be looked at (its next slot, or a retry), runs what is due, and sleeps again. No thread or
 * timer per Trigger, no polling. Time comes from the injected clock; a sleep lasts at most
 * {@link #MAX_SLEEP} of real time, so a wall-clock step (or a test that moves its clock and calls
 * {@link #wakeUp()}) is noticed. Tests can also call {@link #runDue()} themselves.
 */
public final class CronScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CronScheduler.class);
    static final Duration MAX_SLEEP = Duration.ofSeconds(60);

    private final Clock clock;
    private final Set<CronTriggerSource> sources = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private final Thread thread;
    private boolean woken;
    private volatile boolean closed;

    public CronScheduler(Clock clock) {
        this.clock = clock;
        this.thread = new Thread(this::loop, "cron-scheduler");
        thread.setDaemon(true);
        thread.start();
    }

    public Clock clock() {
        return clock;
    }

    /** Adds a source; false once the scheduler is closed (the source then never runs). */
    boolean register(CronTriggerSource source) {
        if (closed) return false;
        sources.add(source);
        wakeUp();
        return true;
    }

    void unregister(CronTriggerSource source) {
        sources.remove(source);
    }

    public int size() {
        return sources.size();
    }

    /** Makes the scheduler look at its sources again now (a source's state or the clock changed). */
    public void wakeUp() {
        synchronized (lock) {
            woken = true;
            lock.notifyAll();
        }
    }

    /** Runs every source whose wake-up instant has come; returns how many ran. */
    public int runDue() {
        if (closed) return 0;
        Instant now = clock.instant();
        int ran = 0;
        // A scan of all sources per wake-up: a few microseconds each, so thousands per slot cost milliseconds.
        for (CronTriggerSource source : sources) {
            if (source.wakeAt().isAfter(now)) continue;
            try {
                source.runDue(now);
            } catch (RuntimeException e) {
                log.error("{}: cron source failed", source.trigger(), e);
            }
            ran++;
        }
        return ran;
    }

    private void loop() {
        while (!closed) {
            try {
                synchronized (lock) {
                    woken = false;
                }
                runDue();
                Instant earliest = Instant.MAX;
                for (CronTriggerSource source : sources) {
                    Instant at = source.wakeAt();
                    if (at.isBefore(earliest)) earliest = at;
                }
                long millis = earliest.equals(Instant.MAX) ? MAX_SLEEP.toMillis()
                        : Math.min(MAX_SLEEP.toMillis(), Math.max(0, Duration.between(clock.instant(), earliest).toMillis()));
                synchronized (lock) {
                    // Wake one millisecond late rather than early: the slot is then due, not due in 0.4 ms.
                    if (!woken && !closed && millis >= 0) lock.wait(millis + 1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("cron scheduler loop failed; it goes on", e);
            }
        }
    }

    /** Stops the thread; sources registered later never run, so a stopping operator fires no slot. */
    @Override
    public void close() {
        closed = true;
        sources.forEach(CronTriggerSource::close);
        sources.clear();
        wakeUp();
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
