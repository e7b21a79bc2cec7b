package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.MaintenanceWindow;
import dev.triggers.operator.schedule.MaintenanceWindows;
import dev.triggers.operator.testing.VirtualTime;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The scheduler with maintenance windows, in virtual time on the test's thread: events outside every window are
 * held and fold into one fire at the next window start; the fire-now override fires at once; a refusal (suspend,
 * delete) clears what is held; a spec change holds again against the newest windows.
 */
class FireSchedulerWindowsTest {
    static final ResourceID WEB = new ResourceID("restart-web", "shop");
    /** 2026-11-29 is a Sunday; the window opens every day at 02:00 UTC for one hour. */
    final VirtualTime time = new VirtualTime(Instant.parse("2026-11-29T08:00:00Z"));
    final List<String> fires = new ArrayList<>();
    final List<Instant> held = new ArrayList<>();
    MaintenanceWindows windows = MaintenanceWindows.of(List.of(new MaintenanceWindow("0 2 * * *", "1h", null)));

    final FireScheduler scheduler = new FireScheduler(time, time, Runnable::run, id -> 0, RetryPolicy.DEFAULT,
            (id, batch) -> {
                fires.add(batch.carried().id() + "×" + batch.size() + "@" + time.instant());
                return FireResult.of(List.of());
            },
            (id, batch, result) -> { },
            (id, at) -> windows.opensAt(at),
            (id, until) -> held.add(until));

    CompletableFuture<FireResult> submit(String id) {
        return scheduler.submit(WEB, List.of(new TriggerEvent(TriggerEvent.WEBHOOK, id, time.instant()))).get(0);
    }

    @Test
    void eventsOutsideEveryWindowAreHeldAndFoldIntoOneFireWhenTheNextWindowOpens() {
        CompletableFuture<FireResult> first = submit("e1");
        time.advance(Duration.ofHours(1));
        CompletableFuture<FireResult> second = submit("e2");
        assertThat(fires).isEmpty();
        assertThat(first).isNotDone();
        assertThat(held).as("said once, with the window start").containsExactly(Instant.parse("2026-11-30T02:00:00Z"));

        time.advance(Duration.between(time.instant(), Instant.parse("2026-11-30T01:59:59Z")));
        assertThat(fires).isEmpty();
        time.advance(Duration.ofSeconds(1));
        assertThat(fires).containsExactly("e2×2@2026-11-30T02:00:00Z");
        assertThat(first.join()).isSameAs(second.join());

        // Inside the window, an event fires at once.
        time.advance(Duration.ofMinutes(30));
        submit("e3");
        assertThat(fires).last().isEqualTo("e3×1@2026-11-30T02:30:00Z");
    }

    @Test
    void fireNowFiresAtOnceWithWhatIsHeld() {
        submit("e1");
        CompletableFuture<FireResult> now = scheduler.submitNow(WEB, new TriggerEvent(TriggerEvent.MANUAL, "override", time.instant()));
        assertThat(fires).containsExactly("override×2@2026-11-29T08:00:00Z");
        assertThat(now).isCompleted();
        assertThat(time.scheduled()).as("no timer left for the window").isZero();

        // The override was for one fire: the next event outside the windows is held again.
        submit("e2");
        assertThat(fires).hasSize(1);
        assertThat(held).hasSize(2);
    }

    @Test
    void aRefusalClearsWhatIsHeldAndASpecChangeHoldsAgainstTheNewestWindows() {
        CompletableFuture<FireResult> waiting = submit("e1");
        scheduler.refuse(WEB, "spec.suspend is true");
        assertThat(waiting.join().refused()).isTrue();
        assertThat(time.scheduled()).isZero();
        time.advance(Duration.ofDays(1));
        assertThat(fires).isEmpty();

        submit("e2");
        windows = MaintenanceWindows.ALWAYS; // spec.windows removed
        scheduler.reschedule(WEB);
        assertThat(fires).containsExactly("e2×1@2026-11-30T08:00:00Z");
    }

    @Test
    void withNoWindowLeftToOpenEventsWaitAndAreRecheckedHourly() {
        windows = MaintenanceWindows.of(List.of(new MaintenanceWindow("0 0 31 2 *", "1h", null)));
        submit("e1");
        assertThat(held).containsExactly((Instant) null);
        time.advance(Duration.ofHours(3));
        assertThat(fires).isEmpty();
        assertThat(held).as("said once").hasSize(1);
    }
}
