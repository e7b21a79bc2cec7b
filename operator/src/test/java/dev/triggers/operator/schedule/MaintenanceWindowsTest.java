package dev.triggers.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggers.operator.api.v1alpha1.MaintenanceWindow;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When a Trigger with spec.windows may fire: inside a window at once, outside at the next start; DST as README says. */
class MaintenanceWindowsTest {
    static MaintenanceWindows windows(MaintenanceWindow... spec) {
        return MaintenanceWindows.of(List.of(spec));
    }

    static Optional<Instant> opensAt(MaintenanceWindows w, String at) {
        return w.opensAt(Instant.parse(at));
    }

    @Test
    void insideAWindowIsNowOutsideItIsTheNextStartAndTheEndIsExclusive() {
        MaintenanceWindows nightly = windows(new MaintenanceWindow("0 2 * * *", "2h", null));
        assertThat(opensAt(nightly, "2030-01-01T02:00:00Z")).contains(Instant.parse("2030-01-01T02:00:00Z"));
        assertThat(opensAt(nightly, "2030-01-01T03:59:59Z")).contains(Instant.parse("2030-01-01T03:59:59Z"));
        assertThat(opensAt(nightly, "2030-01-01T04:00:00Z")).contains(Instant.parse("2030-01-02T02:00:00Z"));
        assertThat(opensAt(nightly, "2030-01-01T01:59:00Z")).contains(Instant.parse("2030-01-01T02:00:00Z"));
    }

    @Test
    void severalWindowsOpenAtTheEarliestStartAndAWindowLongerThanItsPeriodIsAlwaysOpen() {
        MaintenanceWindows two = windows(new MaintenanceWindow("0 22 * * 1-5", "1h", null), new MaintenanceWindow("0 10 * * 6,0", "4h", null));
        // Friday 2030-01-04 23:30: the weekday window is over, Saturday's opens at 10:00.
        assertThat(opensAt(two, "2030-01-04T23:30:00Z")).contains(Instant.parse("2030-01-05T10:00:00Z"));
        assertThat(opensAt(two, "2030-01-05T13:00:00Z")).contains(Instant.parse("2030-01-05T13:00:00Z"));
        MaintenanceWindows overlapping = windows(new MaintenanceWindow("0 * * * *", "90m", null));
        assertThat(opensAt(overlapping, "2030-01-01T10:59:00Z")).contains(Instant.parse("2030-01-01T10:59:00Z"));
        assertThat(MaintenanceWindows.of(null).always()).isTrue();
        assertThat(MaintenanceWindows.ALWAYS.opensAt(Instant.parse("2030-01-01T10:59:00Z"))).contains(Instant.parse("2030-01-01T10:59:00Z"));
    }

    /**
     * Europe/Paris, window "30 2 * * *" for 1h. Spring forward (2030-03-31): there is no 02:30, so no window that day;
     * the next opens 02:30 the day after. Fall back (2030-10-27): it opens at the first 02:30 (CEST, 00:30Z) and lasts one
     * elapsed hour, to 01:30Z (the second 02:30, CET).
     */
    @Test
    void aDstDayOpensOrSkipsTheWindowAsTheCronSourceFiresItsSlots() {
        MaintenanceWindows paris = windows(new MaintenanceWindow("30 2 * * *", "1h", "Europe/Paris"));
        assertThat(opensAt(paris, "2030-03-31T00:00:00Z")).as("01:00 CET, before the gap").contains(Instant.parse("2030-04-01T00:30:00Z"));
        assertThat(opensAt(paris, "2030-03-30T01:45:00Z")).as("the day before, 02:45 CET: open").contains(Instant.parse("2030-03-30T01:45:00Z"));
        assertThat(opensAt(paris, "2030-10-27T00:30:00Z")).as("first 02:30").contains(Instant.parse("2030-10-27T00:30:00Z"));
        assertThat(opensAt(paris, "2030-10-27T01:15:00Z")).as("02:15 CET, second pass").contains(Instant.parse("2030-10-27T01:15:00Z"));
        assertThat(opensAt(paris, "2030-10-27T01:30:00Z")).as("one elapsed hour later: closed")
                .contains(Instant.parse("2030-10-28T01:30:00Z"));
    }

    @Test
    void badWindowsAreNamedWithTheFieldAndHowToFixThem() {
        assertThat(MaintenanceWindows.problems(List.of(new MaintenanceWindow("0 2 * * *", "2h", null),
                new MaintenanceWindow("61 2 * * *", "0m", "Mars/Olympus"), new MaintenanceWindow("@daily", "two hours", null)))).containsExactly(
                "spec.windows[1]: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Paris, America/New_York or UTC",
                "spec.windows[1].duration: '0m' must be longer than 0s",
                "spec.windows[2].duration: 'two hours' is not a duration: use hours, minutes and seconds such as 2h, 90m or 1h30m");
        assertThat(MaintenanceWindows.problems(List.of(new MaintenanceWindow("0 0 31 2 *", "1h", null)))).containsExactly(
                "spec.windows[0]: cron schedule '0 0 31 2 *' never opens (no such date): fix the day of month or month");
        assertThat(MaintenanceWindows.duration("1h30m").toMinutes()).isEqualTo(90);
        assertThatThrownBy(() -> windows(new MaintenanceWindow("0 2 * * *", "", null))).hasMessageContaining("is not a duration");
        assertThat(windows(new MaintenanceWindow("0 2 * * *", "2h", "Europe/Paris")))
                .hasToString("'0 2 * * *' Europe/Paris for 2h");
    }
}
