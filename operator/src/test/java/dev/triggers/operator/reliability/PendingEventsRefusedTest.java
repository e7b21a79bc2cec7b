package dev.triggers.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The escape found on a real API server, replayed through a running operator: a Trigger in team-a
 * fires, a second event waits in the cooldown, and then the spec changes under it (target moved to
 * team-b, suspended, made invalid, deleted). The waiting event never fires: team-b is untouched, the
 * event is counted as dropped and named in a Warning Event; a fire-request annotation (which stays
 * until handled) fires once the spec is valid again, in team-a.
 */
class PendingEventsRefusedTest {
    static final String A = "team-a";
    static final String B = "team-b";
    static final int COOLDOWN = 5;
    MockCluster cluster;
    TriggerOperator operator;
    ResourceID id;
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespacesEachWithDeployment("web", A, B);
        operator = cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), metrics, List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
        Trigger trigger = Triggers.redeploy(A, "restart-web", "web");
        trigger.getSpec().setCooldownSeconds(COOLDOWN);
        cluster.create(trigger);
        id = new ResourceID("restart-web", A);
        await().until(() -> TriggerStatus.READY.equals(status().getStatus()));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void aQueuedEventDoesNotFollowItsTargetIntoAnotherNamespace() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        patchSpec(Map.of("target", Map.of("namespace", B)));

        FireResult result = queued.join();
        assertThat(result.refused()).isTrue();
        assertThat(result.summary()).contains("no TriggerGrant in '" + B + "'");
        awaitDropped(1);
        assertThat(status().getStatus()).isEqualTo(TriggerStatus.ERROR);
        awaitPastTheCooldown();
        assertThat(templateAnnotations(B)).doesNotContainKey(RedeployAction.EVENT_ID);
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aQueuedEventDoesNotFireWhileSuspended() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        patchSpec(Map.of("suspend", true));

        assertThat(queued.join().summary()).isEqualTo("spec.suspend is true");
        awaitDropped(1);
        await().until(() -> TriggerStatus.SUSPENDED.equals(status().getStatus()));
        awaitPastTheCooldown();
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aQueuedEventDoesNotFireOnceTheSpecIsInvalid() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        patchSpec(Map.of("action", Map.of("type", "Delete")));

        assertThat(queued.join().summary()).contains("spec.action.type 'Delete' is not supported");
        awaitDropped(1);
        awaitPastTheCooldown();
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aQueuedEventDoesNotFireOnceTheTriggerIsDeleted() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        await().until(() -> !metrics.find("trigger_fires_total").tag("trigger", "restart-web").meters().isEmpty());
        cluster.client().resources(Trigger.class).inNamespace(A).withName("restart-web").delete();

        assertThat(queued.join().refused()).isTrue();
        // Its per-Trigger series go with it: a deleted Trigger costs no memory in the registry.
        await().untilAsserted(() -> assertThat(metrics.find("trigger_fires_total").tag("trigger", "restart-web").meters()).isEmpty());
        assertThat(metrics.find("trigger_events_received_total").tag("trigger", "restart-web").meters()).isEmpty();
        awaitPastTheCooldown();
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aFireRequestRefusedWhileTheTargetIsElsewhereFiresOnceBackHome() {
        requestFire("one");
        await().untilAsserted(() -> assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "one"));
        requestFire("two"); // waits for the cooldown
        patchSpec(Map.of("target", Map.of("namespace", B)));
        await().until(() -> TriggerStatus.ERROR.equals(status().getStatus()));
        awaitPastTheCooldown();
        assertThat(templateAnnotations(B)).doesNotContainKey(RedeployAction.EVENT_ID);
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "one");

        // The annotation is still there, unhandled: under the next valid spec it fires, once.
        patchSpec(Map.of("target", Map.of("namespace", A)));
        await().untilAsserted(() -> assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "two"));
        await().untilAsserted(() -> assertThat(status().getLastFireRequest()).isEqualTo("two"));
        assertThat(status().getFireCount()).isEqualTo(2L);
        assertThat(templateAnnotations(B)).doesNotContainKey(RedeployAction.EVENT_ID);
    }

    /** Fires "first" through the running operator, then queues "second" inside the cooldown. */
    private CompletableFuture<FireResult> fireThenQueue() {
        assertThat(operator.executor().submit(id, event("first")).join().succeeded()).isTrue();
        CompletableFuture<FireResult> queued = operator.executor().submit(id, event("second"));
        assertThat(queued).isNotDone();
        return queued;
    }

    private void awaitDropped(long count) {
        await().untilAsserted(() -> assertThat(status().getDroppedCount()).isEqualTo(count));
        await().untilAsserted(() -> assertThat(events(FireRecorder.REASON_EVENTS_DROPPED)).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).contains("1 events not fired").contains("1 dropped");
        }));
    }

    /** Until the queued event's cooldown would have ended, with a margin: a late fire would show by then. */
    private void awaitPastTheCooldown() {
        Instant past = Instant.now().plusSeconds(COOLDOWN + 1);
        await().until(() -> Instant.now().isAfter(past));
    }

    private void patchSpec(Map<String, Object> spec) {
        cluster.client().resources(Trigger.class).inNamespace(A).withName("restart-web")
                .patch(PatchContext.of(PatchType.JSON_MERGE), cluster.client().getKubernetesSerialization().asJson(Map.of("spec", spec)));
    }

    private void requestFire(String value) {
        cluster.client().resources(Trigger.class).inNamespace(A).withName("restart-web").edit(t -> {
            t.getMetadata().getAnnotations().put(Trigger.ANNOTATION_FIRE_REQUEST, value);
            return t;
        });
    }

    private static TriggerEvent event(String eventId) {
        return new TriggerEvent(TriggerEvent.WEBHOOK, eventId, Instant.now(), "127.0.0.1");
    }

    private TriggerStatus status() {
        Trigger t = cluster.trigger(A, "restart-web");
        return t == null || t.getStatus() == null ? new TriggerStatus() : t.getStatus();
    }

    private List<Event> events(String reason) {
        return cluster.client().v1().events().inNamespace(A).list().getItems().stream().filter(e -> reason.equals(e.getReason())).toList();
    }

    private Map<String, String> templateAnnotations(String ns) {
        Map<String, String> a = cluster.getDeployment(ns, "web").getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }
}
