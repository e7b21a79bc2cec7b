package dev.triggers.operator.schedule;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.triggers.operator.api.v1alpha1.MaintenanceWindow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Trigger's spec.windows: it may fire only inside one of them. A window opens at each slot of its cron schedule (read
 * as the cron source reads it, with the same DST rules: a start that does not exist that day opens no window, one that
 * happens twice opens at its first occurrence) and stays open for its duration, counted in elapsed time.
 */
public final class MaintenanceWindows {
    /** No windows: always open. */
    public static final MaintenanceWindows ALWAYS = new MaintenanceWindows(List.of());
    private static final Pattern DURATION = Pattern.compile("^(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$");
    /** Parsed windows by their text: Triggers share them, and a fire asks on every event. Bounded. */
    private static final Cache<String, MaintenanceWindows> PARSED = Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).build();

    private record Window(CronSchedule opens, Duration lasts) {}

    private final List<Window> windows;

    private MaintenanceWindows(List<Window> windows) {
        this.windows = windows;
    }

    /** The windows of a spec (null or empty: {@link #ALWAYS}); throws IllegalArgumentException naming the first problem. */
    public static MaintenanceWindows of(List<MaintenanceWindow> spec) {
        if (spec == null || spec.isEmpty()) return ALWAYS;
        StringBuilder key = new StringBuilder();
        for (MaintenanceWindow w : spec) {
            key.append(w == null ? null : w.getSchedule()).append('\u0000').append(w == null ? null : w.getDuration()).append('\u0000')
                    .append(w == null ? null : w.getTimeZone()).append('\n');
        }
        return PARSED.get(key.toString(), k -> {
            List<String> problems = problems(spec);
            if (!problems.isEmpty()) throw new IllegalArgumentException(problems.get(0));
            List<Window> parsed = new ArrayList<>();
            for (MaintenanceWindow w : spec) parsed.add(new Window(CronSchedule.parse(w.getSchedule(), w.getTimeZone()), duration(w.getDuration())));
            return new MaintenanceWindows(List.copyOf(parsed));
        });
    }

    /** What is wrong with each window, as spec.windows[i].field: message; empty when all are valid. */
    public static List<String> problems(List<MaintenanceWindow> spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null) return problems;
        for (int i = 0; i < spec.size(); i++) {
            MaintenanceWindow w = spec.get(i);
            String at = "spec.windows[" + i + "]";
            if (w == null) {
                problems.add(at + " is empty: give schedule and duration");
                continue;
            }
            try {
                if (CronSchedule.parse(w.getSchedule(), w.getTimeZone()).next(Instant.EPOCH).isEmpty()) {
                    problems.add(at + ": cron schedule '" + w.getSchedule() + "' never opens (no such date): fix the day of month or month");
                }
            } catch (IllegalArgumentException e) {
                problems.add(at + ": " + e.getMessage());
            }
            try {
                duration(w.getDuration());
            } catch (IllegalArgumentException e) {
                problems.add(at + ".duration: " + e.getMessage());
            }
        }
        return problems;
    }

    /** 2h, 90m, 1h30m, 45s; positive. */
    static Duration duration(String text) {
        Matcher m = text == null ? null : DURATION.matcher(text.trim());
        if (m == null || text.isBlank() || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: use hours, minutes and seconds such as 2h, 90m or 1h30m");
        }
        Duration d = Duration.ZERO;
        if (m.group(1) != null) d = d.plusHours(Long.parseLong(m.group(1)));
        if (m.group(2) != null) d = d.plusMinutes(Long.parseLong(m.group(2)));
        if (m.group(3) != null) d = d.plusSeconds(Long.parseLong(m.group(3)));
        if (d.isZero()) throw new IllegalArgumentException("'" + text + "' must be longer than 0s");
        return d;
    }

    public boolean always() {
        return windows.isEmpty();
    }

    /**
     * When the Trigger may fire, at or after {@code at}: {@code at} itself inside a window (or without windows), else
     * the next window start; empty when no window ever opens again (e.g. 31 February).
     */
    public Optional<Instant> opensAt(Instant at) {
        if (windows.isEmpty()) return Optional.of(at);
        Instant next = null;
        for (Window w : windows) {
            // The latest start is enough: an earlier one of the same window ends no later than it.
            Optional<Instant> opened = w.opens().latest(at);
            if (opened.isPresent() && at.isBefore(opened.get().plus(w.lasts()))) return Optional.of(at);
            Optional<Instant> opens = w.opens().next(at);
            if (opens.isPresent() && (next == null || opens.get().isBefore(next))) next = opens.get();
        }
        return Optional.ofNullable(next);
    }

    /** A person's description of the windows, for messages. */
    @Override
    public String toString() {
        if (windows.isEmpty()) return "no maintenance windows";
        List<String> parts = new ArrayList<>();
        for (Window w : windows) parts.add("'" + w.opens().expression() + "' " + w.opens().zone() + " for " + w.lasts().toString().substring(2).toLowerCase());
        return String.join(", ", parts);
    }
}
