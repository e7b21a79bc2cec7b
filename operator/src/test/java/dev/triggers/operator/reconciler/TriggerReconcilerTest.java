package dev.triggers.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.ScaleUpSpec;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The reconciler: validation, target checks, namespaces, labels, and errors as status. */
class TriggerReconcilerTest {
    static final String NS = "shop";
    MockCluster cluster;

    void start(OperatorConfig config) {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.namespace("other");
        cluster.startOperator(config, Clock.systemUTC(), List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void aFireRecordAloneDoesNotWakeTheReconcilerButAnythingElseDoes() {
        Trigger before = Triggers.redeploy(NS, "restart-web", "web");
        before.getMetadata().setGeneration(1L);
        before.setStatus(new TriggerStatus());
        before.getStatus().setStatus(TriggerStatus.READY);
        Trigger fired = copy(before, t -> {
            t.getStatus().setFireCount(3L);
            t.getStatus().setLastFiredAt("2026-11-26T10:00:00Z");
            t.getStatus().setLastFireResult("restarted Deployment shop/web");
        });
        assertThat(TriggerReconciler.worthReconciling(fired, before)).as("only the executor's fire record changed").isFalse();
        assertThat(TriggerReconciler.worthReconciling(copy(fired, t -> t.getStatus().setStatus(TriggerStatus.ERROR)), before)).isTrue();
        assertThat(TriggerReconciler.worthReconciling(copy(fired, t -> t.getMetadata().setGeneration(2L)), before)).isTrue();
        assertThat(TriggerReconciler.worthReconciling(copy(fired, t -> t.getMetadata().setAnnotations(
                java.util.Map.of(Trigger.ANNOTATION_FIRE_REQUEST, "now"))), before)).isTrue();
        assertThat(TriggerReconciler.worthReconciling(copy(fired, t -> t.getMetadata().setLabels(java.util.Map.of("team", "a"))), before)).isTrue();
        assertThat(TriggerReconciler.worthReconciling(copy(fired, t -> t.setStatus(null)), before)).as("status wiped").isTrue();
    }

    private static Trigger copy(Trigger t, Consumer<Trigger> change) {
        var serialization = new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
        Trigger copy = serialization.unmarshal(serialization.asJson(t), Trigger.class);
        change.accept(copy);
        return copy;
    }

    @Test
    void missingTargetIsAnErrorUntilTheDeploymentAppears() {
        start(MockCluster.testConfig());
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        Trigger t = awaitStatus("restart-web", TriggerStatus.ERROR);
        assertThat(t.getStatus().getErrorMessage()).contains("Deployment shop/web not found");
        assertThat(condition(t, "TargetReady")).satisfies(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getMessage()).contains("shop/web");
        });
        assertThat(condition(t, "Ready").getStatus()).isEqualTo("False");

        cluster.deployment(NS, "web");
        Trigger ready = awaitStatus("restart-web", TriggerStatus.READY);
        assertThat(ready.getStatus().getErrorMessage()).isEmpty();
        assertThat(condition(ready, "TargetReady").getStatus()).as("%s", ready.getStatus().getConditions()).isEqualTo("True");
        assertThat(condition(ready, "Ready").getStatus()).isEqualTo("True");
        assertThat(ready.getStatus().getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
    }

    @Test
    void crossNamespaceTargetIsRefusedByDefault() {
        start(MockCluster.testConfig());
        cluster.deployment("other", "web");
        Trigger trigger = Triggers.redeploy(NS, "restart-other", "web");
        trigger.getSpec().getTarget().setNamespace("other");
        cluster.create(trigger);
        Trigger t = awaitStatus("restart-other", TriggerStatus.ERROR);
        assertThat(t.getStatus().getErrorMessage()).contains("spec.target.namespace 'other' is not the Trigger's namespace 'shop'");
    }

    @Test
    void crossNamespaceTargetIsAcceptedOnceTheTargetNamespaceGrantsIt() {
        start(MockCluster.testConfig());
        cluster.deployment("other", "web");
        Trigger trigger = Triggers.redeploy(NS, "restart-other", "web");
        trigger.getSpec().getTarget().setNamespace("other");
        cluster.create(trigger);
        Trigger refused = awaitStatus("restart-other", TriggerStatus.ERROR);
        assertThat(refused.getStatus().getErrorMessage()).contains("no TriggerGrant in 'other' lets Triggers of 'shop' Redeploy there")
                .contains("kind: TriggerGrant").contains("spec: {from: [{namespace: shop}], actions: [Redeploy]}");
        assertThat(refused.getStatus().getConditions()).anySatisfy(c -> assertThat(c.getReason()).isEqualTo("NotGranted"));

        cluster.grant("other", "from-shop", NS, null);
        awaitStatus("restart-other", TriggerStatus.READY);
    }

    @Test
    void theKillSwitchRefusesCrossNamespaceTargetsWhateverTheGrants() {
        start(MockCluster.testConfig().with(c -> c.allowCrossNamespaceTargets = false));
        cluster.deployment("other", "web");
        cluster.grant("other", "from-shop", NS, null);
        Trigger trigger = Triggers.redeploy(NS, "restart-other", "web");
        trigger.getSpec().getTarget().setNamespace("other");
        cluster.create(trigger);
        Trigger t = awaitStatus("restart-other", TriggerStatus.ERROR);
        assertThat(t.getStatus().getErrorMessage()).contains("installed with cross-namespace targets off");
    }

    @Test
    void labelsFollowSourceTypeAndTarget() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getMetadata().getLabels())
                .containsEntry(Trigger.LABEL_SOURCE_TYPE, "Webhook")
                .containsEntry(Trigger.LABEL_TARGET, "web"));
        assertThat(cluster.client().resources(Trigger.class).inNamespace(NS).withLabel(Trigger.LABEL_SOURCE_TYPE, "Webhook").list().getItems())
                .extracting(x -> x.getMetadata().getName()).containsExactly("restart-web");
    }

    /** The CRD's CEL rules are not enforced by the mock API: the reconciler enforces the same rules. */
    @Test
    void everyCelRuleBrokenOnTheMockIsAnError() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        expectError("scaleup-on-redeploy", t -> t.getSpec().getAction().setScaleUp(new ScaleUpSpec(1, 3)),
                "spec.action.scaleUp is only allowed with spec.action.type ScaleUp");
        expectError("max-zero", t -> t.getSpec().setAction(new ActionSpec(ActionSpec.SCALE_UP, new ScaleUpSpec(1, 0))),
                "maxReplicas must be at least 1");
        expectError("scaleup-without-block", t -> t.getSpec().setAction(new ActionSpec(ActionSpec.SCALE_UP, null)),
                "needs spec.action.scaleUp.maxReplicas");
        expectError("wrong-block", t -> t.getSpec().getSource().setCron(new CronSource("0 3 * * *", null)),
                "spec.source.cron is set but spec.source.type is Webhook");
        expectError("missing-block", t -> { t.getSpec().getSource().setType(SourceSpec.CRON); t.getSpec().getSource().setWebhook(null); },
                "spec.source.type is Cron but spec.source.cron is missing");
        expectError("unknown-type", t -> t.getSpec().getSource().setType("Kafka"), "spec.source.type 'Kafka' is unknown");
        expectError("wrong-kind", t -> t.getSpec().getTarget().setKind("CronJob"), "spec.target.kind 'CronJob' is not supported");
        expectError("wrong-action", t -> t.getSpec().getAction().setType("Delete"), "spec.action.type 'Delete' is not supported");
    }

    @Test
    void sourceTypeIsImmutable() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getMetadata().getLabels())
                .containsEntry(Trigger.LABEL_SOURCE_TYPE, "Webhook"));
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"source\":{\"type\":\"Cron\",\"webhook\":null,\"cron\":{\"schedule\":\"0 3 * * *\"}}}}");
        Trigger t = awaitStatus("restart-web", TriggerStatus.ERROR);
        assertThat(t.getStatus().getErrorMessage()).contains("spec.source.type is immutable: it was Webhook and is now Cron");
    }

    @Test
    void suspendedTriggerSaysSo() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setSuspend(true);
        cluster.create(trigger);
        Trigger t = awaitStatus("restart-web", TriggerStatus.SUSPENDED);
        assertThat(condition(t, "Ready").getMessage()).contains("nothing fires");
    }

    void expectError(String name, Consumer<Trigger> breakIt, String fragment) {
        Trigger trigger = Triggers.redeploy(NS, name, "web");
        breakIt.accept(trigger);
        cluster.create(trigger);
        Trigger t = awaitStatus(name, TriggerStatus.ERROR);
        assertThat(t.getStatus().getErrorMessage()).contains(fragment);
        assertThat(condition(t, "Ready").getReason()).isEqualTo("InvalidSpec");
    }

    Trigger awaitStatus(String name, String status) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Trigger t = cluster.trigger(NS, name);
            assertThat(t.getStatus()).isNotNull();
            assertThat(t.getStatus().getStatus()).as("status of %s: %s", name, t.getStatus().getErrorMessage()).isEqualTo(status);
        });
        return cluster.trigger(NS, name);
    }

    static Condition condition(Trigger t, String type) {
        return t.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }
}
