package dev.triggers.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.webhook.WebhookFixture;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A 202 survives the leader: the leader is killed (its API client cut first, so nothing it does afterwards reaches the
 * API; then its threads are stopped) after answering and before firing, 20 times in a row, with a cooldown of an hour
 * so that each accepted burst waits. Every new leader fires what the last one accepted, once: counted on the status
 * and on the Deployment's pod template, whose every change the test watches.
 */
class WebhookLeaderCrashTest {
    static final String NS = "shop";
    static final int ROUNDS = 20;

    MockCluster cluster;
    Leader leader;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    /** The pod template's event id after every change of it: one entry per rollout. */
    final List<String> rollouts = Collections.synchronizedList(new ArrayList<>());
    /** Every event id the Trigger's status.acceptedEvents ever held. */
    final java.util.Set<String> everAccepted = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Watch watch;
    Watch triggerWatch;

    /** One operator process: its own API client, webhook server and operator. */
    record Leader(KubernetesClient client, WebhookSourceFactory webhook, TriggerOperator operator) {
        /** No graceful shutdown: the API is unreachable for it before anything stops. */
        void crash() {
            client.close();
            operator.close();
            webhook.close();
        }
    }

    Leader startLeader() {
        KubernetesClient client = cluster.server().createClient();
        OperatorConfig config = MockCluster.testConfig().with(c -> c.webhookBaseUrl = "http://hooks.test");
        var metrics = new SimpleMeterRegistry();
        WebhookSourceFactory webhook = WebhookSourceFactory.open(client, config, WebhookFixture.settings(), Clock.systemUTC(), metrics);
        TriggerOperator operator = new TriggerOperator(client, config, Clock.systemUTC(), metrics, List.of(webhook));
        operator.start();
        return new Leader(client, webhook, operator);
    }

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        watch = cluster.client().apps().deployments().inNamespace(NS).withName("web").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Deployment d) {
                var annotations = d.getSpec().getTemplate().getMetadata() == null ? null : d.getSpec().getTemplate().getMetadata().getAnnotations();
                String id = annotations == null ? null : annotations.get(RedeployAction.EVENT_ID);
                synchronized (rollouts) {
                    if (id != null && (rollouts.isEmpty() || !id.equals(rollouts.get(rollouts.size() - 1)))) rollouts.add(id);
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
        triggerWatch = cluster.client().resources(Trigger.class).inNamespace(NS).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Trigger t) {
                if (t.getStatus() != null && t.getStatus().getAcceptedEvents() != null) everAccepted.addAll(t.getStatus().getAcceptedEvents().keySet());
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
    }

    @AfterEach
    void stop() {
        watch.close();
        triggerWatch.close();
        if (leader != null) leader.crash();
        cluster.close();
    }

    @Test
    void everyEventAcceptedBeforeTheLeaderDiesFiresOnceOnTheNextLeader() throws Exception {
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setCooldownSeconds(3600);
        cluster.create(trigger);
        leader = startLeader();
        String token = token();
        await().atMost(Duration.ofSeconds(30)).until(() -> status() != null && TriggerStatus.READY.equals(status().getStatus()));

        // The first call fires at once, and is answered once its patch is made (the target keeps it: no status write);
        // from then on every call waits for the hour-long cooldown.
        String first = post(token);
        assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .as("patched before the 202").containsEntry(RedeployAction.EVENT_ID, first);
        await().atMost(Duration.ofSeconds(30)).until(() -> List.copyOf(rollouts).equals(List.of(first)));
        List<String> expected = new ArrayList<>(List.of(first));

        for (int round = 1; round <= ROUNDS; round++) {
            List<String> burst = List.of(post(token), post(token), post(token));
            // One write per coalescing window: only the first call of the burst is recorded.
            Map<String, TriggerStatus.EventRecord> kept = status().getAcceptedEvents();
            assertThat(kept).as("round %d: status.acceptedEvents", round).containsOnlyKeys(burst.get(0));
            assertThat(kept.get(burst.get(0)).getSource()).isEqualTo("webhook");
            assertThat(List.copyOf(rollouts)).as("round %d: nothing fired inside the cooldown", round).isEqualTo(expected);

            leader.crash();
            leader = startLeader();

            expected.add(burst.get(0));
            int fires = round + 1;
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                TriggerStatus s = status();
                assertThat(s.getFireCount()).isEqualTo(fires);
                assertThat(s.getAcceptedEvents()).isNullOrEmpty();
                assertThat(s.getLastEvent().getId()).isEqualTo(burst.get(0));
                // The watch may see the patch after the status shows the fire; a second rollout would show next round.
                assertThat(List.copyOf(rollouts)).as("one rollout per accepted burst").isEqualTo(expected);
            });
        }
        leader.crash();
        leader = null;
        assertThat(Objects.requireNonNull(status().getFireCount())).isEqualTo(ROUNDS + 1L);
        assertThat(List.copyOf(rollouts)).as("no rollout twice").isEqualTo(expected);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(everAccepted).as("each burst's first call was kept in the status")
                .containsAll(expected.subList(1, expected.size())));
        assertThat(everAccepted).as("the call that fired at once was never written").doesNotContain(first);
    }

    /**
     * The leader patched the target and died before its status write: the status still holds the event, the pod
     * template already carries it. The next leader fires it again, and that patches nothing.
     */
    @Test
    void anEventFiredJustBeforeTheCrashIsNotRolledOutAgain() {
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setCooldownSeconds(3600);
        cluster.create(trigger);
        String id = "0193a7c2-5d1e-4a52-9b1e-6f3c2d1e0a9b";
        String receivedAt = "2026-11-29T08:00:00.250Z";
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                cluster.client().getKubernetesSerialization().asJson(Map.of("status", Map.of("acceptedEvents",
                        Map.of(id, new TriggerStatus.EventRecord("webhook", id, receivedAt, "10.0.0.7"))))));
        cluster.client().apps().deployments().inNamespace(NS).withName("web").edit(d -> {
            if (d.getSpec().getTemplate().getMetadata() == null) d.getSpec().getTemplate().setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
            d.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(
                    RedeployAction.RESTARTED_AT, Instant.parse(receivedAt).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    RedeployAction.FIRED_BY, NS + ".restart-web",
                    RedeployAction.EVENT_SOURCE, "webhook",
                    RedeployAction.EVENT_ID, id));
            return d;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> List.copyOf(rollouts).equals(List.of(id)));
        String version = cluster.getDeployment(NS, "web").getMetadata().getResourceVersion();

        leader = startLeader();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TriggerStatus s = status();
            assertThat(s.getAcceptedEvents()).isNullOrEmpty();
            assertThat(s.getFireCount()).isEqualTo(1L);
            assertThat(s.getLastFireResult()).contains("already restarted for event " + id);
        });
        assertThat(cluster.getDeployment(NS, "web").getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(List.copyOf(rollouts)).containsExactly(id);
    }

    TriggerStatus status() {
        return cluster.trigger(NS, "restart-web").getStatus();
    }

    String token() {
        return await().atMost(Duration.ofSeconds(30)).until(() -> {
            var s = cluster.client().secrets().inNamespace(NS).withName("restart-web-webhook").get();
            return s == null ? null : new String(Base64.getDecoder().decode(s.getData().get("token")));
        }, Objects::nonNull);
    }

    /** POSTs to the current leader; returns the event id of its 202. */
    String post(String token) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + leader.webhook().port() + "/hooks/" + NS + "/restart-web"))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("answer to a valid call: %s", r.body()).isEqualTo(202);
        return r.body().replaceAll(".*\"eventId\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    }
}
