package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerGrant;
import dev.triggers.operator.reconciler.FirePermissions;
import dev.triggers.operator.tenancy.Grants;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.testing.Triggers;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The executor alone, with the real permissions and grants on the mock API but no reconciler: an event
 * queued in the cooldown is checked against the Trigger's newest spec when its fire comes, so no
 * queued event follows its Trigger into another namespace, past a suspend, a delete or a broken spec.
 */
class FireGuardTest {
    static final String A = "team-a";
    static final String B = "team-b";
    MockCluster cluster;
    Grants grants;
    FireExecutor executor;
    final AtomicReference<Trigger> current = new AtomicReference<>();
    ResourceID id;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespacesEachWithDeployment("web", A, B);
        Trigger trigger = Triggers.redeploy(A, "restart-web", "web");
        trigger.getSpec().setCooldownSeconds(5);
        trigger.getMetadata().setUid("uid-1");
        trigger.getMetadata().setGeneration(1L);
        current.set(trigger);
        id = ResourceID.fromResource(trigger);
        grants = new Grants(cluster.client(), Set.of(), ns -> {});
        FirePermissions permissions = new FirePermissions(MockCluster.testConfig(),
                type -> Optional.of(new IdleSourceFactory(SourceSpec.WEBHOOK)), grants, Clock.systemUTC());
        executor = new FireExecutor(cluster.client(), Clock.systemUTC(), 2, new SimpleMeterRegistry(),
                x -> Optional.ofNullable(current.get()), permissions, (x, r) -> {}, dev.triggers.operator.config.RolloutFollowing.OFF, RolloutListener.NONE);
    }

    @AfterEach
    void stop() {
        executor.close();
        grants.close();
        cluster.close();
    }

    @Test
    void aQueuedEventDoesNotFollowItsTriggerIntoAnotherNamespace() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        change(t -> {
            t.getSpec().getTarget().setNamespace(B);
            return t;
        });

        FireResult result = queued.join();
        assertThat(result.refused()).isTrue();
        assertThat(result.summary()).contains("no TriggerGrant in '" + B + "'");
        assertThat(templateAnnotations(B)).doesNotContainKey(RedeployAction.EVENT_ID);
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aQueuedEventFiresInAnotherNamespaceOnlyWhileItsGrantLasts() {
        TriggerGrant grant = cluster.grant(B, "from-a", A, null);
        change(t -> {
            t.getSpec().getTarget().setNamespace(B);
            return t;
        });
        assertThat(executor.submit(id, event("granted")).join().succeeded()).isTrue();
        assertThat(templateAnnotations(B)).containsEntry(RedeployAction.EVENT_ID, "granted");

        CompletableFuture<FireResult> queued = executor.submit(id, event("after-revoke"));
        cluster.client().resource(grant).delete();
        await().until(() -> grants.in(B).isEmpty());

        assertThat(queued.join().refused()).isTrue();
        assertThat(templateAnnotations(B)).containsEntry(RedeployAction.EVENT_ID, "granted");
    }

    @Test
    void aGrantForOtherActionsOrWorkloadsDoesNotCover() {
        cluster.grant(B, "scale-only", A, null, ActionSpec.SCALE_UP);
        cluster.deployment(B, "api");
        var to = new dev.triggers.operator.api.v1alpha1.TriggerGrantSpec.To();
        to.setNames(java.util.List.of("api"));
        change(t -> {
            t.getSpec().getTarget().setNamespace(B);
            return t;
        });
        FireResult wrongAction = executor.submit(id, event("redeploy")).join();
        assertThat(wrongAction.refused()).isTrue();
        assertThat(wrongAction.summary()).contains("lets Triggers of '" + A + "' Redeploy");

        cluster.grant(B, "redeploy-api", A, to, ActionSpec.REDEPLOY);
        await().until(() -> grants.in(B).size() == 2);
        FireResult wrongWorkload = executor.submit(id, event("web-not-granted")).join();
        assertThat(wrongWorkload.succeeded()).isFalse();
        assertThat(wrongWorkload.summary()).contains("Deployment " + B + "/web is not covered by any TriggerGrant");
        assertThat(templateAnnotations(B)).doesNotContainKey(RedeployAction.EVENT_ID);
    }

    @Test
    void aQueuedEventDoesNotFireOnceTheTriggerIsSuspended() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        change(t -> {
            t.getSpec().setSuspend(true);
            return t;
        });
        assertThat(queued.join().refused()).isTrue();
        assertThat(queued.join().summary()).isEqualTo("spec.suspend is true");
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aQueuedEventDoesNotFireWhileASuspendUntilIsAhead() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        String until = java.time.Instant.now().plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        change(t -> {
            t.getSpec().setSuspendUntil(until);
            return t;
        });
        assertThat(queued.join().refused()).isTrue();
        assertThat(queued.join().summary()).isEqualTo("suspended until " + until + " (spec.suspendUntil)");
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");

        change(t -> {
            t.getSpec().setSuspendUntil("2020-01-01T00:00:00Z");
            return t;
        });
        assertThat(executor.submit(id, event("after")).join().succeeded()).as("a time passed suspends nothing").isTrue();
    }

    @Test
    void aQueuedEventDoesNotFireOnceTheTriggerIsDeleted() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        current.set(null);
        assertThat(queued.join().refused()).isTrue();
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aQueuedEventDoesNotFireOnceTheSpecIsInvalid() {
        CompletableFuture<FireResult> queued = fireThenQueue();
        change(t -> {
            t.getSpec().setAction(new ActionSpec("Delete", null));
            return t;
        });
        FireResult result = queued.join();
        assertThat(result.refused()).isTrue();
        assertThat(result.summary()).contains("spec.action.type 'Delete' is not supported");
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    @Test
    void aFloodOfEventsThatCannotComeBackKeepsOnePendingEventAndOneFuture() {
        // A cooldown far longer than the flood takes, however slow the machine: every event waits in it.
        change(t -> {
            t.getSpec().setCooldownSeconds(3600);
            return t;
        });
        CompletableFuture<FireResult> first = fireThenQueue();
        CompletableFuture<FireResult> last = first;
        long before = heapAfterGc();
        for (int i = 0; i < 100_000; i++) last = executor.submit(id, event("flood-" + i));
        long during = heapAfterGc();
        // Every folded event shares the pending fire's future: memory does not grow with the flood.
        assertThat(last).isSameAs(first).isNotDone();
        System.out.printf("executor flood: heap after GC %.1f MiB before, %.1f MiB with 100000 events waiting in the cooldown%n",
                before / 1048576.0, during / 1048576.0);
        // The Trigger goes away: the one waiting fire is refused, as every folded event's answer.
        current.set(null);
        executor.forget(id);
        assertThat(last.join().refused()).isTrue();
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, "first");
    }

    /** Fires "first" at once, then queues "second" inside the cooldown; returns the queued event's future. */
    private CompletableFuture<FireResult> fireThenQueue() {
        assertThat(executor.submit(id, event("first")).join().succeeded()).isTrue();
        CompletableFuture<FireResult> queued = executor.submit(id, event("second"));
        assertThat(queued).isNotDone();
        return queued;
    }

    /** The spec as a user's edit leaves it: a new generation (the operator has not reconciled it). */
    private void change(UnaryOperator<Trigger> edit) {
        Trigger copy = cluster.client().getKubernetesSerialization().clone(current.get());
        Trigger edited = edit.apply(copy);
        edited.getMetadata().setGeneration(current.get().getMetadata().getGeneration() + 1);
        current.set(edited);
    }

    /** Used heap after a full collection: a figure to print, not to assert on (the machine is shared). */
    private static long heapAfterGc() {
        System.gc();
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static TriggerEvent event(String id) {
        return new TriggerEvent(TriggerEvent.WEBHOOK, id, Instant.now());
    }

    private Map<String, String> templateAnnotations(String ns) {
        Map<String, String> a = cluster.getDeployment(ns, "web").getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }
}
