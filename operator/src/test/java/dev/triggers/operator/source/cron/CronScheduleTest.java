package dev.triggers.operator.source.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.schedule.CronSchedule;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure schedule decisions: parsing, next and latest slot, due or missed, DST. No server, no waiting. */
class CronScheduleTest {
    static final Instant T = Instant.parse("2030-01-01T10:00:00Z");

    @Test
    void badScheduleGivesCronUtilsMessage() {
        assertThatThrownBy(() -> CronSchedule.parse("61 * * * *", null))
                .hasMessage("cron schedule '61 * * * *': Value 61 not in range [0, 59]");
        assertThatThrownBy(() -> CronSchedule.parse("0 0 * * * ?", null))
                .hasMessage("cron schedule '0 0 * * * ?': Cron expression contains 6 parts but we expect one of [5]");
        assertThatThrownBy(() -> CronSchedule.parse("@reboot", null)).hasMessageStartingWith("cron schedule '@reboot': unknown nickname");
        assertThatThrownBy(() -> CronSchedule.parse(" ", null)).hasMessageStartingWith("cron schedule is empty");
    }

    @Test
    void unknownTimeZoneIsNamed() {
        assertThatThrownBy(() -> CronSchedule.parse("0 3 * * *", "Mars/Olympus"))
                .hasMessageStartingWith("unknown time zone 'Mars/Olympus': use an IANA name");
    }

    @Test
    void factoryReportsEveryProblemOfTheBlock() {
        CronSource both = new CronSource("61 * * * *", "Mars/Olympus");
        both.setStartingDeadlineSeconds(-1L);
        assertThat(CronSourceFactory.problems(both, Clock.systemUTC())).containsExactly(
                "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Paris, America/New_York or UTC",
                "cron schedule '61 * * * *': Value 61 not in range [0, 59]",
                "spec.source.cron.startingDeadlineSeconds must be 0 or more, not -1");
        assertThat(CronSourceFactory.problems(new CronSource("0 0 31 2 *", null), Clock.systemUTC()))
                .containsExactly("cron schedule '0 0 31 2 *' never fires (no such date): fix the day of month or month");
        assertThat(CronSourceFactory.problems(new CronSource("*/5 * * * *", "Europe/Paris"), Clock.systemUTC())).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
            "@yearly,    2031-01-01T00:00:00Z",
            "@annually,  2031-01-01T00:00:00Z",
            "@monthly,   2030-02-01T00:00:00Z",
            "@weekly,    2030-01-06T00:00:00Z",
            "@daily,     2030-01-02T00:00:00Z",
            "@midnight,  2030-01-02T00:00:00Z",
            "@hourly,    2030-01-01T11:00:00Z",
            "*/5 * * * *, 2030-01-01T10:05:00Z",
            "0 3 * * 1-5, 2030-01-02T03:00:00Z"})
    void nicknamesAndFiveFieldExpressions(String schedule, String next) {
        assertThat(CronSchedule.parse(schedule, "UTC").next(T)).contains(Instant.parse(next));
    }

    @Test
    void weeklyIsSundayMidnightInTheZone() {
        Instant next = CronSchedule.parse("@weekly", "Europe/Paris").next(T).orElseThrow();
        assertThat(next.atZone(java.time.ZoneId.of("Europe/Paris")).getDayOfWeek()).isEqualTo(DayOfWeek.SUNDAY);
        assertThat(next).isEqualTo(Instant.parse("2030-01-05T23:00:00Z"));
    }

    @Test
    void latestIsAtOrBeforeAndNextStrictlyAfter() {
        CronSchedule s = CronSchedule.parse("*/5 * * * *", null);
        assertThat(s.latest(T)).contains(T);
        assertThat(s.latest(T.minusMillis(1))).contains(T.minus(Duration.ofMinutes(5)));
        assertThat(s.latest(T.plusMillis(999))).contains(T);
        assertThat(s.next(T)).contains(T.plus(Duration.ofMinutes(5)));
        assertThat(s.next(T.minusMillis(1))).contains(T);
    }

    @Test
    void slotWithinTheDeadlineFires() {
        CronSchedule s = CronSchedule.parse("*/5 * * * *", null);
        assertThat(s.due(T.plusSeconds(10), T.minus(Duration.ofMinutes(5)), 300)).isEqualTo(new CronSchedule.Due(T, null, false));
        assertThat(s.due(T.plusSeconds(299), T.minus(Duration.ofMinutes(5)), 300).fire()).isEqualTo(T);
    }

    @Test
    void handledSlotDoesNotFireAgain() {
        CronSchedule s = CronSchedule.parse("*/5 * * * *", null);
        assertThat(s.due(T.plusSeconds(10), T, 300)).isEqualTo(CronSchedule.Due.NOTHING);
        assertThat(s.due(T.plusSeconds(299), T, 300)).isEqualTo(CronSchedule.Due.NOTHING);
    }

    @Test
    void slotBeforeCreationNeverFires() {
        CronSchedule s = CronSchedule.parse("*/5 * * * *", null);
        // Created at 10:02: the 10:00 slot is not this Trigger's, the 10:05 one is.
        assertThat(s.due(T.plusSeconds(120), T.plusSeconds(120), 300)).isEqualTo(CronSchedule.Due.NOTHING);
        assertThat(s.due(T.plusSeconds(300), T.plusSeconds(120), 300).fire()).isEqualTo(T.plusSeconds(300));
    }

    @Test
    void slotOlderThanTheDeadlineIsMissedNotFired() {
        CronSchedule hourly = CronSchedule.parse("0 * * * *", null);
        // Fired 10:00, down until 12:10 with a 300 s deadline: 12:00 is missed (and 11:00 before it).
        CronSchedule.Due due = hourly.due(T.plus(Duration.ofMinutes(130)), T, 300);
        assertThat(due).isEqualTo(new CronSchedule.Due(null, T.plus(Duration.ofHours(2)), true));
    }

    @Test
    void downTwoHoursFiresOnlyTheLatestSlotWhenItIsInTime() {
        CronSchedule s = CronSchedule.parse("*/5 * * * *", null);
        CronSchedule.Due due = s.due(T.plus(Duration.ofMinutes(122)), T, 300);
        assertThat(due.fire()).isEqualTo(T.plus(Duration.ofMinutes(120)));
        assertThat(due.missed()).isEqualTo(T.plus(Duration.ofMinutes(115)));
        assertThat(due.earlierMissed()).isTrue();
    }

    @Test
    void zeroDeadlineFiresOnlyWithinTheSlotSecond() {
        CronSchedule s = CronSchedule.parse("*/5 * * * *", null);
        assertThat(s.due(T.plusMillis(900), T.minusSeconds(300), 0).fire()).isEqualTo(T);
        assertThat(s.due(T.plusSeconds(1), T.minusSeconds(300), 0).missed()).isEqualTo(T);
    }

    /** Europe/Paris, 30 2 * * *: the behaviour the README documents. */
    @Test
    void parisAtHalfPastTwoAcrossBothDstChanges() {
        CronSchedule s = CronSchedule.parse("30 2 * * *", "Europe/Paris");
        // Spring, 2030-03-31: 02:00 CET jumps to 03:00 CEST, 02:30 does not exist: no slot that day.
        assertThat(chain(s, Instant.parse("2030-03-29T12:00:00Z"), 3)).containsExactly(
                Instant.parse("2030-03-30T01:30:00Z"),   // 02:30 CET
                Instant.parse("2030-04-01T00:30:00Z"),   // 02:30 CEST: 03-31 was skipped
                Instant.parse("2030-04-02T00:30:00Z"));
        // Autumn, 2030-10-27: 03:00 CEST goes back to 02:00 CET, 02:30 happens twice: one slot, the first.
        assertThat(chain(s, Instant.parse("2030-10-25T12:00:00Z"), 3)).containsExactly(
                Instant.parse("2030-10-26T00:30:00Z"),   // 02:30 CEST
                Instant.parse("2030-10-27T00:30:00Z"),   // 02:30 CEST, first of the two
                Instant.parse("2030-10-28T01:30:00Z"));  // 02:30 CET
        // During the repeated hour, after the first 02:30 fired: the second 02:30 (01:30Z) is no slot.
        Instant secondHalfPastTwo = Instant.parse("2030-10-27T01:35:00Z");
        assertThat(s.latest(secondHalfPastTwo)).contains(Instant.parse("2030-10-27T00:30:00Z"));
        assertThat(s.due(secondHalfPastTwo, Instant.parse("2030-10-27T00:30:00Z"), 300)).isEqualTo(CronSchedule.Due.NOTHING);
        // A scheduler (re)started inside the repeated hour looks ahead to the next day, not to 01:30Z.
        assertThat(s.next(Instant.parse("2030-10-27T01:29:59Z"))).contains(Instant.parse("2030-10-28T01:30:00Z"));
    }

    @Test
    void hourlyInTheRepeatedHourFiresOncePerWallClockTime() {
        CronSchedule s = CronSchedule.parse("0 * * * *", "Europe/Paris");
        assertThat(chain(s, Instant.parse("2030-10-26T22:30:00Z"), 4)).containsExactly(
                Instant.parse("2030-10-26T23:00:00Z"),   // 01:00 CEST
                Instant.parse("2030-10-27T00:00:00Z"),   // 02:00 CEST
                Instant.parse("2030-10-27T02:00:00Z"),   // 03:00 CET: the second 02:00 (01:00Z) is skipped
                Instant.parse("2030-10-27T03:00:00Z"));
    }

    /** latest() (cron-utils' lastExecution) and next() (nextExecution) must agree on the set of slots, DST included. */
    @ParameterizedTest
    @CsvSource({
            "*/5 * * * *,  Europe/Paris,     2030-03-30T00:00:00Z",
            "*/5 * * * *,  Europe/Paris,     2030-10-26T00:00:00Z",
            "30 2 * * *,   Europe/Paris,     2030-03-25T00:00:00Z",
            "30 2 * * *,   Europe/Paris,     2030-10-22T00:00:00Z",
            "0 * * * *,    America/New_York, 2030-11-02T00:00:00Z",
            "15 1-3 * * 0, America/New_York, 2030-03-01T00:00:00Z",
            "@daily,       Australia/Sydney, 2030-04-01T00:00:00Z"})
    void latestAgreesWithNext(String schedule, String zone, String from) {
        CronSchedule s = CronSchedule.parse(schedule, zone);
        Instant start = Instant.parse(from);
        Instant end = start.plus(Duration.ofDays(3));
        List<Instant> slots = new ArrayList<>();
        for (Instant t = s.next(start).orElseThrow(); t.isBefore(end); t = s.next(t).orElseThrow()) slots.add(t);
        Random random = new Random(42);
        for (int i = 0; i < 300; i++) {
            Instant at = start.plusSeconds(random.nextInt((int) Duration.between(start, end).getSeconds()));
            Instant expected = slots.stream().filter(x -> !x.isAfter(at)).reduce((a, b) -> b).orElse(null);
            if (expected != null) assertThat(s.latest(at)).as("latest at %s", at).contains(expected);
        }
    }

    static List<Instant> chain(CronSchedule s, Instant from, int n) {
        List<Instant> out = new ArrayList<>();
        Instant t = from;
        for (int i = 0; i < n; i++) {
            t = s.next(t).orElseThrow();
            out.add(t);
        }
        return out;
    }

    @Test
    void describesItselfForTheSourceReadyCondition() {
        assertThat(CronSchedule.parse("@daily", null)).hasToString("'@daily' in UTC");
        assertThat(CronSchedule.parse("0 3 * * *", "Europe/Paris")).hasToString("'0 3 * * *' in Europe/Paris");
    }

    @Test
    void slotIdIsRfc3339() {
        assertThat(CronSchedule.slotId(Instant.parse("2030-01-01T03:00:00Z"))).isEqualTo("2030-01-01T03:00:00Z");
    }
}
