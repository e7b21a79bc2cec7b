package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Clock;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Given a Trigger and a Deployment, when it fires, then the Deployment and the status say so. */
class FireTest {
    static final String NS = "shop";
    MockCluster cluster;
    TriggerOperator operator;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        operator = cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void manualFireRestartsTheDeploymentOncePerRequestValue() {
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);

        requestFire("restart-web", "first");
        await().untilAsserted(() -> assertThat(fireCount("restart-web")).isEqualTo(1L));
        Map<String, String> template = templateAnnotations("web");
        assertThat(template).containsKey(RedeployAction.RESTARTED_AT)
                .containsEntry(RedeployAction.FIRED_BY, NS + ".restart-web")
                .containsEntry(RedeployAction.EVENT_SOURCE, "manual")
                .containsEntry(RedeployAction.EVENT_ID, "first");
        Trigger fired = cluster.trigger(NS, "restart-web");
        assertThat(fired.getStatus().getLastEvent().getId()).isEqualTo("first");
        assertThat(fired.getStatus().getLastFiredAt()).isNotBlank();
        await().untilAsserted(() -> assertThat(events("restart-web")).extracting(Event::getReason).contains(FireRecorder.REASON_FIRED));

        // The same value again (any other metadata change makes the reconciler look) -> no second fire.
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web")
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                        "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getMetadata().getLabels()).containsKey("touched"));
        requestFire("restart-web", "second");
        await().untilAsserted(() -> assertThat(fireCount("restart-web")).isEqualTo(2L));
        assertThat(cluster.trigger(NS, "restart-web").getStatus().getLastFireRequest()).isEqualTo("second");
    }

    @Test
    void aBurstOfFiresIsRecordedOncePerIntervalAndEveryFireIsCounted() throws Exception {
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);
        ResourceID id = new ResourceID("restart-web", NS);
        int fires = 30;
        long start = System.nanoTime();
        for (int i = 1; i <= fires; i++) {
            FireResult result = operator.executor().submit(id, new TriggerEvent(TriggerEvent.WEBHOOK, "burst-" + i, Instant.now()))
                    .get(30, TimeUnit.SECONDS);
            assertThat(result.succeeded()).as(result.summary()).isTrue();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(templateAnnotations("web")).containsEntry(RedeployAction.EVENT_ID, "burst-" + fires);

        await().untilAsserted(() -> assertThat(fireCount("restart-web")).isEqualTo((long) fires));
        assertThat(cluster.trigger(NS, "restart-web").getStatus().getLastEvent().getId()).isEqualTo("burst-" + fires);
        await().untilAsserted(() -> assertThat(fired("restart-web")).anyMatch(e -> e.getMessage().contains("burst-" + fires)));
        // One record when the burst starts, then at most one per interval while it lasts.
        long bound = 2 + (long) Math.ceil(seconds / FireRecords.INTERVAL.toMillis() * 1000);
        assertThat(fired("restart-web")).as("Fired Events for %d fires in %.1f s", fires, seconds).hasSizeBetween(1, (int) bound);
    }

    @Test
    void twoFiresInTheSameSecondGiveTwoDifferentTemplates() {
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);

        requestFire("restart-web", "a");
        await().untilAsserted(() -> assertThat(fireCount("restart-web")).isEqualTo(1L));
        Map<String, String> first = templateAnnotations("web");
        requestFire("restart-web", "b");
        await().untilAsserted(() -> assertThat(fireCount("restart-web")).isEqualTo(2L));
        Map<String, String> second = templateAnnotations("web");
        assertThat(second).isNotEqualTo(first);
        assertThat(second.get(RedeployAction.EVENT_ID)).isEqualTo("b");
    }

    @Test
    void scaleUpStepsToTheCeilingAndRecordsIt() {
        cluster.deployment(NS, "worker", 1, Map.of());
        cluster.create(Triggers.scaleUp(NS, "scale-worker", "worker", 2, 4));
        awaitStatus("scale-worker", TriggerStatus.READY);

        requestFire("scale-worker", "1");
        await().untilAsserted(() -> assertThat(replicas("worker")).isEqualTo(3));
        requestFire("scale-worker", "2");
        await().untilAsserted(() -> assertThat(replicas("worker")).isEqualTo(4));
        requestFire("scale-worker", "3");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "scale-worker").getStatus().getLastFireRequest()).isEqualTo("3"));
        assertThat(replicas("worker")).isEqualTo(4);
        Trigger t = cluster.trigger(NS, "scale-worker");
        assertThat(t.getStatus().getLastFireResult()).contains("at maxReplicas 4");
        assertThat(t.getStatus().getStatus()).isEqualTo(TriggerStatus.READY);
    }

    @Test
    void applicationTargetRestartsEveryWorkloadAndNamesTheOneThatFailed() {
        Map<String, String> app = Map.of("app.kubernetes.io/instance", "shop");
        cluster.deployment(NS, "frontend", 1, app);
        cluster.statefulSet(NS, "db", app);
        cluster.daemonSet(NS, "agent", app);
        cluster.deployment(NS, "unrelated");
        cluster.create(Triggers.application(NS, "restart-shop", "shop"));
        awaitStatus("restart-shop", TriggerStatus.READY);

        requestFire("restart-shop", "one");
        await().untilAsserted(() -> assertThat(fireCount("restart-shop")).isEqualTo(1L));
        assertThat(templateAnnotations("frontend")).containsEntry(RedeployAction.EVENT_ID, "one");
        assertThat(cluster.client().apps().statefulSets().inNamespace(NS).withName("db").get()
                .getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, "one");
        assertThat(cluster.client().apps().daemonSets().inNamespace(NS).withName("agent").get()
                .getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, "one");
        assertThat(cluster.getDeployment(NS, "unrelated").getSpec().getTemplate().getMetadata().getAnnotations()).isNullOrEmpty();

        // The API forbids patching the StatefulSet: the others are still restarted, the failure is named.
        cluster.server().expect().patch().withPath("/apis/apps/v1/namespaces/" + NS + "/statefulsets/db")
                .andReturn(403, Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "Forbidden",
                        "message", "statefulsets.apps \"db\" is forbidden", "code", 403))
                .always();
        requestFire("restart-shop", "two");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-shop").getStatus().getErrorMessage())
                .contains("StatefulSet " + NS + "/db").contains("forbidden"));
        assertThat(templateAnnotations("frontend")).containsEntry(RedeployAction.EVENT_ID, "two");
        assertThat(cluster.client().apps().daemonSets().inNamespace(NS).withName("agent").get()
                .getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, "two");
        assertThat(cluster.trigger(NS, "restart-shop").getStatus().getStatus()).isEqualTo(TriggerStatus.ERROR);
        await().untilAsserted(() -> assertThat(events("restart-shop")).extracting(Event::getReason).contains(FireRecorder.REASON_FIRE_FAILED));
    }

    @Test
    void pausedDeploymentIsNotPatchedAndTheStatusSaysWhy() {
        cluster.deployment(NS, "web");
        cluster.client().apps().deployments().inNamespace(NS).withName("web").edit(d -> { d.getSpec().setPaused(true); return d; });
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);
        requestFire("restart-web", "x");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getErrorMessage()).contains("is paused"));
        assertThat(templateAnnotations("web")).isNullOrEmpty();
    }

    @Test
    void manyFiresLeaveGenerationAndSpecUnchanged() {
        cluster.deployment(NS, "web");
        Trigger created = cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);
        Long generation = cluster.trigger(NS, "restart-web").getMetadata().getGeneration();
        String spec = cluster.client().getKubernetesSerialization().asJson(created.getSpec());
        for (int i = 1; i <= 10; i++) {
            requestFire("restart-web", "fire-" + i);
            int expected = i;
            await().untilAsserted(() -> assertThat(fireCount("restart-web")).isEqualTo((long) expected));
        }
        Trigger after = cluster.trigger(NS, "restart-web");
        assertThat(after.getMetadata().getGeneration()).isEqualTo(generation);
        assertThat(cluster.client().getKubernetesSerialization().asJson(after.getSpec())).isEqualTo(spec);
    }

    /** As `kubectl annotate --overwrite trg NAME triggers.dev/fire-request=VALUE` does: a merge patch. */
    void requestFire(String name, String value) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name)
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"" + Trigger.ANNOTATION_FIRE_REQUEST + "\":\"" + value + "\"}}}");
    }

    void awaitStatus(String name, String status) {
        cluster.awaitStatus(NS, name, status);
    }

    Long fireCount(String name) {
        TriggerStatus s = cluster.trigger(NS, name).getStatus();
        return s == null || s.getFireCount() == null ? 0L : s.getFireCount();
    }

    Map<String, String> templateAnnotations(String deployment) {
        Deployment d = cluster.getDeployment(NS, deployment);
        return d.getSpec().getTemplate().getMetadata().getAnnotations();
    }

    int replicas(String deployment) {
        return cluster.getDeployment(NS, deployment).getSpec().getReplicas();
    }

    List<Event> fired(String trigger) {
        return events(trigger).stream().filter(e -> FireRecorder.REASON_FIRED.equals(e.getReason())).toList();
    }

    List<Event> events(String trigger) {
        return cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> trigger.equals(e.getInvolvedObject().getName())).toList();
    }
}
