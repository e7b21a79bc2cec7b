package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.RolloutSpec;
import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.RolloutFollowing;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import dev.triggers.operator.testing.WorkloadControllers;
import io.fabric8.kubernetes.api.model.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Given a Trigger and a Deployment, when it fires, then the operator follows the rollout to its end: status.lastRollout,
 * the Events and the duration histogram say how it went. The mock API runs no Deployment controller: the test writes
 * the Deployment's status as the controller would ({@link WorkloadControllers}).
 */
class RolloutFireTest {
    static final String NS = "shop";
    MockCluster cluster;
    WorkloadControllers controllers;
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    TriggerOperator operator;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        controllers = new WorkloadControllers(cluster.client());
        operator = cluster.startOperator(MockCluster.testConfig().with(c -> c.rollouts = new RolloutFollowing(true, 200, 5000)),
                Clock.systemUTC(), metrics, List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void aCompleteRolloutIsOnTheStatusInAnEventAndOnTheHistogram() throws Exception {
        cluster.deployment(NS, "web", 2, Map.of());
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitReady("restart-web");

        FireResult result = fire("restart-web", "e1").get(30, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as(result.summary()).isTrue();
        await().untilAsserted(() -> assertThat(rollout("restart-web")).isNotNull()
                .satisfies(r -> assertThat(r.getState()).isEqualTo(RolloutStatus.PROGRESSING)));
        assertThat(rollout("restart-web").getEventId()).isEqualTo("e1");
        assertThat(rollout("restart-web").getStartedAt()).isNotNull();

        controllers.deploymentComplete(NS, "web");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(rollout("restart-web").getState()).isEqualTo(RolloutStatus.COMPLETE));
        RolloutStatus done = rollout("restart-web");
        assertThat(done.getReason()).contains("rolled out");
        assertThat(Instant.parse(done.getEndedAt())).isAfter(Instant.parse(done.getStartedAt()));
        await().untilAsserted(() -> assertThat(events("restart-web")).filteredOn(e -> FireRecorder.REASON_ROLLOUT_COMPLETE.equals(e.getReason()))
                .singleElement().satisfies(e -> {
                    assertThat(e.getType()).isEqualTo("Normal");
                    assertThat(e.getMessage()).contains("event e1").contains("complete in");
                }));
        Timer histogram = metrics.find("trigger_rollout_duration").tags("namespace", NS, "action", "Redeploy", "state", RolloutStatus.COMPLETE).timer();
        assertThat(histogram).isNotNull();
        assertThat(histogram.count()).isEqualTo(1);
        // The reconciler leaves the executor's lastRollout alone.
        assertThat(cluster.trigger(NS, "restart-web").getStatus().getStatus()).isEqualTo(TriggerStatus.READY);
    }

    @Test
    void aRolloutPastItsDeadlineIsFailedWithAWarningEvent() throws Exception {
        cluster.deployment(NS, "web", 2, Map.of());
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitReady("restart-web");
        fire("restart-web", "e1").get(30, TimeUnit.SECONDS);
        controllers.deploymentDeadlineExceeded(NS, "web");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(rollout("restart-web").getState()).isEqualTo(RolloutStatus.FAILED));
        assertThat(rollout("restart-web").getReason()).contains("exceeded its progress deadline");
        await().untilAsserted(() -> assertThat(events("restart-web")).filteredOn(e -> FireRecorder.REASON_ROLLOUT_FAILED.equals(e.getReason()))
                .singleElement().extracting(Event::getType).isEqualTo("Warning"));
    }

    @Test
    void theTriggersTimeoutFailsASlowRollout() throws Exception {
        cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = Triggers.redeploy(NS, "restart-web", "web");
        t.getSpec().setRollout(new RolloutSpec(1, null));
        cluster.create(t);
        awaitReady("restart-web");
        fire("restart-web", "e1").get(30, TimeUnit.SECONDS);
        controllers.deploymentRolling(NS, "web", 1);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(rollout("restart-web").getState()).isEqualTo(RolloutStatus.FAILED));
        assertThat(rollout("restart-web").getReason()).contains("rollout.timeoutSeconds (1 s)");
    }

    @Test
    void queueTwentyEventsDuringALongRolloutBecomeExactlyOneRestartAfterIt() throws Exception {
        cluster.deployment(NS, "web", 2, Map.of());
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitReady("restart-web");
        fire("restart-web", "e0").get(30, TimeUnit.SECONDS);
        controllers.deploymentRolling(NS, "web", 1);

        List<CompletableFuture<FireResult>> waiting = new ArrayList<>();
        for (int i = 1; i <= 20; i++) waiting.add(fire("restart-web", "e" + i));
        // For 3 s, long enough for the tracker to read the Deployment at least once: still rolling, nothing fires.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(waiting).noneMatch(CompletableFuture::isDone));
        assertThat(templateEventId("web")).isEqualTo("e0");
        assertThat(cluster.getDeployment(NS, "web").getMetadata().getGeneration()).isEqualTo(2L);

        controllers.deploymentComplete(NS, "web");
        CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(templateEventId("web")).isEqualTo("e20");
        assertThat(cluster.getDeployment(NS, "web").getMetadata().getGeneration()).as("one restart for the 20 events").isEqualTo(3L);
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getFireCount()).isEqualTo(2L));
        assertThat(cluster.trigger(NS, "restart-web").getStatus().getCoalescedCount()).isEqualTo(19L);
        await().untilAsserted(() -> assertThat(rollout("restart-web").getEventId()).isEqualTo("e20"));
    }

    @Test
    void restartFiresEveryEventAtOnceAsWithoutFollowing() throws Exception {
        cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = Triggers.redeploy(NS, "restart-web", "web");
        t.getSpec().setRollout(new RolloutSpec(null, RolloutSpec.RESTART));
        cluster.create(t);
        awaitReady("restart-web");
        for (int i = 1; i <= 3; i++) {
            FireResult result = fire("restart-web", "e" + i).get(30, TimeUnit.SECONDS);
            assertThat(result.succeeded()).isTrue();
            assertThat(templateEventId("web")).isEqualTo("e" + i);
        }
        assertThat(cluster.getDeployment(NS, "web").getMetadata().getGeneration()).isEqualTo(4L);
        await().untilAsserted(() -> assertThat(rollout("restart-web").getEventId()).isEqualTo("e3"));
        Timer superseded = metrics.find("trigger_rollout_duration").tags("state", RolloutStatus.SUPERSEDED).timer();
        assertThat(superseded).isNotNull();
        assertThat(superseded.count()).isEqualTo(2);
    }

    @Test
    void aPausedDeploymentMakesTheEventsWaitThenFiresOnceAfterTheResume() throws Exception {
        cluster.deployment(NS, "web", 2, Map.of());
        cluster.client().apps().deployments().inNamespace(NS).withName("web").edit(d -> { d.getSpec().setPaused(true); return d; });
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitReady("restart-web");

        List<CompletableFuture<FireResult>> waiting = new ArrayList<>();
        waiting.add(fire("restart-web", "e1"));
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getWaitingFor())
                .contains("Deployment shop/web is paused").contains("kubectl rollout resume deployment/web -n shop").contains("fire once it is resumed"));
        for (int i = 2; i <= 5; i++) waiting.add(fire("restart-web", "e" + i));
        // For 3 s, long enough for the tracker to read the Deployment meanwhile: still paused, nothing fires.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(waiting).noneMatch(CompletableFuture::isDone));
        assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations()).isNullOrEmpty();
        Trigger paused = cluster.trigger(NS, "restart-web");
        assertThat(paused.getStatus().getStatus()).as("waiting is not an error").isEqualTo(TriggerStatus.READY);

        cluster.client().apps().deployments().inNamespace(NS).withName("web").edit(d -> { d.getSpec().setPaused(false); return d; });
        CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(waiting.get(0).get().succeeded()).as(waiting.get(0).get().summary()).isTrue();
        assertThat(templateEventId("web")).isEqualTo("e5");
        await().untilAsserted(() -> {
            TriggerStatus s = cluster.trigger(NS, "restart-web").getStatus();
            assertThat(s.getFireCount()).as("one fire for the five events").isEqualTo(1L);
            assertThat(s.getCoalescedCount()).isEqualTo(4L);
            assertThat(s.getWaitingFor()).isNull();
            assertThat(s.getLastRollout().getEventId()).isEqualTo("e5");
        });
    }

    @Test
    void aPausedTriggerIsRefusedWhileWaitingWhenSuspended() throws Exception {
        cluster.deployment(NS, "web", 2, Map.of());
        cluster.client().apps().deployments().inNamespace(NS).withName("web").edit(d -> { d.getSpec().setPaused(true); return d; });
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        awaitReady("restart-web");
        CompletableFuture<FireResult> waiting = fire("restart-web", "e1");
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getWaitingFor()).isNotNull());

        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").edit(t -> { t.getSpec().setSuspend(true); return t; });
        assertThat(waiting.get(30, TimeUnit.SECONDS).refused()).isTrue();
        await().untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getWaitingFor()).isNull());
        cluster.client().apps().deployments().inNamespace(NS).withName("web").edit(d -> { d.getSpec().setPaused(false); return d; });
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations()).isNullOrEmpty());
    }

    @Test
    void notifyPostsOneDocumentPerOutcomeAndADownReceiverNeverHoldsAFire() throws Exception {
        List<String> states = new java.util.concurrent.CopyOnWriteArrayList<>();
        var receiver = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            states.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("state").asText());
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        int port = receiver.getAddress().getPort();
        cluster.client().secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("hook")
                .withNamespace(NS).withLabels(Map.of("triggers.dev/credentials", "true")).endMetadata()
                .withStringData(Map.of("url", "http://127.0.0.1:" + port + "/hook")).build()).create();
        cluster.deployment(NS, "web", 2, Map.of());
        Trigger t = Triggers.redeploy(NS, "restart-web", "web");
        t.getSpec().setNotify(new dev.triggers.operator.api.v1alpha1.NotifySpec(new dev.triggers.operator.api.v1alpha1.SecretRef("hook")));
        cluster.create(t);
        awaitReady("restart-web");

        fire("restart-web", "e1").get(30, TimeUnit.SECONDS);
        controllers.deploymentComplete(NS, "web");
        await().atMost(Duration.ofSeconds(20)).until(() -> states.size() == 1);
        fire("restart-web", "e2").get(30, TimeUnit.SECONDS);
        controllers.deploymentDeadlineExceeded(NS, "web");
        await().atMost(Duration.ofSeconds(20)).until(() -> states.size() == 2);
        assertThat(states).containsExactly(RolloutStatus.COMPLETE, RolloutStatus.FAILED);

        receiver.stop(0); // the receiver is down: the next outcome's delivery fails and is retried
        fire("restart-web", "e3").get(30, TimeUnit.SECONDS);
        controllers.deploymentComplete(NS, "web");
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            var retries = metrics.find("trigger_notification_retries_total").counter();
            return retries != null && retries.count() >= 1;
        });
        FireResult next = fire("restart-web", "e4").get(30, TimeUnit.SECONDS);
        assertThat(next.succeeded()).as("fires go on while the notification is retried").isTrue();
        assertThat(templateEventId("web")).isEqualTo("e4");
        assertThat(states).hasSize(2);
    }

    /**
     * Waves: an application of 4 Deployments with maxConcurrent 1 restarts them one at a time, in order (the wave label
     * first: "d" is labelled wave 0; then by name), each once the one before it is Complete, as its controller reports.
     */
    @Test
    void maxConcurrentOneRestartsFourDeploymentsInFourWavesEachAfterThePreviousIsComplete() throws Exception {
        application("a", "b", "c");
        cluster.deployment(NS, "d", 1, Map.of("app.kubernetes.io/instance", "shop", Waves.WAVE_LABEL, "0"));
        cluster.create(waves("restart-shop", "1"));
        awaitReady("restart-shop");

        FireResult result = fire("restart-shop", "w1").get(30, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as(result.summary()).isTrue();
        assertThat(result.summary()).contains("restarted Deployment shop/d", "Deployment shop/a waits for wave 2 of 4",
                "Deployment shop/c waits for wave 4 of 4");
        List<String> order = List.of("d", "a", "b", "c");
        for (int wave = 0; wave < order.size(); wave++) {
            String now = order.get(wave);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(templateEventId(now)).isEqualTo("w1"));
            for (String later : order.subList(wave + 1, order.size())) {
                assertThat(templateEventId(later)).as("%s waits for its wave", later).isNull();
            }
            int number = wave + 1;
            await().untilAsserted(() -> assertThat(rollout("restart-shop").getReason()).startsWith("wave " + number + " of 4"));
            controllers.deploymentComplete(NS, now);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rollout("restart-shop").getState()).isEqualTo(RolloutStatus.COMPLETE));
        assertThat(rollout("restart-shop").getWorkloads()).extracting(RolloutStatus.WorkloadRollout::getName).containsExactly("d", "a", "b", "c");
        assertThat(rollout("restart-shop").getWorkloads()).allSatisfy(w -> assertThat(w.getState()).isEqualTo(RolloutStatus.COMPLETE));
    }

    @Test
    void aFailedSecondWaveStopsTheWavesAfterItAndTheStatusNamesThem() throws Exception {
        application("a", "b", "c", "d");
        cluster.create(waves("restart-shop", "25%"));
        awaitReady("restart-shop");

        assertThat(fire("restart-shop", "w1").get(30, TimeUnit.SECONDS).succeeded()).isTrue();
        assertThat(templateEventId("a")).isEqualTo("w1");
        controllers.deploymentComplete(NS, "a");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(templateEventId("b")).isEqualTo("w1"));
        await().untilAsserted(() -> assertThat(rollout("restart-shop").getWorkloads()).extracting(RolloutStatus.WorkloadRollout::getState)
                .containsExactly(RolloutStatus.COMPLETE, RolloutStatus.PROGRESSING, RolloutStatus.WAITING, RolloutStatus.WAITING));
        controllers.deploymentDeadlineExceeded(NS, "b");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rollout("restart-shop").getState()).isEqualTo(RolloutStatus.FAILED));
        assertThat(rollout("restart-shop").getReason()).contains("Deployment shop/b exceeded its progress deadline")
                .endsWith("not restarted (later waves): Deployment shop/c, Deployment shop/d");
        assertThat(rollout("restart-shop").getWorkloads()).extracting(RolloutStatus.WorkloadRollout::getState)
                .containsExactly(RolloutStatus.COMPLETE, RolloutStatus.FAILED, RolloutStatus.NOT_RESTARTED, RolloutStatus.NOT_RESTARTED);
        assertThat(templateEventId("c")).isNull();
        assertThat(templateEventId("d")).isNull();
    }

    /** examples/cluster-only/application-waves.yaml as written: its first wave is one workload, the next waits for it. */
    @Test
    void theWavesExampleRestartsOneWorkloadAtATime() throws Exception {
        cluster.namespace("demo");
        for (String name : List.of("web", "worker")) cluster.deployment("demo", name, 1, Map.of("app.kubernetes.io/instance", "shop"));
        dev.triggers.operator.testing.Manifests.apply(cluster.client(),
                dev.triggers.operator.testing.Manifests.examplesDir().resolve("cluster-only/application-waves.yaml"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.trigger("demo", "restart-shop-in-waves").getStatus())
                .isNotNull().extracting(TriggerStatus::getStatus).isEqualTo(TriggerStatus.READY));
        FireResult result = operator.executor().submit(new ResourceID("restart-shop-in-waves", "demo"),
                new TriggerEvent(TriggerEvent.WEBHOOK, "e1", Instant.now())).get(30, TimeUnit.SECONDS);
        assertThat(result.summary()).isEqualTo("restarted Deployment demo/web; Deployment demo/worker waits for wave 2 of 2");
        controllers.deploymentComplete("demo", "web");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.getDeployment("demo", "worker").getSpec().getTemplate()
                .getMetadata().getAnnotations()).containsEntry(RedeployAction.EVENT_ID, "e1"));
    }

    void application(String... names) {
        for (String name : names) cluster.deployment(NS, name, 1, Map.of("app.kubernetes.io/instance", "shop"));
    }

    static Trigger waves(String name, String maxConcurrent) {
        Trigger t = Triggers.application(NS, name, "shop");
        t.getSpec().getAction().setMaxConcurrent(maxConcurrent);
        return t;
    }

    CompletableFuture<FireResult> fire(String trigger, String eventId) {
        return operator.executor().submit(new ResourceID(trigger, NS), new TriggerEvent(TriggerEvent.WEBHOOK, eventId, Instant.now()));
    }

    void awaitReady(String name) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.trigger(NS, name).getStatus()).isNotNull()
                .extracting(TriggerStatus::getStatus).isEqualTo(TriggerStatus.READY));
    }

    RolloutStatus rollout(String trigger) {
        TriggerStatus s = cluster.trigger(NS, trigger).getStatus();
        return s == null ? null : s.getLastRollout();
    }

    String templateEventId(String deployment) {
        Map<String, String> annotations = cluster.getDeployment(NS, deployment).getSpec().getTemplate().getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(RedeployAction.EVENT_ID);
    }

    List<Event> events(String trigger) {
        return cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> trigger.equals(e.getInvolvedObject().getName())).toList();
    }
}
