package dev.triggers.operator.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerSource;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator's /metrics, /healthz and /readyz, served the way Main wires them. */
class OpsServerTest {
    static final String NS = "shop";
    /** Generous: the API and informers are real, and CI machines can be busy. Passing runs never wait for it. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    final HttpClient http = HttpClient.newHttpClient();
    final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** The health every source of the test reports. */
    final AtomicReference<SourceHealth> sourceHealth = new AtomicReference<>(SourceHealth.ready("test source"));
    MockCluster cluster;
    TriggerOperator operator;
    OpsServer ops;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        operator = cluster.closeLater(new TriggerOperator(cluster.client(), MockCluster.testConfig(), Clock.systemUTC(), metrics,
                List.of(new HealthSourceFactory())));
        ops = cluster.closeLater(new OpsServer(0, metrics).readinessCheck("operator", operator::isReady).start());
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void readyzIsNotReadyBeforeTheInformersSyncedAndReadyAfter() throws Exception {
        HttpResponse<String> before = get("/readyz");
        assertThat(before.statusCode()).isEqualTo(503);
        assertThat(before.body()).contains("not ready: operator");
        assertThat(get("/healthz").statusCode()).as("liveness does not wait for readiness").isEqualTo(200);

        operator.start();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(get("/readyz").statusCode()).isEqualTo(200));
        assertThat(get("/readyz").body()).isEqualTo("ok\n");
    }

    @Test
    void anAddedReadinessCheckHoldsReadinessBack() throws Exception {
        operator.start();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(get("/readyz").statusCode()).isEqualTo(200));

        AtomicBoolean webhookUp = new AtomicBoolean(false);
        ops.readinessCheck("webhook", webhookUp::get);
        HttpResponse<String> down = get("/readyz");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).isEqualTo("not ready: webhook\n");

        webhookUp.set(true);
        assertThat(get("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsCountAFireByNamespaceTriggerSourceActionAndOutcome() throws Exception {
        operator.start();
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        await().atMost(TIMEOUT).untilAsserted(() ->
                assertThat(cluster.trigger(NS, "restart-web").getStatus()).isNotNull());

        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + Trigger.ANNOTATION_FIRE_REQUEST + "\":\"first\"}}}");

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(get("/metrics").body())
                .contains("trigger_fires_total{action=\"Redeploy\",namespace=\"shop\",outcome=\"success\",source=\"manual\",trigger=\"restart-web\"} 1.0"));
        HttpResponse<String> scrape = get("/metrics");
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValue(OpsServer.PROMETHEUS_TEXT);
        assertThat(scrape.body())
                .contains("trigger_events_received_total{namespace=\"shop\",source=\"manual\",trigger=\"restart-web\"} 1.0")
                .contains("trigger_fire_latency_seconds_count{action=\"Redeploy\",namespace=\"shop\",outcome=\"success\",source=\"manual\"} 1")
                .contains("trigger_fire_latency_seconds_bucket{")
                // JOSDK's own reconcile metrics, through micrometer-support
                .containsPattern("operator_sdk_\\w+");
    }

    @Test
    void aSourceGoingIntoAnErrorIsCountedByReason() throws Exception {
        operator.start();
        sourceHealth.set(SourceHealth.error("QueueNotFound", "queue https://sqs.example/q does not exist"));
        cluster.deployment(NS, "web");
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus())
                .isNotNull().extracting(TriggerStatus::getStatus).isEqualTo(TriggerStatus.ERROR));

        assertThat(get("/metrics").body())
                .contains("trigger_source_errors_total{namespace=\"shop\",reason=\"QueueNotFound\",source=\"webhook\",trigger=\"restart-web\"} 1.0");
    }

    @Test
    void onlyGetAndHeadAreAnswered() throws Exception {
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri("/metrics")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sources of type Webhook that receive nothing and report {@link #sourceHealth}. */
    final class HealthSourceFactory implements SourceFactory {
        @Override
        public String type() {
            return SourceSpec.WEBHOOK;
        }

        @Override
        public TriggerSource start(Trigger trigger, SourceContext context) {
            return new TriggerSource() {
                @Override
                public SourceHealth health() {
                    return sourceHealth.get();
                }

                @Override
                public void close() {}
            };
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + ops.port() + path);
    }
}
