package dev.triggers.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.source.sqs.ElasticMq;
import dev.triggers.operator.source.sqs.SqsSettings;
import dev.triggers.operator.source.sqs.SqsSourceFactory;
import io.fabric8.kubernetes.api.model.SecretBuilder;
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
 * Faults with a count of events sent and fired: the Kubernetes API unreachable for 30 s (a TCP proxy
 * between the operator and the API, cut and restored) while webhook calls and SQS messages arrive, and
 * the operator stopped while SQS fires fail and started again: every event acknowledged fires, none lost.
 * A webhook call is acknowledged (202) only once it is kept in the API, so during the outage it answers 503.
 */
class ApiOutageTest {
    static final String NS = "shop";
    MockCluster cluster;
    TcpProxy proxy;
    KubernetesClient operatorClient;
    WebhookSourceFactory webhook;
    ElasticMq sqs;
    TriggerOperator operator;

    @BeforeEach
    void start() throws Exception {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        proxy = new TcpProxy(cluster.server().getPort());
        operatorClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + proxy.port()).withRequestRetryBackoffLimit(0).build()).build();
        sqs = cluster.closeLater(ElasticMq.start());
        cluster.client().secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("aws").withNamespace(NS).addToLabels("triggers.dev/credentials", "true").endMetadata()
                .withStringData(Map.of("accessKeyId", "AKIDTEST", "secretAccessKey", "test")).build()).create();
        cluster.closeLater(operatorClient);
        cluster.closeLater(proxy);
        operator = startOperator();
    }

    TriggerOperator startOperator() {
        OperatorConfig config = MockCluster.testConfig();
        var metrics = new SimpleMeterRegistry();
        webhook = WebhookSourceFactory.open(operatorClient, config, WebhookSettings.defaults().with(s -> s.bindAddress = "127.0.0.1"), Clock.systemUTC(), metrics);
        TriggerOperator started = new TriggerOperator(operatorClient, config.with(c -> c.webhookBaseUrl = "http://127.0.0.1:" + webhook.port()),
                Clock.systemUTC(), metrics, List.of(webhook, new SqsSourceFactory(SqsSettings.defaults(), metrics)));
        cluster.closeLater(started);
        started.start();
        return started;
    }

    Trigger sqsTrigger(String name, String deployment, String queueUrl) {
        Trigger t = Triggers.redeploy(NS, name, deployment);
        SourceSpec source = new SourceSpec(SourceSpec.SQS);
        SqsSource spec = new SqsSource();
        spec.setQueueUrl(queueUrl);
        spec.setRegion(ElasticMq.REGION);
        spec.setEndpoint(sqs.endpoint());
        spec.setCredentialsSecretRef(new SecretRef("aws"));
        spec.setWaitTimeSeconds(1);
        spec.setVisibilityTimeoutSeconds(5);
        source.setSqs(spec);
        t.getSpec().setSource(source);
        return t;
    }

    long accounted(String name) {
        TriggerStatus s = cluster.trigger(NS, name).getStatus();
        return (s.getFireCount() == null ? 0 : s.getFireCount()) + (s.getCoalescedCount() == null ? 0 : s.getCoalescedCount());
    }

    void awaitReady(String name) {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(cluster.trigger(NS, name).getStatus().getStatus()).isEqualTo(TriggerStatus.READY));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void duringAnApiOutageWebhookCallsAnswer503AndEveryAcceptedEventAndSqsMessageFiresAfterIt() throws Exception {
        Trigger trigger = Triggers.redeploy(NS, "restart-web", "web");
        trigger.getSpec().setCooldownSeconds(0);
        cluster.create(trigger);
        cluster.deployment(NS, "worker");
        String queue = sqs.createQueue("deploys", 5);
        cluster.create(sqsTrigger("restart-worker", "worker", queue));
        awaitReady("restart-web");
        awaitReady("restart-worker");
        String token = await().atMost(Duration.ofSeconds(30)).until(() -> {
            var s = cluster.client().secrets().inNamespace(NS).withName("restart-web-webhook").get();
            return s == null ? null : new String(Base64.getDecoder().decode(s.getData().get("token")));
        }, t -> t != null);
        HttpClient http = HttpClient.newHttpClient();

        proxy.cut();
        List<String> messages = java.util.Collections.synchronizedList(new ArrayList<>(sqs.sendMany(queue, 5)));
        List<String> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        // Callers keep coming during the 30 s outage and after it: one webhook call a second, SQS messages at 15 s.
        var callers = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        callers.scheduleAtFixedRate(() -> {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhook.port() + "/hooks/" + NS + "/restart-web"))
                        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 202) accepted.add(r.body());
                answers.add(r.statusCode() + " retry-after=" + r.headers().firstValue("Retry-After").orElse("none"));
                if (sent.incrementAndGet() == 15) messages.addAll(sqs.sendMany(queue, 5));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, 0, 1, java.util.concurrent.TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).until(() -> sent.get() >= 30);
        // Nothing can be kept while the API is down: no 202 (it would be a promise kept only in memory), a 503 to retry.
        List<String> duringOutage = List.copyOf(answers);
        assertThat(List.copyOf(accepted)).as("events accepted while the API was down").isEmpty();
        assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations()).isNullOrEmpty();
        proxy.restore();
        assertThat(duringOutage).hasSizeGreaterThanOrEqualTo(30).allMatch(a -> a.equals("503 retry-after=1"));
        await().atMost(Duration.ofSeconds(60)).until(() -> accepted.size() >= 5);
        callers.shutdown();
        assertThat(callers.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        // Every accepted event is accounted for: fired, or coalesced into a fire (calls answered 503 may fire too:
        // they waited in memory; at least once).
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
            TriggerStatus s = cluster.trigger(NS, "restart-web").getStatus();
            long fires = s.getFireCount() == null ? 0 : s.getFireCount();
            long coalesced = s.getCoalescedCount() == null ? 0 : s.getCoalescedCount();
            assertThat(fires).isGreaterThanOrEqualTo(1);
            assertThat(fires + coalesced).isGreaterThanOrEqualTo(accepted.size());
            assertThat(s.getAcceptedEvents()).as("accepted events left unfired").isNullOrEmpty();
        });
        // Every SQS message fired (at least once) and was deleted only then.
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
            assertThat(accounted("restart-worker")).isGreaterThanOrEqualTo(messages.size());
            assertThat(sqs.messagesLeft(queue)).isZero();
        });
        assertThat(messages).contains(cluster.trigger(NS, "restart-worker").getStatus().getLastEvent().getId());
        String lastId = accepted.get(accepted.size() - 1).replaceAll(".*\"eventId\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate()
                .getMetadata().getAnnotations()).containsEntry("triggers.dev/event-id", lastId));
    }

    /** The operator stopped while SQS fires fail (no target yet) and started again: every message fires. */
    @Test
    void sqsMessagesSurviveAnOperatorRestartWhileTheirFiresFail() throws Exception {
        String queue = sqs.createQueue("restarts", 5);
        cluster.create(sqsTrigger("restart-api", "api", queue));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(cluster.trigger(NS, "restart-api").getStatus().getErrorMessage()).contains("Deployment shop/api not found"));
        List<String> messages = sqs.sendMany(queue, 10);
        // The fires fail (no Deployment): nothing is deleted, the messages come back.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(cluster.trigger(NS, "restart-api").getStatus().getLastFireResult()).contains("not found"));
        operator.close();
        assertThat(sqs.messagesLeft(queue)).isEqualTo(messages.size());

        cluster.deployment(NS, "api");
        operator = startOperator();
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> {
            assertThat(sqs.messagesLeft(queue)).isZero();
            assertThat(accounted("restart-api")).isGreaterThanOrEqualTo(messages.size());
        });
        assertThat(messages).contains(cluster.getDeployment(NS, "api").getSpec().getTemplate().getMetadata().getAnnotations()
                .get("triggers.dev/event-id"));
    }
}
