package dev.triggers.operator.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * The hot methods of a JFR recording, from its jdk.ExecutionSample events (what {@code jfr print --events
 * jdk.ExecutionSample} lists, aggregated): samples by thread pool, by top frame (self time), by method
 * anywhere on the stack (inclusive), and by the innermost frame of ours (dev.triggers) on the stack; and
 * its jdk.ObjectAllocationSample events: bytes by class and top frame, and by innermost frame of ours.
 * {@code JfrHotMethods <file.jfr> [rows]}, or called by the ingest benchmark under --jfr.
 */
public final class JfrHotMethods {
    private static final String OURS = "dev.triggers.";

    private JfrHotMethods() {}

    public static void main(String[] args) throws IOException {
        print(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 20, Instant.MIN, Instant.MAX);
    }

    /** Prints the tables for the samples taken between {@code from} and {@code to}. */
    static void print(Path file, int rows, Instant from, Instant to) throws IOException {
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> ours = new HashMap<>();
        Map<String, Long> allocatedBy = new HashMap<>();
        Map<String, Long> allocatedByOurs = new HashMap<>();
        long allocated = 0;
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getStackTrace() == null || e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) continue;
            if (e.getEventType().getName().equals("jdk.ObjectAllocationSample")) {
                long bytes = e.getLong("weight");
                allocated += bytes;
                List<RecordedFrame> frames = e.getStackTrace().getFrames();
                String top = frames.isEmpty() ? "?" : e.getClass("objectClass").getName() + " in " + method(frames.get(0));
                allocatedBy.merge(top, bytes, Long::sum);
                allocatedByOurs.merge(frames.stream().map(JfrHotMethods::method).filter(m -> m.startsWith(OURS)).findFirst()
                        .orElse("(none of ours on the stack)"), bytes, Long::sum);
                continue;
            }
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) continue;
            samples++;
            var thread = e.getThread("sampledThread");
            String name = thread == null || thread.getJavaName() == null ? "?" : thread.getJavaName();
            threads.merge(name.replaceAll("[-#]?\\d+$", "-N"), 1, Integer::sum);
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (frames.isEmpty()) continue;
            self.merge(method(frames.get(0)), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            String innermostOurs = null;
            for (RecordedFrame f : frames) {
                String m = method(f);
                if (seen.add(m)) inclusive.merge(m, 1, Integer::sum);
                if (innermostOurs == null && m.startsWith(OURS)) innermostOurs = m;
            }
            ours.merge(innermostOurs == null ? "(none of ours on the stack)" : innermostOurs, 1, Integer::sum);
        }
        System.out.printf("  JFR %s: %d execution samples%s%n", file, samples,
                from.equals(Instant.MIN) ? "" : " between " + from + " and " + to);
        table("by thread", threads, samples, rows);
        table("self (top frame)", self, samples, rows);
        table("inclusive (anywhere on the stack)", inclusive, samples, rows);
        table("innermost frame of ours", ours, samples, rows);
        System.out.printf("  allocation (sampled, estimated): %.0f MiB%n", allocated / 1048576.0);
        bytes("allocated: class in top frame", allocatedBy, allocated, rows);
        bytes("allocated under the innermost frame of ours", allocatedByOurs, allocated, rows);
    }

    private static void bytes(String title, Map<String, Long> counts, long total, int rows) {
        System.out.println("  -- " + title);
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(rows)
                .forEach(e -> System.out.printf("  %6.1f%%  %8.1f MiB  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getValue() / 1048576.0, e.getKey()));
    }

    private static void table(String title, Map<String, Integer> counts, int total, int rows) {
        System.out.println("  -- " + title);
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(rows)
                .forEach(e -> System.out.printf("  %6.1f%%  %6d  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getValue(), e.getKey()));
    }

    private static String method(RecordedFrame f) {
        RecordedMethod m = f.getMethod();
        return m == null ? "?" : m.getType().getName() + "." + m.getName();
    }
}
