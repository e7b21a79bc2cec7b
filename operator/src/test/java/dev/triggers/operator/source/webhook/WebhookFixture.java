package dev.triggers.operator.source.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import org.awaitility.Awaitility;

/**
 * A mock cluster, an operator with the real webhook source on a free loopback port, and an HTTP
 * client: what each webhook test starts from.
 */
public final class WebhookFixture implements AutoCloseable {
    public static final String NS = "shop";

    public final MockCluster cluster;
    final OffsetClock clock = new OffsetClock();
    public final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    public final WebhookSourceFactory factory;
    public final TriggerOperator operator;
    public final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    public WebhookFixture() {
        this(settings());
    }

    WebhookFixture(WebhookSettings settings) {
        this(settings, MockCluster.testConfig(), List.of());
    }

    /** With an operator configuration of the test's own, and more source factories beside the webhook one. */
    public WebhookFixture(WebhookSettings settings, OperatorConfig base, List<SourceFactory> more) {
        // Two shared cores and parallel builds: waiting longer costs nothing when things go well.
        Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
        cluster = MockCluster.start();
        cluster.namespace(NS);
        factory = WebhookSourceFactory.open(cluster.client(), base, settings, clock, metrics);
        List<SourceFactory> factories = new java.util.ArrayList<>(more);
        factories.add(factory);
        // The public base URL is this server, so the URL in the Secret is directly callable.
        String baseUrl = "http://127.0.0.1:" + factory.port();
        operator = cluster.startOperator(base.with(c -> c.webhookBaseUrl = baseUrl), clock, metrics, factories);
    }

    /** How often the tests' leader GETs each token Secret (60 s in production): deleting one revokes within this. */
    public static final Duration RECHECK = Duration.ofSeconds(1);

    public static WebhookSettings settings() {
        return WebhookSettings.defaults().with(s -> {
            s.bindAddress = "127.0.0.1";
            s.recheckInterval = RECHECK;
        });
    }

    /**
     * A standby replica: its own webhook server, and what a non-leader TriggerOperator has beside it: a Trigger
     * informer (JOSDK starts its informers on every replica and reconciles only on the leader), no source.
     */
    WebhookSourceFactory standby() {
        WebhookSourceFactory standby = cluster.closeLater(WebhookSourceFactory.open(cluster.client(), MockCluster.testConfig(), settings(), clock,
                new SimpleMeterRegistry()));
        SharedIndexInformer<Trigger> informer = cluster.closeLater(cluster.client().resources(Trigger.class).inAnyNamespace().inform());
        standby.useTriggerCache(id -> Optional.ofNullable(informer.getStore().getByKey(Cache.namespaceKeyFunc(id.getNamespace().orElse(null), id.getName()))));
        return standby;
    }

    public Trigger awaitReady(String name) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Trigger t = cluster.trigger(NS, name);
            assertThat(t.getStatus()).isNotNull();
            assertThat(t.getStatus().getStatus()).as("status: %s", t.getStatus().getErrorMessage()).isEqualTo(TriggerStatus.READY);
            assertThat(t.getStatus().getWebhookSecretName()).isNotNull();
        });
        return cluster.trigger(NS, name);
    }

    public Secret secret(String trigger) {
        return cluster.client().secrets().inNamespace(NS).withName(WebhookTokens.secretName(trigger)).get();
    }

    public String token(String trigger) {
        return WebhookTokens.data(secret(trigger), WebhookTokens.KEY_TOKEN);
    }

    /** Waits until this replica's Trigger informer shows the token's digest (a token is usable once it does). */
    public void awaitAccepted(String trigger, String token) {
        await().atMost(Duration.ofSeconds(10)).until(() -> factory.tokens().verify(NS, trigger, token).isPresent());
    }

    public HttpResponse<String> post(String path, Map<String, String> headers) {
        return post(factory.port(), path, headers, HttpRequest.BodyPublishers.ofString("{\"push_data\":{\"tag\":\"latest\"}}"));
    }

    public HttpResponse<String> post(int port, String path, Map<String, String> headers, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).POST(body);
        headers.forEach(request::header);
        return send(request.build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> bearer(String trigger, String token) {
        return post("/hooks/" + NS + "/" + trigger, Map.of("Authorization", "Bearer " + token));
    }

    public HttpResponse<String> inPath(String trigger, String token) {
        return post("/hooks/" + NS + "/" + trigger + "/" + token, Map.of());
    }

    public static String eventId(HttpResponse<String> response) {
        assertThat(response.statusCode()).as("response %s", response.body()).isEqualTo(202);
        return response.body().replaceAll("^\\{\"eventId\":\"([^\"]+)\"}$", "$1");
    }

    public void patchTrigger(String name, String mergePatch) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch);
    }

    void annotate(String name, String key, String value) {
        patchTrigger(name, "{\"metadata\":{\"annotations\":{\"" + key + "\":\"" + value + "\"}}}");
    }

    /** The Trigger's status, empty (never null) before the first write: safe inside await lambdas. */
    public TriggerStatus status(String name) {
        Trigger t = cluster.trigger(NS, name);
        return t == null || t.getStatus() == null ? new TriggerStatus() : t.getStatus();
    }

    public long fireCount(String name) {
        TriggerStatus s = cluster.trigger(NS, name).getStatus();
        return s == null || s.getFireCount() == null ? 0L : s.getFireCount();
    }

    public Map<String, String> template(String deployment) {
        Map<String, String> a = cluster.getDeployment(NS, deployment).getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    public double counter(String name, String... tags) {
        Counter c = metrics.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    List<Event> events(String trigger) {
        return cluster.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> trigger.equals(e.getInvolvedObject().getName())).toList();
    }

    @Override
    public void close() {
        cluster.close();
        Awaitility.reset();
    }
}
