package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.TargetRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Given an Argo Rollouts Rollout (its CRD loaded into the mock API; no Argo controller runs there, so nothing acts on
 * what the operator writes), when a Trigger targeting it fires, then Redeploy sets the Rollout's own spec.restartAt and
 * ScaleUp its spec.replicas; without the CRD the Trigger is in Error saying so.
 */
class RolloutTargetTest {
    static final String NS = "shop";
    MockCluster cluster;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    void startOperator() {
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    /**
     * Following on: the Argo controller's part (status.observedGeneration as a string, phase, restartedAt) is written
     * by the test, as that controller would on a real cluster.
     */
    @Test
    void aRolloutsOutcomeIsReadFromItsPhaseAndRestartedAt() {
        installRolloutCrd();
        rollout("web", 2);
        cluster.startOperator(MockCluster.testConfig().with(c -> c.rollouts = new dev.triggers.operator.config.RolloutFollowing(true, 200, 5000)),
                Clock.systemUTC(), List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
        cluster.create(target(Triggers.redeploy(NS, "restart-web", "web")));
        awaitStatus("restart-web", TriggerStatus.READY);

        requestFire("restart-web", "first");
        await().untilAsserted(() -> assertThat(lastRollout("restart-web")).isNotNull()
                .satisfies(r -> assertThat(r.getState()).isEqualTo(dev.triggers.operator.api.v1alpha1.RolloutStatus.PROGRESSING)));
        GenericKubernetesResource web = rollout("web");
        argoStatus(web, "Progressing", null, null);
        await().during(java.time.Duration.ofSeconds(3)).atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(lastRollout("restart-web").getState()).isEqualTo(dev.triggers.operator.api.v1alpha1.RolloutStatus.PROGRESSING));
        argoStatus(web, "Healthy", web.get("spec", "restartAt"), null);
        await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() -> assertThat(lastRollout("restart-web"))
                .satisfies(r -> {
                    assertThat(r.getState()).isEqualTo(dev.triggers.operator.api.v1alpha1.RolloutStatus.COMPLETE);
                    assertThat(r.getReason()).contains("Rollout shop/web restarted: phase Healthy");
                }));

        requestFire("restart-web", "second");
        await().untilAsserted(() -> assertThat(lastRollout("restart-web").getEventId()).isEqualTo("second"));
        argoStatus(rollout("web"), "Degraded", null, "ProgressDeadlineExceeded: ReplicaSet \"web-6d4\" has timed out progressing.");
        await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() -> assertThat(lastRollout("restart-web"))
                .satisfies(r -> {
                    assertThat(r.getState()).isEqualTo(dev.triggers.operator.api.v1alpha1.RolloutStatus.FAILED);
                    assertThat(r.getReason()).contains("Rollout shop/web is Degraded: ProgressDeadlineExceeded");
                }));
    }

    dev.triggers.operator.api.v1alpha1.RolloutStatus lastRollout(String name) {
        return cluster.trigger(NS, name).getStatus().getLastRollout();
    }

    /** What the Argo Rollouts controller writes on the Rollout's status. */
    void argoStatus(GenericKubernetesResource rollout, String phase, Object restartedAt, String message) {
        Map<String, Object> status = new java.util.HashMap<>();
        status.put("observedGeneration", String.valueOf(rollout.getMetadata().getGeneration()));
        status.put("phase", phase);
        if (restartedAt != null) status.put("restartedAt", restartedAt);
        if (message != null) status.put("message", message);
        cluster.client().genericKubernetesResources(ArgoRollouts.CONTEXT).inNamespace(NS).withName(rollout.getMetadata().getName())
                .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                        cluster.client().getKubernetesSerialization().asJson(Map.of("status", status)));
    }

    @Test
    void redeployRestartsTheRolloutThroughRestartAtOncePerEvent() {
        installRolloutCrd();
        rollout("web", 2);
        startOperator();
        cluster.create(target(Triggers.redeploy(NS, "restart-web", "web")));
        awaitStatus("restart-web", TriggerStatus.READY);
        assertThat(condition("restart-web", "TargetReady")).isEqualTo("Rollout shop/web found");

        requestFire("restart-web", "first");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getFireCount()).isEqualTo(1L));
        GenericKubernetesResource web = rollout("web");
        Object restartAt = web.get("spec", "restartAt");
        assertThat(restartAt).asString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(web.getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_ID, "first")
                .containsEntry(RedeployAction.EVENT_SOURCE, "manual")
                .containsEntry(RedeployAction.FIRED_BY, NS + ".restart-web");
        assertThat(web.<Object>get("spec", "template")).as("no new revision: the pod template is left alone")
                .isEqualTo(Map.of("metadata", Map.of("labels", Map.of("app", "web"))));
        assertThat(cluster.trigger(NS, "restart-web").getStatus().getLastFireResult())
                .isEqualTo("restarted Rollout shop/web (spec.restartAt " + restartAt + ")");

        // The same event applied again (a crash between the patch and the record) changes nothing.
        var again = new RedeployAction(cluster.client()).apply(web, cluster.trigger(NS, "restart-web"),
                new TriggerEvent(TriggerEvent.MANUAL, "first", java.time.Instant.parse(restartAt + ""), null));
        assertThat(again.outcome()).isEqualTo(WorkloadResult.Outcome.ALREADY_APPLIED);
    }

    @Test
    void scaleUpRaisesTheRolloutsReplicasUpToTheCeiling() {
        installRolloutCrd();
        rollout("worker", 2);
        startOperator();
        cluster.create(target(Triggers.scaleUp(NS, "scale-worker", "worker", 1, 3)));
        awaitStatus("scale-worker", TriggerStatus.READY);

        requestFire("scale-worker", "a");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "scale-worker").getStatus().getFireCount()).isEqualTo(1L));
        assertThat(rollout("worker").<Object>get("spec", "replicas")).isEqualTo(3);
        assertThat(rollout("worker").getMetadata().getAnnotations()).containsEntry(ScaleUpAction.SCALED_BY_EVENT, "a");

        requestFire("scale-worker", "b");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "scale-worker").getStatus().getLastFireResult())
                .isEqualTo("Rollout shop/worker is at maxReplicas 3 (3 replicas): not scaled further"));
        assertThat(rollout("worker").<Object>get("spec", "replicas")).isEqualTo(3);
    }

    @Test
    void aMissingRolloutOrAMissingCrdIsAnErrorThatSaysWhichAndHowToFixIt() {
        startOperator();
        cluster.create(target(Triggers.redeploy(NS, "no-crd", "web")));
        awaitStatus("no-crd", TriggerStatus.ERROR);
        assertThat(cluster.trigger(NS, "no-crd").getStatus().getErrorMessage())
                .isEqualTo("read Rollout shop/web failed: the Rollout kind (argoproj.io/v1alpha1) is not served by this cluster: "
                        + "install Argo Rollouts, or target a Deployment");

        installRolloutCrd();
        cluster.create(target(Triggers.redeploy(NS, "no-rollout", "api")));
        awaitStatus("no-rollout", TriggerStatus.ERROR);
        assertThat(cluster.trigger(NS, "no-rollout").getStatus().getErrorMessage())
                .isEqualTo("Rollout shop/api not found: create it, or fix spec.target.name");

        rollout("api", 1);
        // Any metadata change makes the reconciler look again at once (else it looks after its recheck interval).
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("no-rollout")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
        awaitStatus("no-rollout", TriggerStatus.READY);
    }

    static Trigger target(Trigger trigger) {
        trigger.getSpec().setTarget(new TargetRef(TargetRef.ROLLOUT, trigger.getSpec().getTarget().getName()));
        return trigger;
    }

    void installRolloutCrd() {
        try (InputStream in = getClass().getResourceAsStream("/argo/rollouts-crd.yaml")) {
            CustomResourceDefinition crd = cluster.client().getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
            cluster.client().apiextensions().v1().customResourceDefinitions().resource(crd).create();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    void rollout(String name, int replicas) {
        GenericKubernetesResource rollout = new GenericKubernetesResource();
        rollout.setApiVersion(ArgoRollouts.API_VERSION);
        rollout.setKind(ArgoRollouts.KIND);
        rollout.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(NS).withName(name).build());
        rollout.setAdditionalProperty("spec", Map.of("replicas", replicas,
                "template", Map.of("metadata", Map.of("labels", Map.of("app", name)))));
        cluster.client().genericKubernetesResources(ArgoRollouts.CONTEXT).inNamespace(NS).resource(rollout).create();
    }

    GenericKubernetesResource rollout(String name) {
        return cluster.client().genericKubernetesResources(ArgoRollouts.CONTEXT).inNamespace(NS).withName(name).get();
    }

    void requestFire(String name, String value) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + Trigger.ANNOTATION_FIRE_REQUEST + "\":\"" + value + "\"}}}");
    }

    String condition(String name, String type) {
        return cluster.trigger(NS, name).getStatus().getConditions().stream().filter(c -> type.equals(c.getType()))
                .findFirst().orElseThrow().getMessage();
    }

    void awaitStatus(String name, String state) {
        cluster.awaitStatus(NS, name, state);
    }
}
