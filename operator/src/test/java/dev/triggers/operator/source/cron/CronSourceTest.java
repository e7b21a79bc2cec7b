package dev.triggers.operator.source.cron;

import dev.triggers.operator.schedule.CronSchedule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.action.ScaleUpAction;
import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Given cron Triggers on the CRUD mock API and a clock the test moves, when slots come, then each slot
 * has exactly one effect on the target, across operator restarts; missed slots are reported, bad
 * schedules are errors. No waiting for real minutes: the test moves the clock and wakes the scheduler.
 */
class CronSourceTest {
    static final String NS = "demo";
    static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    MockCluster cluster;
    MutableClock clock;

    record Running(TriggerOperator operator, CronSourceFactory cron) {}

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    Running startOperator() {
        CronSourceFactory cron = new CronSourceFactory(clock);
        TriggerOperator operator = cluster.startOperator(MockCluster.testConfig(), clock, List.of(cron));
        return new Running(operator, cron);
    }

    /** The clock reaches the instant; the scheduler is woken as a wall clock would wake it. */
    void tick(Running running, Instant at) {
        clock.set(at);
        running.cron().scheduler().wakeUp();
    }

    @Test
    void threeSlotsFireThreeTimesWithNextFireAtEachTime() {
        cluster.deployment(NS, "web");
        Instant base = anchor(cluster.create(CronFixtures.redeploy(NS, "every-five", "web", "*/5 * * * *", null)), "*/5 * * * *");
        Running op = startOperator();
        awaitStatus("every-five", TriggerStatus.READY);
        await().untilAsserted(() -> assertThat(status("every-five").getNextFireAt()).isEqualTo(id(base)));

        for (int i = 0; i < 3; i++) {
            Instant slot = base.plus(FIVE_MINUTES.multipliedBy(i));
            long expected = i + 1;
            tick(op, slot);
            await().untilAsserted(() -> {
                TriggerStatus s = status("every-five");
                assertThat(s.getLastScheduleTime()).isEqualTo(id(slot));
                assertThat(s.getFireCount()).isEqualTo(expected);
                assertThat(s.getNextFireAt()).isEqualTo(id(slot.plus(FIVE_MINUTES)));
            });
            assertThat(template("web"))
                    .containsEntry(RedeployAction.EVENT_SOURCE, "cron")
                    .containsEntry(RedeployAction.EVENT_ID, id(slot))
                    .containsEntry(RedeployAction.RESTARTED_AT, id(slot));
        }
        // Three fires within ten minutes: one Fired Event, counted three times (as the Kubernetes event recorder does).
        await().untilAsserted(() -> assertThat(events("every-five", FireRecorder.REASON_FIRED)).singleElement()
                .satisfies(e -> assertThat(e.getCount()).isEqualTo(3)));
    }

    @ParameterizedTest
    @ValueSource(strings = {ActionSpec.REDEPLOY, ActionSpec.SCALE_UP})
    void restartRightAfterTheStatusWasWrittenDoesNotRepeatTheSlot(String action) {
        Instant base = anchor(createTarget(action), "*/5 * * * *");
        Running first = startOperator();
        awaitStatus("nightly", TriggerStatus.READY);
        tick(first, base);
        await().untilAsserted(() -> assertThat(status("nightly").getLastScheduleTime()).isEqualTo(id(base)));
        Deployment afterFirst = cluster.getDeployment(NS, "worker");

        // A new operator on the same API, 30 s after the slot (well inside the 300 s deadline).
        first.operator().close();
        clock.set(base.plusSeconds(30));
        Running second = startOperator();
        await().untilAsserted(() -> assertThat(second.cron().scheduler().size()).isEqualTo(1));
        second.cron().scheduler().runDue();
        assertThat(cluster.getDeployment(NS, "worker").getMetadata().getResourceVersion())
                .isEqualTo(afterFirst.getMetadata().getResourceVersion());

        // The next slot fires once more, and only it: one more effect in total.
        Instant next = base.plus(FIVE_MINUTES);
        tick(second, next);
        await().untilAsserted(() -> assertThat(status("nightly").getLastScheduleTime()).isEqualTo(id(next)));
        assertThat(status("nightly").getFireCount()).isEqualTo(2L);
        await().untilAsserted(() -> assertThat(events("nightly", FireRecorder.REASON_FIRED)).hasSize(2));
        assertEffects(action, 2, next);
    }

    /**
     * The crash window: the first operator patched the workload but its status write (lastScheduleTime)
     * never landed. Simulated honestly as that end state: the first operator fires the slot for real, is
     * stopped, and the test then removes the fire record from the status, as if the write had been lost.
     * The second operator sees an unfired slot inside the deadline and fires it again through the real
     * executor path: the workload must not change.
     */
    @ParameterizedTest
    @ValueSource(strings = {ActionSpec.REDEPLOY, ActionSpec.SCALE_UP})
    void restartAfterThePatchButBeforeTheStatusRepeatsTheSlotWithoutASecondEffect(String action) {
        Instant base = anchor(createTarget(action), "*/5 * * * *");
        Running first = startOperator();
        awaitStatus("nightly", TriggerStatus.READY);
        tick(first, base);
        await().untilAsserted(() -> assertThat(status("nightly").getLastScheduleTime()).isEqualTo(id(base)));
        first.operator().close();
        Deployment patched = cluster.getDeployment(NS, "worker");
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("nightly").subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"lastScheduleTime\":null,\"lastEvent\":null,"
                        + "\"lastFiredAt\":null,\"fireCount\":0,\"lastFireResult\":null}}");
        assertThat(status("nightly").getLastScheduleTime()).isNull();

        clock.set(base.plusSeconds(30));
        Running second = startOperator();
        await().untilAsserted(() -> {
            TriggerStatus s = status("nightly");
            assertThat(s.getLastScheduleTime()).isEqualTo(id(base));
            assertThat(s.getLastFireResult()).contains("already").contains(id(base));
        });
        Deployment after = cluster.getDeployment(NS, "worker");
        assertThat(after.getMetadata().getResourceVersion()).isEqualTo(patched.getMetadata().getResourceVersion());
        assertEffects(action, 1, base);

        Instant next = base.plus(FIVE_MINUTES);
        tick(second, next);
        await().untilAsserted(() -> assertThat(status("nightly").getLastScheduleTime()).isEqualTo(id(next)));
        assertEffects(action, 2, next);
    }

    @Test
    void operatorDownTwoHoursSkipsOldSlotsReportsTheMissAndFiresTheNextSlot() {
        cluster.deployment(NS, "web");
        // Default deadline: 300 s.
        Instant base = anchor(cluster.create(CronFixtures.redeploy(NS, "hourly", "web", "0 * * * *", null)), "0 * * * *");
        Running first = startOperator();
        awaitStatus("hourly", TriggerStatus.READY);
        tick(first, base);
        await().untilAsserted(() -> assertThat(status("hourly").getLastScheduleTime()).isEqualTo(id(base)));
        first.operator().close();

        Instant missed = base.plus(Duration.ofHours(2));
        clock.set(missed.plus(Duration.ofMinutes(10)));
        Running second = startOperator();
        await().untilAsserted(() -> assertThat(status("hourly").getLastMissedSchedule())
                .isEqualTo(id(missed) + ": not fired, the operator was not running (the slot was 600s old, "
                        + "startingDeadlineSeconds is 300); earlier slots after " + id(base) + " were skipped too"));
        await().untilAsserted(() -> assertThat(events("hourly", CronTriggerSource.REASON_MISSED))
                .singleElement().satisfies(e -> {
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getMessage()).contains(id(missed)).contains("the operator was not running");
                }));
        // The miss moved the next slot on without a fire: the recorder writes it (the fire record's one writer).
        await().untilAsserted(() -> assertThat(status("hourly").getNextFireAt()).isEqualTo(id(base.plus(Duration.ofHours(3)))));
        TriggerStatus afterStart = status("hourly");
        assertThat(afterStart.getFireCount()).isEqualTo(1L);
        assertThat(afterStart.getLastScheduleTime()).isEqualTo(id(base));
        assertThat(template("web")).containsEntry(RedeployAction.EVENT_ID, id(base));

        Instant next = base.plus(Duration.ofHours(3));
        tick(second, next);
        await().untilAsserted(() -> {
            TriggerStatus s = status("hourly");
            assertThat(s.getLastScheduleTime()).isEqualTo(id(next));
            assertThat(s.getFireCount()).isEqualTo(2L);
            assertThat(s.getNextFireAt()).isEqualTo(id(next.plus(Duration.ofHours(1))));
        });
        assertThat(template("web")).containsEntry(RedeployAction.EVENT_ID, id(next));
        assertThat(events("hourly", CronTriggerSource.REASON_MISSED)).hasSize(1);
    }

    @Test
    void badScheduleOrTimeZoneIsAnErrorWithTheMessageAndFixingItRecovers() {
        clock = new MutableClock(Instant.now());
        cluster.deployment(NS, "web");
        cluster.create(CronFixtures.redeploy(NS, "typo", "web", "61 * * * *", "Europe/Paris"));
        Running op = startOperator();
        awaitStatus("typo", TriggerStatus.ERROR);
        assertThat(status("typo").getErrorMessage()).isEqualTo("cron schedule '61 * * * *': Value 61 not in range [0, 59]");
        assertThat(op.cron().scheduler().size()).isZero();

        editCron("typo", "{\"schedule\":\"*/5 * * * *\"}");
        awaitStatus("typo", TriggerStatus.READY);
        assertThat(status("typo").getErrorMessage()).isEmpty();
        Instant utcSlot = CronSchedule.parse("*/5 * * * *", null).next(clock.instant()).orElseThrow();
        await().untilAsserted(() -> assertThat(status("typo").getNextFireAt()).isEqualTo(id(utcSlot)));
        assertThat(op.cron().scheduler().size()).isEqualTo(1);

        editCron("typo", "{\"timeZone\":\"Mars/Olympus\"}");
        awaitStatus("typo", TriggerStatus.ERROR);
        assertThat(status("typo").getErrorMessage()).startsWith("unknown time zone 'Mars/Olympus'");
        assertThat(op.cron().scheduler().size()).isZero();
        await().untilAsserted(() -> assertThat(status("typo").getNextFireAt()).as("nothing will fire").isNull());

        editCron("typo", "{\"schedule\":\"0 3 * * *\",\"timeZone\":\"Europe/Paris\"}");
        awaitStatus("typo", TriggerStatus.READY);
        assertThat(op.cron().scheduler().size()).isEqualTo(1);
        Instant parisSlot = CronSchedule.parse("0 3 * * *", "Europe/Paris").next(clock.instant()).orElseThrow();
        await().untilAsserted(() -> assertThat(status("typo").getNextFireAt()).isEqualTo(id(parisSlot)));
    }

    Trigger createTarget(String action) {
        cluster.deployment(NS, "worker", 1, Map.of());
        return cluster.create(ActionSpec.SCALE_UP.equals(action)
                ? CronFixtures.scaleUp(NS, "nightly", "worker", "*/5 * * * *", 1, 10)
                : CronFixtures.redeploy(NS, "nightly", "worker", "*/5 * * * *", null));
    }

    /** Starts the test clock at the Trigger's creation; returns the first slot after it. */
    Instant anchor(Trigger created, String schedule) {
        Instant at = CronFixtures.created(created);
        clock = new MutableClock(at);
        return CronSchedule.parse(schedule, null).next(at).orElseThrow();
    }

    /** The workload shows {@code slots} effects in all, the last one from {@code lastSlot}. */
    void assertEffects(String action, int slots, Instant lastSlot) {
        Deployment d = cluster.getDeployment(NS, "worker");
        if (ActionSpec.SCALE_UP.equals(action)) {
            assertThat(d.getSpec().getReplicas()).isEqualTo(1 + slots);
            assertThat(d.getMetadata().getAnnotations()).containsEntry(ScaleUpAction.SCALED_BY_EVENT, id(lastSlot));
        } else {
            assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, id(lastSlot));
            assertThat(events("nightly", FireRecorder.REASON_FIRED).stream().filter(e -> e.getMessage().contains("restarted Deployment")))
                    .hasSize(slots);
        }
    }

    void editCron(String name, String cronJson) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"source\":{\"cron\":" + cronJson + "}}}");
    }

    void awaitStatus(String name, String state) {
        cluster.awaitStatus(NS, name, state);
    }

    TriggerStatus status(String name) {
        return cluster.trigger(NS, name).getStatus();
    }

    Map<String, String> template(String deployment) {
        return cluster.getDeployment(NS, deployment).getSpec().getTemplate().getMetadata().getAnnotations();
    }

    List<Event> events(String trigger, String reason) {
        return cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> trigger.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    static String id(Instant slot) {
        return CronSchedule.slotId(slot);
    }
}
