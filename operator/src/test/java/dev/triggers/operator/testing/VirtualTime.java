package dev.triggers.operator.testing;

import dev.triggers.operator.action.Timers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;

/**
 * A clock and timers that move only when a test says so: {@link #advance} runs every task that falls due, in order,
 * each at its own time, on the test's thread. No sleeps, no waiting.
 */
public final class VirtualTime extends Clock implements Timers {
    private Instant now;
    private long sequence;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>();

    public VirtualTime(Instant start) {
        this.now = start;
    }

    public VirtualTime() {
        this(Instant.parse("2026-11-29T08:00:00Z"));
    }

    @Override
    public synchronized Runnable schedule(Runnable task, Duration delay) {
        Task t = new Task(now.plus(delay), sequence++, task);
        tasks.add(t);
        return () -> {
            synchronized (this) {
                tasks.remove(t);
            }
        };
    }

    /** Moves time forward by {@code d}, running the tasks due on the way. */
    public void advance(Duration d) {
        Instant end;
        synchronized (this) {
            end = now.plus(d);
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.peek();
                if (next == null || next.due.isAfter(end)) {
                    now = end;
                    return;
                }
                tasks.poll();
                if (next.due.isAfter(now)) now = next.due;
            }
            next.task.run();
        }
    }

    /** Tasks scheduled and not yet run. */
    public synchronized int scheduled() {
        return tasks.size();
    }

    @Override
    public synchronized Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("virtual time is UTC");
    }

    private record Task(Instant due, long sequence, Runnable task) implements Comparable<Task> {
        @Override
        public int compareTo(Task o) {
            int c = due.compareTo(o.due);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }
}
