package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.RolloutSpec;
import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.RolloutFollowing;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import dev.triggers.operator.testing.VirtualTime;
import dev.triggers.operator.testing.WorkloadControllers;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tracker in virtual time against the mock API. The mock runs no workload controllers: each test writes the
 * workloads' status as the Deployment, StatefulSet or DaemonSet controller of a real cluster would
 * ({@link WorkloadControllers}), then moves time on so that the tracker reads it.
 */
class RolloutTrackerTest {
    static final String NS = "shop";

    MockCluster cluster;
    WorkloadControllers controllers;
    final VirtualTime time = new VirtualTime();
    final Map<ResourceID, Trigger> triggers = new HashMap<>();
    final List<Ended> ended = new ArrayList<>();
    RolloutTracker tracker;

    record Ended(ResourceID trigger, RolloutStatus rollout, Duration took, boolean shown) {}

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        controllers = new WorkloadControllers(cluster.client());
        tracker = tracker(new RolloutFollowing(true, 200, 5000));
    }

    RolloutTracker tracker(RolloutFollowing limits) {
        return new RolloutTracker(cluster.client(), time, time, Runnable::run, new RolloutTracker.Polling(Duration.ofSeconds(2), Duration.ofSeconds(30)),
                limits, id -> Optional.ofNullable(triggers.get(id)), (id, rollout, action, took, shown) -> ended.add(new Ended(id, rollout, took, shown)));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    Trigger trigger(Trigger t) {
        t.getMetadata().setGeneration(1L);
        triggers.put(ResourceID.fromResource(t), t);
        return t;
    }

    /** Fires the Trigger as the executor does: the action patches each workload, then the tracker starts. */
    FireResult fire(Trigger t, String eventId, WorkloadAction action, HasMetadata... workloads) {
        TriggerEvent event = new TriggerEvent(TriggerEvent.WEBHOOK, eventId, time.instant());
        List<WorkloadResult> results = new ArrayList<>();
        for (HasMetadata w : workloads) results.add(action.apply(cluster.client().resource(w).get(), t, event));
        FireResult result = FireResult.of(results);
        tracker.start(ResourceID.fromResource(t), event, result);
        return result;
    }

    RolloutStatus shown(Trigger t) {
        return tracker.snapshot(ResourceID.fromResource(t)).orElse(null);
    }

    @Test
    void aDeploymentRolloutIsCompleteOnlyOnceItsControllerReportsTheNewGenerationDone() {
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        controllers.deploymentComplete(NS, "web"); // the rollout before the fire: done, at the old generation
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));

        FireResult result = fire(t, "e1", new RedeployAction(cluster.client()), web);
        long patched = result.workloads().get(0).started().generation();
        assertThat(patched).as("the patch's response gives the new generation").isGreaterThan(web.getMetadata().getGeneration());

        time.advance(Duration.ofSeconds(5));
        // The status still says NewReplicaSetAvailable, of the generation before the fire: not this rollout.
        assertThat(shown(t).getState()).isEqualTo(RolloutStatus.PROGRESSING);
        assertThat(shown(t).getReason()).contains("has not observed");

        controllers.deploymentRolling(NS, "web", 1);
        time.advance(Duration.ofSeconds(10));
        assertThat(shown(t).getState()).isEqualTo(RolloutStatus.PROGRESSING);
        assertThat(shown(t).getReason()).contains("1 of 2 replicas updated");
        assertThat(ended).isEmpty();

        controllers.deploymentComplete(NS, "web");
        time.advance(Duration.ofSeconds(30));
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.COMPLETE);
            assertThat(e.rollout().getEventId()).isEqualTo("e1");
            assertThat(e.rollout().getEndedAt()).isNotNull();
            assertThat(e.rollout().getWorkloads()).as("a single Deployment: no per-workload list").isNull();
            assertThat(e.shown()).isTrue();
            assertThat(e.took()).isGreaterThan(Duration.ofSeconds(15)).isLessThanOrEqualTo(Duration.ofSeconds(45));
        });
        assertThat(shown(t)).as("forgotten once ended").isNull();
        assertThat(tracker.followed()).isZero();
        int tasks = time.scheduled();
        time.advance(Duration.ofHours(1));
        assertThat(ended).hasSize(1);
        assertThat(tasks).as("no timer left behind").isZero();
    }

    @Test
    void aDeploymentPastItsProgressDeadlineFails() {
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        fire(t, "e1", new RedeployAction(cluster.client()), web);
        controllers.deploymentDeadlineExceeded(NS, "web");
        time.advance(Duration.ofSeconds(3));
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.FAILED);
            assertThat(e.rollout().getReason()).contains("exceeded its progress deadline").contains("timed out progressing");
        });
    }

    @Test
    void aRolloutLongerThanTheTriggersTimeoutFailsWithThatReason() {
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        t.getSpec().setRollout(new RolloutSpec(45, null));
        fire(t, "e1", new RedeployAction(cluster.client()), web);
        controllers.deploymentRolling(NS, "web", 1);

        time.advance(Duration.ofSeconds(44));
        assertThat(ended).isEmpty();
        time.advance(Duration.ofSeconds(1));
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.FAILED);
            assertThat(e.rollout().getReason()).contains("rollout.timeoutSeconds (45 s)").contains("1 of 2 replicas updated");
            assertThat(e.took()).isEqualTo(Duration.ofSeconds(45));
        });
    }

    @Test
    void withoutATimeoutTheDeploymentsOwnProgressDeadlineBoundsTheRollout() {
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        web.getSpec().setProgressDeadlineSeconds(120);
        web = cluster.client().resource(web).update();
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        fire(t, "e1", new RedeployAction(cluster.client()), web);
        controllers.deploymentRolling(NS, "web", 1);

        time.advance(Duration.ofSeconds(119));
        assertThat(ended).isEmpty();
        time.advance(Duration.ofSeconds(1));
        assertThat(ended).singleElement().extracting(e -> e.rollout().getReason()).asString().contains("its progress deadline (120 s)");
    }

    @Test
    void aNewerFireOfTheSameTriggerSupersedesTheRolloutInProgress() {
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        fire(t, "e1", new RedeployAction(cluster.client()), web);
        time.advance(Duration.ofSeconds(3));
        fire(t, "e2", new RedeployAction(cluster.client()), web);

        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getEventId()).isEqualTo("e1");
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.SUPERSEDED);
            assertThat(e.rollout().getReason()).contains("event e2");
            assertThat(e.shown()).as("the status shows the newer rollout instead").isFalse();
        });
        assertThat(shown(t).getEventId()).isEqualTo("e2");
        assertThat(tracker.followed()).isEqualTo(1);
        controllers.deploymentComplete(NS, "web");
        time.advance(Duration.ofSeconds(3));
        assertThat(ended).extracting(e -> e.rollout().getEventId() + "=" + e.rollout().getState())
                .containsExactly("e1=Superseded", "e2=Complete");
    }

    @Test
    void aPodTemplateChangedByAnotherFireEndsTheRolloutAsSuperseded() {
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        fire(t, "e1", new RedeployAction(cluster.client()), web);
        // Another Trigger restarts the same Deployment: its event id replaces ours on the pod template.
        Trigger other = Triggers.redeploy(NS, "other", "web");
        new RedeployAction(cluster.client()).apply(cluster.getDeployment(NS, "web"), other, new TriggerEvent(TriggerEvent.CRON, "slot-1", time.instant()));
        controllers.deploymentComplete(NS, "web");
        time.advance(Duration.ofSeconds(3));
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.SUPERSEDED);
            assertThat(e.rollout().getReason()).contains("changed again").contains("slot-1");
        });
    }

    @Test
    void anApplicationReportsEachWorkloadAndCompletesWhenAllAre() {
        Map<String, String> app = Map.of("app.kubernetes.io/instance", "shop");
        Deployment web = cluster.deployment(NS, "web", 2, app);
        var db = cluster.statefulSet(NS, "db", app);
        var agent = cluster.daemonSet(NS, "agent", app);
        Trigger t = trigger(Triggers.application(NS, "restart-shop", "shop"));
        fire(t, "e1", new RedeployAction(cluster.client()), web, db, agent);

        controllers.deploymentComplete(NS, "web");
        controllers.statefulSetRolled(NS, "db", 0);
        controllers.daemonSetRolled(NS, "agent", 3, 1);
        time.advance(Duration.ofSeconds(3));
        assertThat(shown(t).getState()).isEqualTo(RolloutStatus.PROGRESSING);
        assertThat(shown(t).getReason()).isEqualTo("1 of 3 workloads done");
        assertThat(shown(t).getWorkloads()).extracting(w -> w.getKind() + "/" + w.getName() + "=" + w.getState())
                .containsExactly("Deployment/web=Complete", "StatefulSet/db=Progressing", "DaemonSet/agent=Progressing");
        assertThat(shown(t).getWorkloads().get(1).getReason()).contains("0 of 1 pods updated");

        controllers.statefulSetRolled(NS, "db", 1);
        controllers.daemonSetRolled(NS, "agent", 3, 3);
        time.advance(Duration.ofSeconds(3));
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.COMPLETE);
            assertThat(e.rollout().getReason()).isEqualTo("3 workloads rolled out");
            assertThat(e.rollout().getWorkloads()).extracting(RolloutStatus.WorkloadRollout::getState).containsOnly(RolloutStatus.COMPLETE);
        });
    }

    @Test
    void anApplicationWithOneFailedWorkloadFailsAndNamesIt() {
        Map<String, String> app = Map.of("app.kubernetes.io/instance", "shop");
        Deployment web = cluster.deployment(NS, "web", 2, app);
        var db = cluster.statefulSet(NS, "db", app);
        Trigger t = trigger(Triggers.application(NS, "restart-shop", "shop"));
        t.getSpec().setRollout(new RolloutSpec(60, null));
        fire(t, "e1", new RedeployAction(cluster.client()), web, db);
        controllers.deploymentComplete(NS, "web");
        controllers.statefulSetRolled(NS, "db", 0); // a StatefulSet has no progress deadline: the Trigger's timeout ends it

        time.advance(Duration.ofSeconds(61));
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.FAILED);
            assertThat(e.rollout().getReason()).startsWith("1 of 2 workloads failed: StatefulSet shop/db not rolled out within rollout.timeoutSeconds (60 s)");
            assertThat(e.rollout().getWorkloads()).extracting(w -> w.getName() + "=" + w.getState()).containsExactly("web=Complete", "db=Failed");
        });
    }

    @Test
    void aScaleUpIsCompleteWhenTheNewReplicasAreAvailable() {
        Deployment worker = cluster.deployment(NS, "worker", 2, Map.of());
        controllers.deploymentScaled(NS, "worker", 2);
        Trigger t = trigger(Triggers.scaleUp(NS, "scale-worker", "worker", 2, 10));
        FireResult result = fire(t, "e1", new ScaleUpAction(cluster.client()), worker);
        assertThat(result.workloads().get(0).started().replicas()).isEqualTo(4);

        controllers.deploymentScaled(NS, "worker", 3);
        time.advance(Duration.ofSeconds(3));
        assertThat(shown(t).getReason()).contains("3 of 4 replicas available");
        controllers.deploymentScaled(NS, "worker", 4);
        time.advance(Duration.ofSeconds(3));
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.COMPLETE);
            assertThat(e.rollout().getReason()).contains("4 replicas available");
        });
    }

    @Test
    void aDeletedWorkloadFailsItsRollout() {
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        fire(t, "e1", new RedeployAction(cluster.client()), web);
        cluster.client().resource(web).delete();
        time.advance(Duration.ofSeconds(3));
        assertThat(ended).singleElement().extracting(e -> e.rollout().getReason()).asString().contains("was deleted");
    }

    @Test
    void aNamespaceAtItsLimitGetsNotFollowedWhileOthersAreStillFollowed() {
        tracker = tracker(new RolloutFollowing(true, 1, 5000));
        cluster.namespace("other");
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        Deployment api = cluster.deployment(NS, "api", 2, Map.of());
        Deployment elsewhere = cluster.deployment("other", "web", 2, Map.of());
        Trigger first = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        Trigger second = trigger(Triggers.redeploy(NS, "restart-api", "api"));
        Trigger third = trigger(Triggers.redeploy("other", "restart-web", "web"));

        fire(first, "e1", new RedeployAction(cluster.client()), web);
        fire(second, "e2", new RedeployAction(cluster.client()), api);
        fire(third, "e3", new RedeployAction(cluster.client()), elsewhere);

        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.trigger().getName()).isEqualTo("restart-api");
            assertThat(e.rollout().getState()).isEqualTo(RolloutStatus.NOT_FOLLOWED);
            assertThat(e.rollout().getReason()).contains("in namespace shop");
        });
        assertThat(shown(first).getState()).isEqualTo(RolloutStatus.PROGRESSING);
        assertThat(shown(third).getState()).isEqualTo(RolloutStatus.PROGRESSING);
        assertThat(tracker.followed()).isEqualTo(2);

        // The namespace's slot comes back when its rollout ends.
        controllers.deploymentComplete(NS, "web");
        time.advance(Duration.ofSeconds(3));
        fire(second, "e4", new RedeployAction(cluster.client()), api);
        assertThat(shown(second).getState()).isEqualTo(RolloutStatus.PROGRESSING);
    }

    @Test
    void followingOffFollowsNothing() {
        tracker = tracker(RolloutFollowing.OFF);
        Deployment web = cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        fire(t, "e1", new RedeployAction(cluster.client()), web);
        assertThat(shown(t)).isNull();
        assertThat(time.scheduled()).isZero();
    }

    @Test
    void onlyKindsWhoseRolloutCanBeReadAreFollowed() {
        Trigger t = trigger(Triggers.redeploy(NS, "restart-web", "web"));
        // An Argo Rollout is followed now (RolloutProgress reads its phase); a kind it cannot read is not.
        WorkloadRef other = new WorkloadRef("CronJob", NS, "web");
        tracker.start(ResourceID.fromResource(t), new TriggerEvent(TriggerEvent.WEBHOOK, "e1", time.instant()),
                FireResult.of(List.of(new WorkloadResult(other, WorkloadResult.Outcome.PATCHED, "scaled").startedRollout(new RolloutStart(2, 3, 600)))));
        assertThat(shown(t)).isNull();
        assertThat(time.scheduled()).isZero();
    }
}
