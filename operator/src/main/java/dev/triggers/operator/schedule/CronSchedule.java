package dev.triggers.operator.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed schedule in its time zone, and the pure decisions made on it: which slot comes next, which
 * is the latest one, and whether a slot is due, missed or already handled. No clock inside: every
 * decision takes "now" as an argument.
 *
 * <p>DST follows cron-utils' {@link ExecutionTime} in the zone, with one rule on top: a wall-clock
 * time that occurs twice (the hour repeated when clocks go back) is a slot once, at its first
 * occurrence. cron-utils alone would also yield the second occurrence when asked from inside the
 * repeated hour, which after a restart at the wrong moment would fire a daily slot twice. A wall-clock
 * time that does not exist (the hour skipped when clocks go forward) is no slot: cron-utils skips it.
 */
public final class CronSchedule {
    /** Unix cron's nicknames, as 5-field expressions (cron-utils' Unix definition rejects nicknames). */
    static final Map<String, String> NICKNAMES = Map.of(
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@hourly", "0 * * * *");
    public static final String DEFAULT_ZONE = "UTC";
    public static final long DEFAULT_STARTING_DEADLINE_SECONDS = 300;

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final String CRON_UTILS_PREFIX = "Failed to parse cron expression. ";

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime executionTime;
    private final Map<Instant, Optional<Instant>> nextMemo = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Instant, Optional<Instant>> eldest) {
            return size() > 32;
        }
    };

    private CronSchedule(String expression, ZoneId zone, ExecutionTime executionTime) {
        this.expression = expression;
        this.zone = zone;
        this.executionTime = executionTime;
    }

    /**
     * Parses a schedule in a time zone (null or blank: UTC).
     *
     * @throws IllegalArgumentException with a message for the Trigger's status, e.g.
     *     {@code cron schedule '61 * * * *': Value 61 not in range [0, 59]}
     */
    public static CronSchedule parse(String schedule, String timeZone) {
        ZoneId zone = zone(timeZone);
        if (schedule == null || schedule.isBlank()) {
            throw new IllegalArgumentException("cron schedule is empty: set spec.source.cron.schedule, e.g. '0 3 * * *' or '@daily'");
        }
        String trimmed = schedule.trim();
        String expression = trimmed.startsWith("@") ? NICKNAMES.get(trimmed) : trimmed;
        if (expression == null) {
            throw new IllegalArgumentException("cron schedule '" + schedule + "': unknown nickname, use one of "
                    + "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly");
        }
        Cron cron;
        try {
            cron = PARSER.parse(expression).validate();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "invalid" : e.getMessage();
            if (message.startsWith(CRON_UTILS_PREFIX)) message = message.substring(CRON_UTILS_PREFIX.length());
            throw new IllegalArgumentException("cron schedule '" + schedule + "': " + message);
        }
        return new CronSchedule(trimmed, zone, ExecutionTime.forCron(cron));
    }

    private static ZoneId zone(String timeZone) {
        if (timeZone == null || timeZone.isBlank()) return ZoneOffset.UTC;
        try {
            return ZoneId.of(timeZone.trim());
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("unknown time zone '" + timeZone
                    + "': use an IANA name such as Europe/Paris, America/New_York or UTC");
        }
    }

    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The first slot strictly after the instant; empty if the schedule never fires again (e.g. 31 February). */
    public Optional<Instant> next(Instant after) {
        // Triggers that share a schedule share this object (see CronSourceFactory) and ask the same
        // question after each slot: cron-utils' answer costs tens of microseconds, the memo much less.
        synchronized (nextMemo) {
            Optional<Instant> known = nextMemo.get(after);
            if (known != null) return known;
        }
        Optional<Instant> next = computeNext(after);
        synchronized (nextMemo) {
            nextMemo.put(after, next);
        }
        return next;
    }

    private Optional<Instant> computeNext(Instant after) {
        ZonedDateTime from = after.atZone(zone);
        // A few steps at most: each skip passes a repeated wall-clock time.
        for (int i = 0; i < 100; i++) {
            Optional<ZonedDateTime> next = executionTime.nextExecution(from);
            if (next.isEmpty()) return Optional.empty();
            if (isFirstOccurrence(next.get())) return Optional.of(next.get().toInstant());
            from = next.get();
        }
        return Optional.empty();
    }

    /** The latest slot at or before the instant, if any. */
    public Optional<Instant> latest(Instant atOrBefore) {
        // Slots are whole minutes: "strictly before the next second" is "at or before".
        ZonedDateTime before = atOrBefore.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1).atZone(zone);
        for (int i = 0; i < 100; i++) {
            Optional<ZonedDateTime> last = executionTime.lastExecution(before);
            if (last.isEmpty()) return Optional.empty();
            if (isFirstOccurrence(last.get())) return Optional.of(last.get().toInstant());
            before = last.get();
        }
        return Optional.empty();
    }

    private static boolean isFirstOccurrence(ZonedDateTime time) {
        return time.withEarlierOffsetAtOverlap().toInstant().equals(time.toInstant());
    }

    /**
     * What to do now. Slots at or before {@code handled} (the last slot fired or recorded as missed, or
     * the Trigger's creation) are done. Of the slots after it, only the latest can fire, and only if it is
     * at most {@code startingDeadlineSeconds} old: older slots are never replayed, they are reported.
     */
    public Due due(Instant now, Instant handled, long startingDeadlineSeconds) {
        // The common case, one slot passed since the last one handled, costs two nextExecution calls.
        Optional<Instant> first = next(handled);
        if (first.isEmpty() || first.get().isAfter(now)) return Due.NOTHING;
        Optional<Instant> second = next(first.get());
        boolean onlyOne = second.isEmpty() || second.get().isAfter(now);
        Instant slot = onlyOne ? first.get() : latest(now).orElse(second.get());
        if (Duration.between(slot, now).getSeconds() > startingDeadlineSeconds) {
            return new Due(null, slot, !onlyOne);
        }
        if (onlyOne) return new Due(slot, null, false);
        Instant missed = latest(slot.minusSeconds(1)).filter(p -> p.isAfter(handled)).orElse(first.get());
        return new Due(slot, missed, missed.isAfter(first.get()));
    }

    /**
     * A decision of {@link #due}.
     *
     * @param fire the slot to fire now, or null
     * @param missed the latest slot skipped for good (too old), or null
     * @param earlierMissed whether slots before {@code missed} were skipped too
     */
    public record Due(Instant fire, Instant missed, boolean earlierMissed) {
        public static final Due NOTHING = new Due(null, null, false);
    }

    /** The slot's id: the slot's instant in RFC 3339, e.g. 2030-01-01T03:00:00Z. */
    public static String slotId(Instant slot) {
        return slot.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @Override
    public String toString() {
        return "'" + expression + "' in " + (zone.equals(ZoneOffset.UTC) ? DEFAULT_ZONE : zone.getId());
    }
}
