package dev.triggers.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.sqs.SqsSettings;
import dev.triggers.operator.source.sqs.SqsSourceFactory;
import dev.triggers.operator.source.webhook.WebhookFixture;
import dev.triggers.operator.source.webhook.WebhookTokens;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Namespaces are walls: a Trigger in namespace A acts on namespace B only when the operator allows
 * cross-namespace targets, never reads a credentials Secret of B, and the webhook of A's Trigger does not
 * take B's token (nor B's Trigger A's).
 */
class IsolationTest {
    static final String A = "team-a";
    static final String B = "team-b";

    WebhookFixture f;

    @AfterEach
    void stop() {
        if (f != null) f.close();
    }

    WebhookFixture start(OperatorConfig config, List<SourceFactory> more) {
        f = new WebhookFixture(WebhookFixture.settings(), config, more);
        f.cluster.namespace(A);
        f.cluster.namespace(B);
        f.cluster.deployment(A, "web");
        f.cluster.deployment(B, "web");
        return f;
    }

    @Test
    void aTriggerCannotTargetAnotherNamespaceByDefaultEitherWay() {
        start(MockCluster.testConfig(), List.of());
        f.cluster.create(crossNamespace(A, "a-acts-on-b", B));
        f.cluster.create(crossNamespace(B, "b-acts-on-a", A));

        for (String[] t : List.of(new String[] {A, "a-acts-on-b", B}, new String[] {B, "b-acts-on-a", A})) {
            await().untilAsserted(() -> {
                TriggerStatus s = status(t[0], t[1]);
                assertThat(s.getStatus()).isEqualTo(TriggerStatus.ERROR);
                assertThat(s.getErrorMessage()).contains("spec.target.namespace '" + t[2] + "' is not the Trigger's namespace '" + t[0] + "'");
            });
        }
        // Nothing was started for them: no token, so no way to fire them; the other namespace's Deployment is untouched.
        assertThat(secret(A, "a-acts-on-b")).isNull();
        assertThat(secret(B, "b-acts-on-a")).isNull();
        assertThat(templateAnnotations(A, "web")).doesNotContainKey(RedeployAction.EVENT_ID);
        assertThat(templateAnnotations(B, "web")).doesNotContainKey(RedeployAction.EVENT_ID);
    }

    @Test
    void crossNamespaceTargetsWorkBothWaysWhenEachNamespaceGrantsThem() {
        start(MockCluster.testConfig(), List.of());
        f.cluster.grant(B, "from-a", A, null);
        f.cluster.grant(A, "from-b", B, null);
        f.cluster.create(crossNamespace(A, "a-acts-on-b", B));
        f.cluster.create(crossNamespace(B, "b-acts-on-a", A));

        String fromA = fire(A, "a-acts-on-b");
        await().untilAsserted(() -> assertThat(templateAnnotations(B, "web")).containsEntry(RedeployAction.EVENT_ID, fromA));
        assertThat(templateAnnotations(A, "web")).doesNotContainKey(RedeployAction.EVENT_ID);
        String fromB = fire(B, "b-acts-on-a");
        await().untilAsserted(() -> assertThat(templateAnnotations(A, "web")).containsEntry(RedeployAction.EVENT_ID, fromB));
    }

    @Test
    void anSqsTriggerCannotReadACredentialsSecretOfAnotherNamespace() throws Exception {
        SqsSourceFactory sqs = new SqsSourceFactory(SqsSettings.defaults().with(s -> { s.initialBackoff = Duration.ofMillis(200); s.maxBackoff = Duration.ofSeconds(1); }),
                new SimpleMeterRegistry());
        start(MockCluster.testConfig(), List.of(sqs));
        f.cluster.client().secrets().inNamespace(B).resource(new SecretBuilder().withNewMetadata().withName("aws").withNamespace(B).addToLabels("triggers.dev/credentials", "true").endMetadata()
                .withStringData(Map.of("accessKeyId", "AKIDTEAMB", "secretAccessKey", "team-b-secret-value")).build()).create();
        // Forget every request so far: from here on, none may touch B's Secret.
        while (f.cluster.server().takeRequest(1, TimeUnit.MILLISECONDS) != null) {
            // drained
        }

        Trigger trigger = Triggers.redeploy(A, "a-on-queue", "web");
        SourceSpec source = new SourceSpec(SourceSpec.SQS);
        SqsSource spec = new SqsSource();
        spec.setQueueUrl("http://127.0.0.1:9/000000000000/orders");
        spec.setEndpoint("http://127.0.0.1:9");
        spec.setRegion("eu-west-1");
        spec.setCredentialsSecretRef(new SecretRef("aws"));
        source.setSqs(spec);
        trigger.getSpec().setSource(source);
        f.cluster.create(trigger);

        await().untilAsserted(() -> {
            TriggerStatus s = status(A, "a-on-queue");
            assertThat(s.getStatus()).isEqualTo(TriggerStatus.ERROR);
            assertThat(s.getErrorMessage()).contains("Secret 'aws'").contains("not found in namespace '" + A + "'");
        });
        List<String> paths = new ArrayList<>();
        for (RecordedRequest r; (r = f.cluster.server().takeRequest(1, TimeUnit.MILLISECONDS)) != null; ) paths.add(r.getMethod() + " " + r.getPath());
        assertThat(paths).as("requests to the API").anySatisfy(p -> assertThat(p).startsWith("GET /api/v1/namespaces/" + A + "/secrets/aws"));
        assertThat(paths).noneSatisfy(p -> assertThat(p).contains("/namespaces/" + B + "/secrets"));
        String status = f.cluster.client().getKubernetesSerialization().asJson(f.cluster.trigger(A, "a-on-queue"));
        assertThat(status).doesNotContain("AKIDTEAMB").doesNotContain("team-b-secret-value");
    }

    @Test
    void aWebhookDoesNotTakeTheTokenOfAnotherNamespacesTrigger() {
        start(MockCluster.testConfig(), List.of());
        // Same name in both namespaces: only the namespace tells them apart.
        f.cluster.create(Triggers.redeploy(A, "deploy-web", "web"));
        f.cluster.create(Triggers.redeploy(B, "deploy-web", "web"));
        String tokenA = awaitToken(A, "deploy-web");
        String tokenB = awaitToken(B, "deploy-web");
        assertThat(tokenA).isNotEqualTo(tokenB);

        for (String[] call : List.of(new String[] {A, tokenB}, new String[] {B, tokenA})) {
            String path = "/hooks/" + call[0] + "/deploy-web";
            assertThat(f.post(path, Map.of("Authorization", "Bearer " + call[1])).statusCode()).as("bearer on %s", path).isEqualTo(404);
            assertThat(f.post(path + "/" + call[1], Map.of()).statusCode()).as("path token on %s", path).isEqualTo(404);
        }
        assertThat(templateAnnotations(A, "web")).doesNotContainKey(RedeployAction.EVENT_ID);
        assertThat(templateAnnotations(B, "web")).doesNotContainKey(RedeployAction.EVENT_ID);
        assertThat(f.counter("trigger_events_received_total")).isZero();

        // Each token works for its own Trigger, and fires only in its own namespace.
        String fromA = WebhookFixture.eventId(f.post("/hooks/" + A + "/deploy-web", Map.of("Authorization", "Bearer " + tokenA)));
        await().untilAsserted(() -> assertThat(templateAnnotations(A, "web")).containsEntry(RedeployAction.EVENT_ID, fromA));
        assertThat(templateAnnotations(B, "web")).doesNotContainKey(RedeployAction.EVENT_ID);
        String fromB = WebhookFixture.eventId(f.post("/hooks/" + B + "/deploy-web/" + tokenB, Map.of()));
        await().untilAsserted(() -> assertThat(templateAnnotations(B, "web")).containsEntry(RedeployAction.EVENT_ID, fromB));
    }

    // --- helpers

    static Trigger crossNamespace(String ns, String name, String targetNamespace) {
        Trigger t = Triggers.redeploy(ns, name, "web");
        t.getSpec().getTarget().setNamespace(targetNamespace);
        return t;
    }

    /** Waits for the Trigger's token and until the webhook server takes it; fires once with it, returns the event id. */
    String fire(String ns, String name) {
        String token = awaitToken(ns, name);
        HttpResponse<String> r = f.post("/hooks/" + ns + "/" + name, Map.of("Authorization", "Bearer " + token));
        return WebhookFixture.eventId(r);
    }

    String awaitToken(String ns, String name) {
        String token = await().until(() -> {
            Secret s = secret(ns, name);
            return s == null || s.getData() == null || s.getData().get(WebhookTokens.KEY_TOKEN) == null ? null
                    : new String(Base64.getDecoder().decode(s.getData().get(WebhookTokens.KEY_TOKEN)), StandardCharsets.UTF_8);
        }, t -> t != null);
        await().until(() -> f.factory.tokens().verify(ns, name, token).isPresent());
        return token;
    }

    Secret secret(String ns, String trigger) {
        return f.cluster.client().secrets().inNamespace(ns).withName(WebhookTokens.secretName(trigger)).get();
    }

    TriggerStatus status(String ns, String name) {
        Trigger t = f.cluster.trigger(ns, name);
        return t == null || t.getStatus() == null ? new TriggerStatus() : t.getStatus();
    }

    Map<String, String> templateAnnotations(String ns, String deployment) {
        Map<String, String> a = f.cluster.getDeployment(ns, deployment).getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }
}
