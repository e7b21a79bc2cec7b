package dev.triggers.operator.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.api.v1alpha1.NotifySpec;
import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import dev.triggers.operator.testing.VirtualTime;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The notifier against a real HTTP receiver on loopback and the mock API (the Secret, the Events), retries in virtual
 * time: one document per outcome, a receiver that is down retried and counted, a URL a tenant may not reach refused.
 */
class RolloutNotifierTest {
    static final String NS = "shop";
    MockCluster cluster;
    HttpServer receiver;
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    final VirtualTime time = new VirtualTime();
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    final ExecutorService pool = Executors.newFixedThreadPool(2);

    @BeforeEach
    void start() throws Exception {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            received.add(new ObjectMapper().readTree(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
        pool.shutdownNow();
        cluster.close();
    }

    RolloutNotifier notifier(TenantPolicy policy) {
        return new RolloutNotifier(cluster.client(), policy, metrics, time, pool, () -> new FireRecorder(cluster.client(), time),
                List.of(Duration.ofSeconds(2), Duration.ofSeconds(10)));
    }

    void urlSecret(String url, boolean optedIn) {
        cluster.client().secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("slack").withNamespace(NS)
                .withLabels(optedIn ? Map.of(CredentialsSecrets.LABEL, "true") : Map.of()).endMetadata()
                .withStringData(Map.of(NotifySpec.URL_KEY, url)).build()).createOr(op -> op.update());
    }

    Trigger trigger() {
        Trigger t = Triggers.redeploy(NS, "restart-web", "web");
        t.getMetadata().setUid("uid-1");
        t.getSpec().setNotify(new NotifySpec(new SecretRef("slack")));
        return t;
    }

    static RolloutStatus ended(String event, String state, String reason) {
        return new RolloutStatus(event, "2026-11-29T08:00:00Z", state, reason, "2026-11-29T08:01:00Z", null);
    }

    double count(String name, String... tags) {
        Counter c = metrics.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    List<Event> events(String reason) {
        return cluster.client().v1().events().inNamespace(NS).list().getItems().stream().filter(e -> reason.equals(e.getReason())).toList();
    }

    @Test
    void oneDocumentPerOutcomeWithASlackText() {
        urlSecret("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook", true);
        RolloutNotifier notifier = notifier(TenantPolicy.open());
        notifier.ended(trigger(), ended("e1", RolloutStatus.COMPLETE, "Deployment shop/web rolled out"), Duration.ofSeconds(60));
        notifier.ended(trigger(), ended("e2", RolloutStatus.FAILED, "Deployment shop/web exceeded its progress deadline"), Duration.ofSeconds(600));
        notifier.ended(trigger(), ended("e3", RolloutStatus.SUPERSEDED, "replaced"), Duration.ofSeconds(5)); // not an outcome to tell

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(received).hasSize(2));
        JsonNode complete = received.stream().filter(d -> d.path("event").path("id").asText().equals("e1")).findFirst().orElseThrow();
        assertThat(complete.path("text").asText()).isEqualTo("Trigger shop/restart-web: rollout of event e1 Complete after 60 s: Deployment shop/web rolled out");
        assertThat(complete.path("trigger").path("name").asText()).isEqualTo("restart-web");
        assertThat(complete.path("target").asText()).isEqualTo("Deployment shop/web");
        assertThat(complete.path("state").asText()).isEqualTo("Complete");
        assertThat(complete.path("startedAt").asText()).isEqualTo("2026-11-29T08:00:00Z");
        assertThat(complete.path("endedAt").asText()).isEqualTo("2026-11-29T08:01:00Z");
        assertThat(received).extracting(d -> d.path("state").asText()).containsExactlyInAnyOrder("Complete", "Failed");
        await().untilAsserted(() -> assertThat(count("trigger_notifications_total", "outcome", "sent")).isEqualTo(2));
        time.advance(Duration.ofMinutes(5));
        assertThat(received).hasSize(2);
    }

    @Test
    void aReceiverThatIsDownIsRetriedThenCountedAndShown() throws Exception {
        int port = receiver.getAddress().getPort();
        receiver.stop(0); // down: connections refused
        urlSecret("http://127.0.0.1:" + port + "/hook", true);
        RolloutNotifier notifier = notifier(TenantPolicy.open());
        notifier.ended(trigger(), ended("e1", RolloutStatus.COMPLETE, "rolled out"), Duration.ofSeconds(60));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(count("trigger_notification_retries_total")).isEqualTo(1));
        assertThat(count("trigger_notifications_total", "outcome", "failed")).isZero();
        time.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(count("trigger_notification_retries_total")).isEqualTo(2));
        time.advance(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(count("trigger_notifications_total", "outcome", "failed")).isEqualTo(1));
        await().untilAsserted(() -> assertThat(events(RolloutNotifier.REASON_NOTIFY_FAILED)).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).contains("after 3 attempts").contains("127.0.0.1").doesNotContain("/hook");
        }));
    }

    @Test
    void aUrlTheTenantMayNotReachIsRefusedWithoutARequest() {
        urlSecret("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook", true);
        notifier(TenantPolicy.closed()).ended(trigger(), ended("e1", RolloutStatus.COMPLETE, "rolled out"), Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(count("trigger_notifications_total", "outcome", "failed")).isEqualTo(1));
        assertThat(received).isEmpty();
        assertThat(count("trigger_notification_retries_total")).as("not a passing failure").isZero();
        await().untilAsserted(() -> assertThat(events(RolloutNotifier.REASON_NOTIFY_FAILED)).singleElement().extracting(Event::getMessage)
                .asString().contains("loopback address that tenants may not reach"));
    }

    @Test
    void aSecretThatDidNotOptInIsNotRead() {
        urlSecret("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook", false);
        notifier(TenantPolicy.open()).ended(trigger(), ended("e1", RolloutStatus.COMPLETE, "rolled out"), Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(events(RolloutNotifier.REASON_NOTIFY_FAILED)).singleElement()
                .extracting(Event::getMessage).asString().contains("does not carry the label " + CredentialsSecrets.LABEL + "=true"));
        assertThat(received).isEmpty();
    }
}
