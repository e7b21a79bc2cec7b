package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.ScaleRevert;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import dev.triggers.operator.testing.VirtualTime;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Temporary scale-up (revertAfterSeconds): the real ScaleUpAction and ScaleReverts against the API (mock server in
 * CRUD mode), in virtual time. The status is read back from the API: it is what a new leader would start from.
 */
class ScaleRevertTest {
    static final String NS = "shop";
    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    MockCluster cluster;
    VirtualTime time;
    ScaleReverts reverts;
    ScaleUpAction action;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.namespace("other");
        time = new VirtualTime(T0);
        reverts = reverts(time);
        action = new ScaleUpAction(cluster.client(), reverts);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    ScaleReverts reverts(VirtualTime clock) {
        return new ScaleReverts(cluster.client(), clock, clock, Runnable::run, FireGuard.ALLOW_ALL,
                id -> Optional.ofNullable(cluster.trigger(NS, id.getName())), new FireRecorder(cluster.client(), clock));
    }

    @Test
    void aScaleUpFrom2To4IsRevertedTo2AfterTheDelay() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(2, 10, 600);

        WorkloadResult result = fire(trigger, "ev-1");
        assertThat(result.outcome()).isEqualTo(WorkloadResult.Outcome.PATCHED);
        assertThat(result.message()).contains("scaled Deployment shop/worker from 2 to 4 replicas").contains("back to 2 at 2026-12-01T10:10:00Z");
        assertThat(replicas("worker")).isEqualTo(4);
        assertThat(held()).containsOnlyKeys("Deployment/worker");
        assertThat(held().get("Deployment/worker")).satisfies(r -> {
            assertThat(r.getFrom()).isEqualTo(2);
            assertThat(r.getTo()).isEqualTo(4);
            assertThat(r.getRevertAt()).isEqualTo("2026-12-01T10:10:00Z");
            assertThat(r.getHorizontalPodAutoscaler()).isNull();
        });

        time.advance(Duration.ofSeconds(599));
        assertThat(replicas("worker")).as("not before its time").isEqualTo(4);
        time.advance(Duration.ofSeconds(1));
        assertThat(replicas("worker")).isEqualTo(2);
        assertThat(held()).as("cleared from the status").isNullOrEmpty();
        assertThat(status().getLastRevert()).isEqualTo("2026-12-01T10:10:00Z: reverted Deployment shop/worker spec.replicas from 4 to 2"
                + " (the temporary scale-up ended)");
        assertThat(events()).extracting(Event::getReason, Event::getType).contains(org.assertj.core.groups.Tuple.tuple(ScaleReverts.REASON_REVERTED, "Normal"));
    }

    @Test
    void aFireWithinTheWindowExtendsItAndTheRevertRemovesEveryReplicaAdded() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(1, 10, 600);
        fire(trigger, "ev-1");
        time.advance(Duration.ofSeconds(300));
        WorkloadResult second = fire(trigger, "ev-2");
        assertThat(second.message()).contains("from 3 to 4").contains("back to 2 at 2026-12-01T10:15:00Z");
        assertThat(held().get("Deployment/worker").getFrom()).as("what it had before this Trigger raised it").isEqualTo(2);

        time.advance(Duration.ofSeconds(300)); // the first fire's time: nothing, the window moved
        assertThat(replicas("worker")).isEqualTo(4);
        time.advance(Duration.ofSeconds(300));
        assertThat(replicas("worker")).as("one revert, not one per fire").isEqualTo(2);
        time.advance(Duration.ofHours(1));
        assertThat(replicas("worker")).isEqualTo(2);
    }

    @Test
    void aFireAtTheCeilingExtendsTheWindowToo() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(2, 4, 600);
        fire(trigger, "ev-1");
        time.advance(Duration.ofSeconds(500));
        WorkloadResult atCeiling = fire(trigger, "ev-2");
        assertThat(atCeiling.outcome()).isEqualTo(WorkloadResult.Outcome.AT_CEILING);
        assertThat(atCeiling.message()).isEqualTo("Deployment shop/worker is at maxReplicas 4 (4 replicas): not scaled further;"
                + " back to 2 at 2026-12-01T10:18:20Z");
        time.advance(Duration.ofSeconds(200));
        assertThat(replicas("worker")).isEqualTo(4);
        time.advance(Duration.ofSeconds(400));
        assertThat(replicas("worker")).isEqualTo(2);
    }

    @Test
    void aCountAnotherWriterChangedMeanwhileIsLeftAloneAndReported() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(2, 10, 600);
        fire(trigger, "ev-1");
        cluster.client().apps().deployments().inNamespace(NS).withName("worker").edit(d -> {
            d.getSpec().setReplicas(7);
            return d;
        });

        time.advance(Duration.ofSeconds(600));
        assertThat(replicas("worker")).isEqualTo(7);
        assertThat(held()).isNullOrEmpty();
        assertThat(status().getLastRevert()).contains("left Deployment shop/worker spec.replicas at 7: changed by another writer since this Trigger set it to 4"
                + " (not lowered to 2)");
        assertThat(events()).extracting(Event::getReason, Event::getType)
                .contains(org.assertj.core.groups.Tuple.tuple(ScaleReverts.REASON_LEFT_ALONE, "Warning"));
    }

    @Test
    void aFireAfterAnotherWriterChangedTheCountRevertsToThatWritersCount() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(1, 10, 600);
        fire(trigger, "ev-1");
        scaleTo("worker", 6);
        WorkloadResult second = fire(trigger, "ev-2");
        assertThat(second.message()).contains("the earlier revert is dropped: Deployment shop/worker spec.replicas was changed by another writer")
                .contains("back to 6");
        time.advance(Duration.ofSeconds(600));
        assertThat(replicas("worker")).isEqualTo(6);
    }

    /** A new leader starts with nothing in memory: what the status holds is reverted on time, through observe(). */
    @Test
    void aRestartInTheMiddleStillRevertsOnTime() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(2, 10, 600);
        fire(trigger, "ev-1");
        // The first process dies here: its timers never run (its virtual time is never advanced again).
        VirtualTime later = new VirtualTime(T0.plusSeconds(200));
        ScaleReverts next = reverts(later);
        next.observe(cluster.trigger(NS, "scale-worker"));
        next.observe(cluster.trigger(NS, "scale-worker")); // reconciled again: still one revert
        later.advance(Duration.ofSeconds(399));
        assertThat(replicas("worker")).isEqualTo(4);
        later.advance(Duration.ofSeconds(1));
        assertThat(replicas("worker")).isEqualTo(2);
        assertThat(later.scheduled()).isZero();
        assertThat(held()).isNullOrEmpty();
    }

    @Test
    void aRestartAfterTheTimeRevertsAtOnce() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(2, 10, 600);
        fire(trigger, "ev-1");
        VirtualTime later = new VirtualTime(T0.plusSeconds(3600));
        ScaleReverts next = reverts(later);
        next.observe(cluster.trigger(NS, "scale-worker"));
        later.advance(Duration.ZERO);
        assertThat(replicas("worker")).isEqualTo(2);
    }

    @Test
    void aRevertDoneButNotYetClearedFromTheStatusIsNotMadeAgain() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(2, 10, 600);
        fire(trigger, "ev-1");
        Trigger stale = cluster.trigger(NS, "scale-worker"); // read before the revert: still holds it
        time.advance(Duration.ofSeconds(600));
        scaleTo("worker", 4); // someone scales to 4 again afterwards
        reverts.observe(stale);
        time.advance(Duration.ofSeconds(1));
        assertThat(replicas("worker")).as("the stale entry is not acted on").isEqualTo(4);
        assertThat(status().getLastRevert()).contains("reverted");
    }

    /** status.scaleReverts may be written by whoever may write the status: it cannot make the operator act elsewhere. */
    @Test
    void aRevertRecordForAnotherNamespaceOrAnUpwardChangeIsRefused() {
        cluster.deployment(NS, "worker", 2, Map.of());
        cluster.deployment("other", "worker", 5, Map.of());
        cluster.deployment(NS, "api", 1, Map.of());
        create(2, 10, 600);
        patchStatus(Map.of("scaleReverts", Map.of(
                "Deployment/worker", new ScaleRevert("Deployment", "other", "worker", null, 0, 5, "2026-12-01T10:00:00Z"))));
        reverts.observe(cluster.trigger(NS, "scale-worker"));
        time.advance(Duration.ZERO);
        assertThat(cluster.getDeployment("other", "worker").getSpec().getReplicas()).isEqualTo(5);
        assertThat(status().getLastRevert()).contains("not reverted: namespace other is not the Trigger's target namespace shop");

        patchStatus(Map.of("scaleReverts", Map.of(
                "Deployment/api", new ScaleRevert("Deployment", NS, "api", null, 50, 1, "2026-12-01T10:00:00Z"))));
        reverts.observe(cluster.trigger(NS, "scale-worker"));
        time.advance(Duration.ZERO);
        assertThat(replicas("api")).isEqualTo(1);
        assertThat(status().getLastRevert()).contains("not reverted: a revert only lowers");
    }

    @Test
    void aDeletedTriggerRevertsNothing() {
        cluster.deployment(NS, "worker", 2, Map.of());
        Trigger trigger = create(2, 10, 600);
        fire(trigger, "ev-1");
        reverts.forget(ResourceID.fromResource(trigger));
        assertThat(time.scheduled()).isZero();
        time.advance(Duration.ofSeconds(600));
        assertThat(replicas("worker")).isEqualTo(4);
    }

    Trigger create(int step, int max, int revertAfterSeconds) {
        Trigger t = Triggers.scaleUp(NS, "scale-worker", "worker", step, max);
        t.getSpec().getAction().getScaleUp().setRevertAfterSeconds(revertAfterSeconds);
        return cluster.create(t);
    }

    WorkloadResult fire(Trigger trigger, String eventId) {
        HasMetadata workload = cluster.getDeployment(NS, "worker");
        return action.apply(workload, cluster.trigger(NS, trigger.getMetadata().getName()), new TriggerEvent(TriggerEvent.WEBHOOK, eventId, time.instant()));
    }

    void scaleTo(String name, int replicas) {
        cluster.client().apps().deployments().inNamespace(NS).withName(name).edit(d -> {
            d.getSpec().setReplicas(replicas);
            return d;
        });
    }

    void patchStatus(Map<String, Object> status) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("scale-worker").subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), cluster.client().getKubernetesSerialization().asJson(Map.of("status", status)));
    }

    int replicas(String name) {
        return cluster.getDeployment(NS, name).getSpec().getReplicas();
    }

    dev.triggers.operator.api.v1alpha1.TriggerStatus status() {
        return cluster.trigger(NS, "scale-worker").getStatus();
    }

    Map<String, ScaleRevert> held() {
        return status() == null ? null : status().getScaleReverts();
    }

    List<Event> events() {
        return cluster.client().v1().events().inNamespace(NS).list().getItems();
    }
}
