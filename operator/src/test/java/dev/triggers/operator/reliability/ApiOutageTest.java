package dev.triggers.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.webhook.WebhookSettings;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.TcpProxy;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes API unreachable for 30 s (a TCP proxy between the operator and the API, cut and
 * restored) while webhook events arrive: every accepted event fires once the API is back, none lost.
 */
class ApiOutageTest {
    static final String NS = "shop";
    MockCluster cluster;
    TcpProxy proxy;
    KubernetesClient operatorClient;
    WebhookSourceFactory webhook;

    @BeforeEach
    void start() throws Exception {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        proxy = new TcpProxy(cluster.server().getPort());
        operatorClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + proxy.port()).withRequestRetryBackoffLimit(0).build()).build();
        OperatorConfig config = MockCluster.testConfig();
        var metrics = new SimpleMeterRegistry();
        webhook = WebhookSourceFactory.open(operatorClient, config, WebhookSettings.defaults().withBindAddress("127.0.0.1"), Clock.systemUTC(), metrics);
        TriggerOperator operator = new TriggerOperator(operatorClient, config.withWebhookBaseUrl("http://127.0.0.1:" + webhook.port()),
                Clock.systemUTC(), metrics, List.of(webhook));
        cluster.closeLater(operatorClient);
        cluster.closeLater(proxy);
        cluster.closeLater(operator);
        operator.start();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void webhookEventsAcceptedDuringAnApiOutageAllFireAfterIt() throws Exception {
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setCooldownSeconds(0);
        cluster.create(trigger);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(cluster.trigger(NS, "restart-web").getStatus().getStatus()).isEqualTo(TriggerStatus.READY));
        String token = await().atMost(Duration.ofSeconds(30)).until(() -> {
            var s = cluster.client().secrets().inNamespace(NS).withName("restart-web-webhook").get();
            return s == null ? null : new String(Base64.getDecoder().decode(s.getData().get("token")));
        }, t -> t != null);
        HttpClient http = HttpClient.newHttpClient();

        proxy.cut();
        List<String> accepted = new ArrayList<>();
        long outageEnd = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int sent = 0;
        while (System.nanoTime() < outageEnd) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhook.port() + "/hooks/" + NS + "/restart-web"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            sent++;
            if (r.statusCode() == 202) accepted.add(r.body());
            Thread.sleep(1000); // pacing of the callers during the outage, not a wait for a result
        }
        assertThat(accepted).as("events accepted while the API was down").hasSizeGreaterThanOrEqualTo(sent / 2);
        assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations()).isNullOrEmpty();
        proxy.restore();

        // Every accepted event is accounted for: fired, or coalesced into a fire.
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
            TriggerStatus s = cluster.trigger(NS, "restart-web").getStatus();
            long fires = s.getFireCount() == null ? 0 : s.getFireCount();
            long coalesced = s.getCoalescedCount() == null ? 0 : s.getCoalescedCount();
            assertThat(fires).isGreaterThanOrEqualTo(1);
            assertThat(fires + coalesced).isEqualTo(accepted.size());
        });
        String lastId = accepted.get(accepted.size() - 1).replaceAll(".*\"eventId\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate()
                .getMetadata().getAnnotations()).containsEntry("triggers.dev/event-id", lastId));
    }
}
