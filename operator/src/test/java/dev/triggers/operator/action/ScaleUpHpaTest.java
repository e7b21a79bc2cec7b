package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import dev.triggers.operator.testing.VirtualTime;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ScaleUp of a workload that an autoscaling/v2 HorizontalPodAutoscaler targets: the HPA's minReplicas is raised, not
 * spec.replicas. The API is the mock server in CRUD mode, which runs no controllers: an HPA here does nothing by
 * itself (it never scales the Deployment), so spec.replicas staying put shows that the operator left it alone.
 */
class ScaleUpHpaTest {
    static final String NS = "shop";
    MockCluster cluster;
    VirtualTime time;
    ScaleUpAction action;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        time = new VirtualTime(Instant.parse("2026-12-01T10:00:00Z"));
        ScaleReverts reverts = new ScaleReverts(cluster.client(), time, time, Runnable::run, FireGuard.ALLOW_ALL,
                id -> Optional.ofNullable(cluster.trigger(NS, id.getName())), new FireRecorder(cluster.client(), time));
        action = new ScaleUpAction(cluster.client(), reverts);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void theHpasMinReplicasIsRaisedFromTheReplicasItRunsAndSpecReplicasIsUntouched() {
        cluster.deployment(NS, "web", 3, Map.of());
        hpa("web-hpa", "Deployment", "web", 2, 10);
        Trigger trigger = create("web", 2, 8, null);

        WorkloadResult result = fire(trigger, "ev-1");
        assertThat(result.outcome()).isEqualTo(WorkloadResult.Outcome.PATCHED);
        assertThat(result.message()).startsWith("raised HorizontalPodAutoscaler shop/web-hpa minReplicas from 2 to 5 (Deployment shop/web runs 3;"
                + " spec.replicas is left to the HPA)");
        assertThat(min("web-hpa")).isEqualTo(5);
        assertThat(cluster.getDeployment(NS, "web").getSpec().getReplicas()).isEqualTo(3);
        assertThat(hpaAnnotations("web-hpa")).containsEntry(ScaleUpAction.SCALED_BY_EVENT, "ev-1");

        assertThat(fire(trigger, "ev-1").outcome()).as("the same event again").isEqualTo(WorkloadResult.Outcome.ALREADY_APPLIED);
        assertThat(min("web-hpa")).isEqualTo(5);
    }

    @Test
    void theRaiseStaysWithinTheTriggersAndTheHpasMaxReplicas() {
        cluster.deployment(NS, "web", 1, Map.of());
        hpa("web-hpa", "Deployment", "web", 1, 4);
        Trigger trigger = create("web", 2, 8, null);
        fire(trigger, "ev-1");
        assertThat(min("web-hpa")).isEqualTo(3);
        WorkloadResult second = fire(trigger, "ev-2");
        assertThat(second.message()).contains("from 3 to 4").contains("now at the ceiling");
        assertThat(min("web-hpa")).as("the HPA's maxReplicas").isEqualTo(4);
        WorkloadResult third = fire(trigger, "ev-3");
        assertThat(third.outcome()).isEqualTo(WorkloadResult.Outcome.AT_CEILING);
        assertThat(third.message()).isEqualTo("HorizontalPodAutoscaler shop/web-hpa minReplicas is 4, at the ceiling (scaleUp.maxReplicas 8,"
                + " the HPA's maxReplicas 4): not raised further");

        cluster.deployment(NS, "api", 1, Map.of());
        hpa("api-hpa", "Deployment", "api", 1, 20);
        Trigger low = create("api", 5, 3, null);
        fire(low, "ev-4");
        assertThat(min("api-hpa")).as("the Trigger's maxReplicas").isEqualTo(3);
        assertThat(cluster.getDeployment(NS, "api").getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void withoutAnHpaOnTheWorkloadSpecReplicasIsRaisedAsBefore() {
        cluster.deployment(NS, "web", 2, Map.of());
        hpa("other-hpa", "Deployment", "api", 1, 10); // targets another Deployment
        hpa("sts-hpa", "StatefulSet", "web", 1, 10); // another kind of the same name
        Trigger trigger = create("web", 2, 8, null);
        WorkloadResult result = fire(trigger, "ev-1");
        assertThat(result.message()).startsWith("scaled Deployment shop/web from 2 to 4 replicas");
        assertThat(cluster.getDeployment(NS, "web").getSpec().getReplicas()).isEqualTo(4);
        assertThat(min("other-hpa")).isEqualTo(1);
        assertThat(min("sts-hpa")).isEqualTo(1);
    }

    @Test
    void twoHpasOnOneWorkloadAreAnErrorThatNamesThem() {
        cluster.deployment(NS, "web", 2, Map.of());
        hpa("a", "Deployment", "web", 1, 10);
        hpa("b", "Deployment", "web", 1, 10);
        WorkloadResult result = fire(create("web", 1, 8, null), "ev-1");
        assertThat(result.outcome()).isEqualTo(WorkloadResult.Outcome.FAILED);
        assertThat(result.message()).isEqualTo("2 HorizontalPodAutoscalers target Deployment shop/web (a, b): Kubernetes scales with neither; delete all but one");
        assertThat(cluster.getDeployment(NS, "web").getSpec().getReplicas()).isEqualTo(2);
    }

    @Test
    void aTemporaryScaleUpLowersTheHpasMinReplicasBack() {
        cluster.deployment(NS, "web", 2, Map.of());
        hpa("web-hpa", "Deployment", "web", 2, 10);
        Trigger trigger = create("web", 3, 8, 900);
        WorkloadResult result = fire(trigger, "ev-1");
        assertThat(result.message()).contains("minReplicas from 2 to 5").contains("back to 2 at 2026-12-01T10:15:00Z");
        assertThat(cluster.trigger(NS, "scale-web").getStatus().getScaleReverts().get("Deployment/web").getHorizontalPodAutoscaler())
                .as("the status says which one was changed").isEqualTo("web-hpa");

        time.advance(Duration.ofSeconds(899));
        assertThat(min("web-hpa")).isEqualTo(5);
        time.advance(Duration.ofSeconds(1));
        assertThat(min("web-hpa")).isEqualTo(2);
        assertThat(cluster.getDeployment(NS, "web").getSpec().getReplicas()).as("never touched").isEqualTo(2);
        assertThat(cluster.trigger(NS, "scale-web").getStatus().getLastRevert())
                .endsWith("reverted HorizontalPodAutoscaler shop/web-hpa minReplicas from 5 to 2 (the temporary scale-up ended)");
    }

    /** An HPA on an Argo Rollout (its CRD loaded into the mock): the same, in the argoproj.io group. */
    @Test
    void anHpaOnARolloutIsRaisedAndLoweredBackAndAnHpaOfAnotherGroupIsNot() {
        RolloutTargetTest rollouts = new RolloutTargetTest();
        rollouts.cluster = cluster;
        rollouts.installRolloutCrd();
        rollouts.rollout("web", 2);
        hpa("apps-web", "Rollout", "web", 1, 10); // apiVersion apps/v1: names no Rollout
        cluster.client().autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).resource(new HorizontalPodAutoscalerBuilder()
                .withNewMetadata().withName("web").withNamespace(NS).endMetadata()
                .withNewSpec().withNewScaleTargetRef().withApiVersion(ArgoRollouts.API_VERSION).withKind("Rollout").withName("web").endScaleTargetRef()
                .withMinReplicas(2).withMaxReplicas(10).endSpec().build()).create();
        Trigger trigger = RolloutTargetTest.target(Triggers.scaleUp(NS, "scale-web", "web", 2, 8));
        trigger.getSpec().getAction().getScaleUp().setRevertAfterSeconds(60);
        cluster.create(trigger);

        WorkloadResult result = action.apply(rollouts.rollout("web"), cluster.trigger(NS, "scale-web"),
                new TriggerEvent(TriggerEvent.WEBHOOK, "ev-1", time.instant()));
        assertThat(result.message()).startsWith("raised HorizontalPodAutoscaler shop/web minReplicas from 2 to 4 (Rollout shop/web runs 2;");
        assertThat(min("web")).isEqualTo(4);
        assertThat(min("apps-web")).isEqualTo(1);
        assertThat(ArgoRollouts.replicas(rollouts.rollout("web"))).isEqualTo(2);
        time.advance(Duration.ofSeconds(60));
        assertThat(min("web")).isEqualTo(2);
        assertThat(cluster.trigger(NS, "scale-web").getStatus().getLastRevert()).contains("reverted HorizontalPodAutoscaler shop/web minReplicas from 4 to 2");
    }

    Trigger create(String deployment, int step, int max, Integer revertAfterSeconds) {
        Trigger t = Triggers.scaleUp(NS, "scale-" + deployment, deployment, step, max);
        t.getSpec().getAction().getScaleUp().setRevertAfterSeconds(revertAfterSeconds);
        return cluster.create(t);
    }

    WorkloadResult fire(Trigger trigger, String eventId) {
        String name = trigger.getSpec().getTarget().getName();
        return action.apply(cluster.getDeployment(NS, name), cluster.trigger(NS, trigger.getMetadata().getName()),
                new TriggerEvent(TriggerEvent.WEBHOOK, eventId, time.instant()));
    }

    void hpa(String name, String kind, String target, int min, int max) {
        cluster.client().autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).resource(new HorizontalPodAutoscalerBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().withNewScaleTargetRef().withApiVersion("apps/v1").withKind(kind).withName(target).endScaleTargetRef()
                .withMinReplicas(min).withMaxReplicas(max).endSpec().build()).create();
    }

    HorizontalPodAutoscaler get(String name) {
        return cluster.client().autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName(name).get();
    }

    int min(String name) {
        return get(name).getSpec().getMinReplicas();
    }

    Map<String, String> hpaAnnotations(String name) {
        return get(name).getMetadata().getAnnotations();
    }
}
