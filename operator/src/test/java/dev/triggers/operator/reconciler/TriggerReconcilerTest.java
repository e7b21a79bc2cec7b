package dev.triggers.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.RolloutSpec;
import dev.triggers.operator.api.v1alpha1.ScaleUpSpec;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The reconciler: validation, target checks, namespaces, labels, errors as status, and how its status is written. */
class TriggerReconcilerTest {
    static final String NS = "shop";
    MockCluster cluster;

    void start(OperatorConfig config) {
        start(config, new IdleSourceFactory(SourceSpec.WEBHOOK));
    }

    TriggerOperator start(OperatorConfig config, SourceFactory factory) {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.namespace("other");
        return cluster.startOperator(config, Clock.systemUTC(), List.of(factory));
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
        // A cron fire's record moves nextFireAt on (part of the fire record): no reason either, with anything else it is.
        Trigger nextSlot = copy(fired, t -> t.getStatus().setNextFireAt("2026-11-26T10:05:00Z"));
        assertThat(TriggerReconciler.worthReconciling(nextSlot, before)).as("only the next slot moved").isFalse();
        assertThat(TriggerReconciler.worthReconciling(copy(nextSlot, t -> t.getStatus().setErrorMessage("x")), before)).isTrue();
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
        expectError("rollout-mode", t -> t.getSpec().setRollout(new RolloutSpec(null, "Wait")),
                "spec.rollout.whileProgressing 'Wait' is not supported: use Queue (the default) or Restart");
        expectError("notify-without-secret", t -> t.getSpec().setNotify(new dev.triggers.operator.api.v1alpha1.NotifySpec(null)),
                "spec.notify.urlSecretRef.name must name a Secret");
        expectError("rollout-timeout", t -> t.getSpec().setRollout(new RolloutSpec(0, null)), "spec.rollout.timeoutSeconds must be between 1 and 86400, not 0");
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

    @Test
    void aSuspendUntilAheadSuspendsAndTheTriggerResumesByItselfWhenItPasses() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        Instant until = Instant.now().plusSeconds(3).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        trigger.getSpec().setSuspendUntil(until.toString());
        cluster.create(trigger);
        Trigger t = awaitStatus("restart-web", TriggerStatus.SUSPENDED);
        assertThat(condition(t, "Ready").getMessage()).contains("suspended until " + until + " (spec.suspendUntil)").contains("resumes by itself");
        // Nothing touches the Trigger after this: the reconciler's own reschedule brings it back.
        Trigger ready = awaitStatus("restart-web", TriggerStatus.READY);
        assertThat(Instant.now()).as("not before the time given").isAfterOrEqualTo(until);
        assertThat(ready.getSpec().getSuspendUntil()).as("the spec is never written").isEqualTo(until.toString());
    }

    @Test
    void aSuspendUntilInThePastChangesNothingAndSuspendWinsOverIt() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        Trigger past = Triggers.redeploy(NS, "past", "web");
        past.getSpec().setSuspendUntil("2020-01-01T00:00:00+01:00");
        cluster.create(past);
        awaitStatus("past", TriggerStatus.READY);

        Trigger both = Triggers.redeploy(NS, "both", "web");
        both.getSpec().setSuspend(true);
        both.getSpec().setSuspendUntil("2020-01-01T00:00:00Z");
        cluster.create(both);
        Trigger t = awaitStatus("both", TriggerStatus.SUSPENDED);
        assertThat(condition(t, "Ready").getMessage()).contains("spec.suspend is true");
    }

    @Test
    void aSuspendUntilThatIsNoTimeIsAnError() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        expectError("bad-until", t -> t.getSpec().setSuspendUntil("tomorrow morning"),
                "spec.suspendUntil 'tomorrow morning' is not an RFC 3339 time: write it as 2026-12-01T06:00:00Z");
        expectError("bad-month", t -> t.getSpec().setSuspendUntil("2026-13-01T06:00:00Z"), "spec.suspendUntil '2026-13-01T06:00:00Z'");
    }

    @Test
    void aRevertAfterSecondsOutOfRangeIsAnError() {
        start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        expectError("revert-zero", t -> {
            t.getSpec().setAction(new ActionSpec(ActionSpec.SCALE_UP, new ScaleUpSpec(1, 4)));
            t.getSpec().getAction().getScaleUp().setRevertAfterSeconds(0);
        }, "spec.action.scaleUp.revertAfterSeconds must be between 1 and 604800 (7 days), not 0");
    }

    /**
     * JOSDK patches the difference between the Trigger the reconciler read and the one it returned. A fire
     * recorded in between (FireRecorder's merge patch) is not in that difference: it stays.
     */
    @Test
    void aFireRecordWrittenBetweenTheReadAndTheStatusPatchIsKept() {
        ScriptedSourceFactory source = new ScriptedSourceFactory();
        TriggerOperator operator = start(MockCluster.testConfig(), source);
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);
        ResourceID id = new ResourceID("restart-web", NS);
        FireRecorder recorder = new FireRecorder(cluster.client(), Clock.systemUTC());
        Instant now = Instant.now();
        recorder.recordStatus(cluster.trigger(NS, "restart-web"), new TriggerEvent(TriggerEvent.WEBHOOK, "ev-1", now), now,
                FireResult.failed("the first fire"), 1, 0, 0, null, List.of());
        await().until(() -> operator.sources().trigger(id).map(t -> t.getStatus().getFireCount()).orElse(0L) == 1L);

        // Next reconcile: a second fire is recorded after the read, and the source's block changes, so there is a status to patch.
        AtomicReference<Trigger> read = new AtomicReference<>();
        source.onObserve = t -> {
            if (read.compareAndSet(null, t)) {
                recorder.recordStatus(t, new TriggerEvent(TriggerEvent.WEBHOOK, "ev-2", now), now.plusSeconds(1),
                        FireResult.failed("the second fire"), 2, 0, 0, null, List.of());
            }
        };
        source.url = "https://hooks.example/shop/b";
        touch("restart-web", "1");

        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getUrl()).isEqualTo("https://hooks.example/shop/b"));
        assertThat(read.get().getStatus().getFireCount()).as("the reconciler read the first fire").isEqualTo(1L);
        TriggerStatus s = cluster.trigger(NS, "restart-web").getStatus();
        assertThat(s.getFireCount()).isEqualTo(2L);
        assertThat(s.getLastEvent().getId()).isEqualTo("ev-2");
        assertThat(s.getLastFireResult()).isEqualTo("the second fire");
        assertThat(s.getStatus()).isEqualTo(TriggerStatus.READY);
    }

    @Test
    void aReconcileThatChangesNothingWritesNoStatus() {
        ScriptedSourceFactory source = new ScriptedSourceFactory();
        TriggerOperator operator = start(MockCluster.testConfig(), source);
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);
        ResourceID id = new ResourceID("restart-web", NS);
        await().until(() -> operator.sources().trigger(id).map(t -> TriggerStatus.READY.equals(t.getStatus().getStatus())).orElse(false));
        drainRequests();

        for (int i = 1; i <= 3; i++) {
            int before = source.observed.get();
            touch("restart-web", String.valueOf(i));
            await().until(() -> source.observed.get() > before);
        }
        // A last reconcile with a change: once it is written, every reconcile before it has returned.
        source.url = "https://hooks.example/shop/marker";
        touch("restart-web", "marker");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getUrl()).isEqualTo("https://hooks.example/shop/marker"));

        assertThat(statusPatches()).as("one status patch: the marker's, a JSON Patch (JOSDK's diff)").singleElement()
                .satisfies(type -> assertThat(type).startsWith("application/json-patch+json"));
    }

    @Test
    void aTriggerHasAStatusBeforeItsSourceStarts() {
        ScriptedSourceFactory source = new ScriptedSourceFactory();
        start(MockCluster.testConfig(), source);
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);
        assertThat(source.startedWith.getStatus()).as("the Trigger the source was started with").isNotNull();
        assertThat(source.startedWith.getStatus().getStatus()).isEqualTo(TriggerStatus.PENDING);
    }

    @Test
    void aFailedReconcileIsAnErrorWrittenOnceThenRecovers() {
        ScriptedSourceFactory source = new ScriptedSourceFactory();
        start(MockCluster.testConfig(), source);
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        Trigger ready = awaitStatus("restart-web", TriggerStatus.READY);
        drainRequests();

        source.onObserve = t -> { throw new IllegalStateException("boom"); };
        int before = source.observed.get();
        touch("restart-web", "1");
        Trigger failed = awaitStatus("restart-web", TriggerStatus.ERROR);
        assertThat(failed.getStatus().getErrorMessage()).contains("could not reconcile this Trigger and will retry").contains("boom");
        assertThat(condition(failed, "Ready").getReason()).isEqualTo("ReconcileError");
        assertThat(condition(failed, "SourceReady")).as("not observed again: kept").isEqualTo(condition(ready, "SourceReady"));
        assertThat(failed.getStatus().getUrl()).as("the source still runs").isEqualTo("https://hooks.example/shop/a");
        // JOSDK retries (and the Error write itself is an update): the same Error is not written again.
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        source.onObserve = t -> { attempts.incrementAndGet(); throw new IllegalStateException("boom"); };
        await().atMost(Duration.ofSeconds(30)).until(() -> attempts.get() >= 2);

        source.onObserve = t -> {};
        touch("restart-web", "2");
        awaitStatus("restart-web", TriggerStatus.READY);
        assertThat(statusPatches()).as("Error once, Ready once").hasSize(2);
    }

    /**
     * JOSDK's patch is a diff against the Trigger read. When the stored Trigger has moved on (a field the patch
     * replaces or removes is gone), a real API server rejects it with 422: the mock applies such patches
     * leniently, so that answer is played once here. It is retried on a fresh read, not shown as an Error.
     */
    @Test
    void aStatusPatchRejectedBecauseTheReadWasOutdatedIsRetriedNotAnError() {
        ScriptedSourceFactory source = new ScriptedSourceFactory();
        start(MockCluster.testConfig(), source);
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitStatus("restart-web", TriggerStatus.READY);
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        cluster.closeLater(cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").watch(new io.fabric8.kubernetes.client.Watcher<>() {
            @Override
            public void eventReceived(Action action, Trigger t) {
                if (t.getStatus() != null) seen.add(t.getStatus().getStatus() + " " + t.getStatus().getErrorMessage());
            }

            @Override
            public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
        }));
        cluster.server().expect().patch().withPath("/apis/triggers.dev/v1alpha1/namespaces/" + NS + "/triggers/restart-web/status")
                .andReturn(422, new io.fabric8.kubernetes.api.model.StatusBuilder().withStatus("Failure").withCode(422).withReason("Invalid")
                        .withMessage("the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: /status/url")
                        .build()).once();

        int before = source.observed.get();
        source.url = "https://hooks.example/shop/b";
        touch("restart-web", "1");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getUrl()).isEqualTo("https://hooks.example/shop/b"));

        assertThat(source.observed.get() - before).as("reconciles: the rejected one, then its retry").isGreaterThanOrEqualTo(2);
        assertThat(seen).as("statuses seen").isNotEmpty().allSatisfy(s -> assertThat(s).startsWith(TriggerStatus.READY));
        assertThat(cluster.trigger(NS, "restart-web").getStatus().getStatus()).isEqualTo(TriggerStatus.READY);
    }

    private void touch(String name, String value) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"labels\":{\"touched\":\"" + value + "\"}}}");
    }

    private void drainRequests() {
        try {
            while (cluster.server().takeRequest(1, TimeUnit.MILLISECONDS) != null) {
                // forgotten
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The content types of the status patches sent since the last drain (the mock has read their bodies). */
    private List<String> statusPatches() {
        List<String> types = new java.util.ArrayList<>();
        try {
            for (RecordedRequest r; (r = cluster.server().takeRequest(1, TimeUnit.MILLISECONDS)) != null; ) {
                if ("PATCH".equals(r.getMethod()) && r.getPath().contains("/triggers/") && r.getPath().contains("/status")) types.add(r.getHeader("Content-Type"));
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return types;
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
