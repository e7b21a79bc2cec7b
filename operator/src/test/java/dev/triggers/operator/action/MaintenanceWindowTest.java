package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.MaintenanceWindow;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.schedule.MaintenanceWindows;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Given a Trigger whose only maintenance window is hours away (the operator on the mock API, wall clock), when it is
 * asked to fire, then the event is held (status.heldUntil, a Held Event, the Deployment untouched); fire-now fires at
 * once with what is held and says it was an override; suspend clears what is held. The wait for the window itself is
 * FireSchedulerWindowsTest's, in virtual time.
 */
class MaintenanceWindowTest {
    static final String NS = "shop";
    MockCluster cluster;
    /** A window of one hour, opening twelve hours from now: closed for the whole test. */
    final int hour = (Instant.now().atZone(ZoneOffset.UTC).getHour() + 12) % 24;
    final MaintenanceWindow window = new MaintenanceWindow("0 " + hour + " * * *", "1h", null);

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void anEventOutsideTheWindowIsHeldUntilItsStartAndFireNowOverridesIt() {
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setWindows(List.of(window));
        cluster.create(trigger);
        awaitStatus(TriggerStatus.READY);

        annotate(Trigger.ANNOTATION_FIRE_REQUEST, "held-1");
        Instant opens = MaintenanceWindows.of(List.of(window)).opensAt(Instant.now()).orElseThrow();
        await().untilAsserted(() -> assertThat(status().getHeldUntil()).isEqualTo(opens.toString()));
        await().untilAsserted(() -> assertThat(events(FireRecorder.REASON_HELD)).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).endsWith("they fold into one fire when the next window opens, at " + opens)));
        assertThat(status().getFireCount()).isNull();
        assertThat(templateAnnotations()).doesNotContainKey(RedeployAction.EVENT_ID);

        annotate(Trigger.ANNOTATION_FIRE_NOW, "now-1");
        await().untilAsserted(() -> assertThat(status().getFireCount()).isEqualTo(1L));
        assertThat(templateAnnotations()).containsEntry(RedeployAction.EVENT_ID, "now-1");
        await().untilAsserted(() -> assertThat(status().getHeldUntil()).as("the hold ended with the fire").isNull());
        assertThat(status().getCoalescedCount()).as("the held request rode on the override's fire").isEqualTo(1L);
        assertThat(status().getLastFireRequest()).isEqualTo("now-1");
        assertThat(events(FireRecorder.REASON_FIRE_NOW)).singleElement().satisfies(e -> assertThat(e.getMessage())
                .isEqualTo("fire-now override (triggers.dev/fire-now: now-1): fired at once, whatever the maintenance windows and the cooldown say"));

        // Nothing fires again for either value: the held request was carried by the override's fire.
        annotate("touched", "yes");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(status().getHeldUntil()).isNull());
        assertThat(status().getFireCount()).isEqualTo(1L);
    }

    @Test
    void suspendClearsWhatIsHeld() {
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setWindows(List.of(window));
        cluster.create(trigger);
        awaitStatus(TriggerStatus.READY);
        annotate(Trigger.ANNOTATION_FIRE_REQUEST, "held-1");
        await().untilAsserted(() -> assertThat(status().getHeldUntil()).isNotNull());

        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":true}}");
        awaitStatus(TriggerStatus.SUSPENDED);
        await().untilAsserted(() -> assertThat(status().getHeldUntil()).isNull());
        assertThat(status().getFireCount()).as("the refusal is recorded, nothing fired").isZero();
        assertThat(templateAnnotations()).doesNotContainKey(RedeployAction.EVENT_ID);
    }

    @Test
    void badWindowsAreAnErrorNamingTheField() {
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setWindows(List.of(new MaintenanceWindow("0 2 * * *", "forever", "Europe/Paris")));
        cluster.create(trigger);
        awaitStatus(TriggerStatus.ERROR);
        assertThat(status().getErrorMessage())
                .isEqualTo("spec.windows[0].duration: 'forever' is not a duration: use hours, minutes and seconds such as 2h, 90m or 1h30m");
    }

    void annotate(String key, String value) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + key + "\":\"" + value + "\"}}}");
    }

    TriggerStatus status() {
        return cluster.trigger(NS, "restart-web").getStatus();
    }

    Map<String, String> templateAnnotations() {
        Map<String, String> a = cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    List<Event> events(String reason) {
        return cluster.client().v1().events().inNamespace(NS).list().getItems().stream().filter(e -> reason.equals(e.getReason())).toList();
    }

    void awaitStatus(String state) {
        cluster.awaitStatus(NS, "restart-web", state);
    }
}
