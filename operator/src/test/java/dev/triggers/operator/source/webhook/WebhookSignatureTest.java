package dev.triggers.operator.source.webhook;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static dev.triggers.operator.source.webhook.WebhookFixture.eventId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.api.v1alpha1.WebhookSignature;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Provider signatures over real HTTP: accepted when right, refused like a wrong token (404) when wrong,
 * missing, replayed (HMAC), stale (HMAC) or made for another Trigger's secret; the token stays required; a
 * provider's delivery id is the Idempotency-Key; a signing Secret without the opt-in label is an Error.
 */
class WebhookSignatureTest {
    static final String PUSH = "{\"ref\":\"refs/heads/main\",\"after\":\"0123abc\"}";
    WebhookFixture f;

    @BeforeEach
    void start() {
        f = new WebhookFixture();
        f.cluster.deployment(NS, "web");
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void gitHubSignatureIsCheckedOnTopOfTheTokenAndItsDeliveryIdIsTheIdempotencyKey() {
        signingSecret("github-hook", "gh-secret", true);
        signingSecret("other-hook", "other-secret", true);
        String token = create("gh", WebhookSignature.GITHUB, "github-hook");
        String path = "/hooks/" + NS + "/gh/" + token;

        HttpResponse<String> first = post(path, Map.of("X-Hub-Signature-256", github("gh-secret", PUSH), "X-GitHub-Delivery", "d-1"), PUSH);
        String id = eventId(first);
        // GitHub redelivers with the same delivery id: the same event, not a second fire.
        HttpResponse<String> again = post(path, Map.of("X-Hub-Signature-256", github("gh-secret", PUSH), "X-GitHub-Delivery", "d-1"), PUSH);
        assertThat(eventId(again)).isEqualTo(id);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");

        assertThat(post(path, Map.of("X-Hub-Signature-256", github("gh-secret", PUSH + " "), "X-GitHub-Delivery", "d-2"), PUSH).statusCode())
                .as("signature of another body").isEqualTo(404);
        assertThat(post(path, Map.of("X-Hub-Signature-256", github("other-secret", PUSH)), PUSH).statusCode())
                .as("signed with another Trigger's secret").isEqualTo(404);
        assertThat(post(path, Map.of("X-Hub-Signature-256", "sha256=" + "0".repeat(64)), PUSH).statusCode()).isEqualTo(404);
        assertThat(post(path, Map.of("X-Hub-Signature-256", "garbage"), PUSH).statusCode()).isEqualTo(404);
        assertThat(post(path, Map.of(), PUSH).statusCode()).as("no signature").isEqualTo(404);
        assertThat(post("/hooks/" + NS + "/gh", Map.of("X-Hub-Signature-256", github("gh-secret", PUSH)), PUSH).statusCode())
                .as("a right signature without the token").isEqualTo(404);
        assertThat(post("/hooks/" + NS + "/gh/" + WebhookTokens.newToken(), Map.of("X-Hub-Signature-256", github("gh-secret", PUSH)), PUSH)
                .statusCode()).as("a right signature with a wrong token").isEqualTo(404);

        await().untilAsserted(() -> assertThat(f.fireCount("gh")).isEqualTo(1L));
        assertThat(f.counter("trigger_events_received_total", "trigger", "gh")).isEqualTo(1.0);
        assertThat(f.cluster.client().getKubernetesSerialization().asJson(f.cluster.trigger(NS, "gh"))).doesNotContain("gh-secret");
    }

    @Test
    void aStandbyReadsTheSigningSecretOnFirstUseAndHandsTheEventToTheLeader() {
        signingSecret("github-hook", "gh-secret", true);
        String token = create("gh", WebhookSignature.GITHUB, "github-hook");
        WebhookSourceFactory standby = f.standby();
        await().until(() -> standby.tokens().verify(NS, "gh", token).isPresent());
        String path = "/hooks/" + NS + "/gh/" + token;
        // Its first call finds no secret in the standby's memory: read by a GET off the I/O thread, then handed over.
        String id = eventId(f.post(standby.port(), path, Map.of("X-Hub-Signature-256", github("gh-secret", PUSH)),
                HttpRequest.BodyPublishers.ofString(PUSH)));
        assertThat(f.post(standby.port(), path, Map.of("X-Hub-Signature-256", github("other", PUSH)),
                HttpRequest.BodyPublishers.ofString(PUSH)).statusCode()).isEqualTo(404);
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry("triggers.dev/event-id", id));
    }

    @Test
    void gitLabTokenHeaderMustEqualTheSecret() {
        signingSecret("gitlab-hook", "gl-secret", true);
        String token = create("gl", WebhookSignature.GITLAB, "gitlab-hook");
        String path = "/hooks/" + NS + "/gl/" + token;
        assertThat(post(path, Map.of("X-Gitlab-Token", "gl-secre"), PUSH).statusCode()).isEqualTo(404);
        assertThat(post(path, Map.of("X-Gitlab-Token", "gl-secret-"), PUSH).statusCode()).isEqualTo(404);
        assertThat(post(path, Map.of(), PUSH).statusCode()).isEqualTo(404);
        String id = eventId(post(path, Map.of("X-Gitlab-Token", "gl-secret", "X-Gitlab-Event-UUID", "u-1"), PUSH));
        assertThat(eventId(post(path, Map.of("X-Gitlab-Token", "gl-secret", "X-Gitlab-Event-UUID", "u-1"), PUSH))).isEqualTo(id);
        await().untilAsserted(() -> assertThat(f.fireCount("gl")).isEqualTo(1L));
    }

    @Test
    void hmacIsAcceptedOnceInsideTheWindowAndNeverReplayedNorStale() {
        signingSecret("hmac-hook", "hm-secret", true);
        String token = create("hm", WebhookSignature.HMAC, "hmac-hook");
        String path = "/hooks/" + NS + "/hm";
        long now = f.clock.instant().getEpochSecond();
        Map<String, String> signed = hmacHeaders(token, "hm-secret", now, PUSH);

        eventId(post(path, signed, PUSH));
        assertThat(post(path, signed, PUSH).statusCode()).as("the same signature again: a replay").isEqualTo(404);
        assertThat(post(path, hmacHeaders(token, "hm-secret", now - 600, PUSH), PUSH).statusCode()).as("ten minutes old").isEqualTo(404);
        assertThat(post(path, hmacHeaders(token, "hm-secret", now + 600, PUSH), PUSH).statusCode()).as("ten minutes ahead").isEqualTo(404);
        Map<String, String> otherTime = new HashMap<>(hmacHeaders(token, "hm-secret", now + 1, PUSH));
        otherTime.put("X-Signature-Timestamp", String.valueOf(now + 2));
        assertThat(post(path, otherTime, PUSH).statusCode()).as("the timestamp is signed").isEqualTo(404);
        assertThat(post(path, hmacHeaders(token, "other", now + 3, PUSH), PUSH).statusCode()).isEqualTo(404);
        Map<String, String> noTime = new HashMap<>(hmacHeaders(token, "hm-secret", now + 4, PUSH));
        noTime.remove("X-Signature-Timestamp");
        assertThat(post(path, noTime, PUSH).statusCode()).isEqualTo(404);
        // A new signature (a new timestamp) inside the window is a new call.
        eventId(post(path, hmacHeaders(token, "hm-secret", now + 5, PUSH), PUSH));
        assertThat(f.counter("trigger_events_received_total", "trigger", "hm")).isEqualTo(2.0);
    }

    @Test
    void aSigningSecretWithoutTheOptInLabelOrMissingIsAnErrorOnTheTrigger() {
        signingSecret("unlabelled", "x-secret", false);
        f.cluster.create(trigger("bad", WebhookSignature.GITHUB, "unlabelled"));
        await().untilAsserted(() -> {
            TriggerStatus s = f.status("bad");
            assertThat(s.getStatus()).isEqualTo(TriggerStatus.ERROR);
            assertThat(s.getErrorMessage()).contains(CredentialsSecrets.LABEL).contains("unlabelled").doesNotContain("x-secret");
        });
        f.cluster.create(trigger("missing", WebhookSignature.GITLAB, "nowhere"));
        await().untilAsserted(() -> assertThat(f.status("missing").getErrorMessage()).contains("nowhere").contains("not found"));
        // Created later: the Trigger recovers by itself (the leader rechecks every interval).
        signingSecret("nowhere", "later", true);
        f.awaitReady("missing");
    }

    // --- helpers

    String create(String name, String type, String secret) {
        f.cluster.create(trigger(name, type, secret));
        f.awaitReady(name);
        String token = f.token(name);
        f.awaitAccepted(name, token);
        return token;
    }

    static Trigger trigger(String name, String type, String secret) {
        Trigger t = Triggers.redeploy(NS, name, "web");
        WebhookSignature signature = new WebhookSignature();
        signature.setType(type);
        signature.setSecretRef(new SecretRef(secret));
        t.getSpec().getSource().getWebhook().setSignature(signature);
        return t;
    }

    void signingSecret(String name, String value, boolean optedIn) {
        SecretBuilder b = new SecretBuilder().withNewMetadata().withNamespace(NS).withName(name)
                .withLabels(optedIn ? Map.of(CredentialsSecrets.LABEL, "true") : Map.of()).endMetadata()
                .withStringData(Map.of("secret", value));
        f.cluster.client().secrets().inNamespace(NS).resource(b.build()).create();
    }

    HttpResponse<String> post(String path, Map<String, String> headers, String body) {
        return f.post(f.factory.port(), path, headers, HttpRequest.BodyPublishers.ofString(body));
    }

    static String github(String secret, String body) {
        return "sha256=" + HexFormat.of().formatHex(WebhookSignatures.hmac(secret.getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8)));
    }

    static Map<String, String> hmacHeaders(String token, String secret, long timestamp, String body) {
        String signature = HexFormat.of().formatHex(WebhookSignatures.hmac(secret.getBytes(StandardCharsets.UTF_8),
                (timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
        return Map.of("Authorization", "Bearer " + token, "X-Signature", "sha256=" + signature, "X-Signature-Timestamp", String.valueOf(timestamp));
    }
}
