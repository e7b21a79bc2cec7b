package dev.triggers.operator.source.webhook;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static dev.triggers.operator.source.webhook.WebhookFixture.eventId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.api.v1alpha1.WebhookSource;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Given a webhook Trigger and its Deployment, when callers POST to its URL, then it fires only when it should. */
class WebhookSourceTest {
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
    void theRightTokenInEitherFormFiresAndTheStatusShowsTheCall() {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        Trigger ready = f.awaitReady("deploy-web");
        String url = "http://127.0.0.1:" + f.factory.port() + "/hooks/" + NS + "/deploy-web";
        assertThat(ready.getStatus().getUrl()).isEqualTo(url);
        assertThat(ready.getStatus().getWebhookSecretName()).isEqualTo("deploy-web-webhook");

        Secret secret = f.secret("deploy-web");
        String token = f.token("deploy-web");
        assertThat(token).hasSize(43).matches("[A-Za-z0-9_-]+");
        assertThat(WebhookTokens.data(secret, WebhookTokens.KEY_URL)).isEqualTo(url + "/" + token);
        assertThat(secret.getMetadata().getLabels()).containsEntry(WebhookTokens.LABEL, "true");
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("Trigger");
            assertThat(o.getUid()).isEqualTo(ready.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
        });

        String first = eventId(f.bearer("deploy-web", token));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, first)
                .containsEntry(RedeployAction.EVENT_SOURCE, "webhook").containsKey(RedeployAction.RESTARTED_AT));
        await().untilAsserted(() -> {
            TriggerStatus.EventRecord last = f.status("deploy-web").getLastEvent();
            assertThat(last).isNotNull();
            assertThat(last.getSource()).isEqualTo("webhook");
            assertThat(last.getId()).isEqualTo(first);
            assertThat(last.getCaller()).isEqualTo("127.0.0.1");
            assertThat(last.getReceivedAt()).isNotBlank();
        });

        // Docker Cloud style: the URL in the Secret is the credential.
        HttpResponse<String> second = f.post("/hooks/" + NS + "/deploy-web/" + token, Map.of());
        String secondId = eventId(second);
        assertThat(secondId).isNotEqualTo(first);
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, secondId));
        await().untilAsserted(() -> assertThat(f.fireCount("deploy-web")).isEqualTo(2L));
    }

    @Test
    void aWrongTokenAnUnknownTriggerAndAWrongNamespaceGetTheSame404AndNoFire() {
        f.cluster.namespace("other");
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        String wrong = WebhookTokens.newToken();

        List<HttpResponse<String>> refused = List.of(
                f.bearer("deploy-web", wrong),
                f.inPath("deploy-web", wrong),
                f.post("/hooks/" + NS + "/deploy-web", Map.of()),
                f.post("/hooks/" + NS + "/deploy-web", Map.of("Authorization", "Bearer " + token.substring(1))),
                f.post("/hooks/" + NS + "/deploy-web/" + wrong, Map.of("Authorization", "Bearer " + token)),
                f.bearer("no-such-trigger", token),
                f.post("/hooks/other/deploy-web", Map.of("Authorization", "Bearer " + token)),
                f.post("/hooks/other/deploy-web/" + token, Map.of()),
                f.post("/hooks/" + NS, Map.of("Authorization", "Bearer " + token)),
                f.post("/somewhere/else", Map.of()));
        HttpResponse<String> reference = refused.get(0);
        assertThat(reference.statusCode()).isEqualTo(404);
        for (HttpResponse<String> r : refused) {
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).isEqualTo(reference.body());
            assertThat(r.headers().map()).containsOnlyKeys(reference.headers().map().keySet());
            assertThat(r.headers().firstValue("content-length")).isEqualTo(reference.headers().firstValue("content-length"));
        }

        // Nothing reached the executor: the next fire is the first.
        String valid = eventId(f.bearer("deploy-web", token));
        await().untilAsserted(() -> assertThat(f.fireCount("deploy-web")).isEqualTo(1L));
        assertThat(f.status("deploy-web").getLastEvent().getId()).isEqualTo(valid);
        assertThat(f.counter("trigger_events_received_total", "trigger", "deploy-web")).isEqualTo(1.0);
    }

    @Test
    void otherMethodsGet405() {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        for (String method : List.of("GET", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> r = f.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + f.factory.port()
                    + "/hooks/" + NS + "/deploy-web/" + token)).method(method, HttpRequest.BodyPublishers.noBody()).build());
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("allow")).contains("POST");
        }
        assertThat(f.counter("trigger_events_received_total", "trigger", "deploy-web")).isZero();
    }

    @Test
    void aBodyOverOneMebibyteGets413WithoutBeingRead() throws Exception {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");

        // Only the headers are sent: the answer comes without the server waiting for the body.
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), f.factory.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Length: " + (WebhookSettings.ONE_MIB + 1) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String statusLine = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(statusLine).isEqualTo("HTTP/1.1 413");
        }

        // A body without a declared length (chunked) is cut off at the limit too.
        byte[] big = new byte[WebhookSettings.ONE_MIB + 1];
        HttpResponse<String> chunked = f.post(f.factory.port(), "/hooks/" + NS + "/deploy-web",
                Map.of("Authorization", "Bearer " + token), HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)));
        assertThat(chunked.statusCode()).isEqualTo(413);

        // Exactly 1 MiB is fine.
        eventId(f.post(f.factory.port(), "/hooks/" + NS + "/deploy-web", Map.of("Authorization", "Bearer " + token),
                HttpRequest.BodyPublishers.ofByteArray(new byte[WebhookSettings.ONE_MIB])));
        await().untilAsserted(() -> assertThat(f.fireCount("deploy-web")).isEqualTo(1L));
    }

    @Test
    void aFloodAboveTheRateLimitGets429WithRetryAfter() {
        Trigger trigger = Triggers.redeploy(NS, "deploy-web", "web");
        WebhookSource webhook = new WebhookSource();
        webhook.setRateLimitPerMinute(3);
        trigger.getSpec().getSource().setWebhook(webhook);
        f.cluster.create(trigger);
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");

        for (int i = 0; i < 3; i++) eventId(f.bearer("deploy-web", token));
        HttpResponse<String> limited = f.bearer("deploy-web", token);
        assertThat(limited.statusCode()).isEqualTo(429);
        long retryAfter = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 20L);
        // Callers without the token do not use up the budget, and still get the plain 404.
        assertThat(f.bearer("deploy-web", WebhookTokens.newToken()).statusCode()).isEqualTo(404);

        f.clock.advance(Duration.ofSeconds(retryAfter));
        eventId(f.bearer("deploy-web", token));
        assertThat(f.bearer("deploy-web", token).statusCode()).isEqualTo(429);
    }

    @Test
    void aSuspendedTriggerGets409AfterAuthenticationAndDoesNotFire() {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        f.patchTrigger("deploy-web", "{\"spec\":{\"suspend\":true}}");
        await().untilAsserted(() -> assertThat(f.status("deploy-web").getStatus()).isEqualTo(TriggerStatus.SUSPENDED));

        assertThat(f.bearer("deploy-web", token).statusCode()).isEqualTo(409);
        assertThat(f.inPath("deploy-web", token).statusCode()).isEqualTo(409);
        assertThat(f.bearer("deploy-web", WebhookTokens.newToken()).statusCode()).isEqualTo(404);
        assertThat(f.counter("trigger_events_received_total", "trigger", "deploy-web")).isZero();
        assertThat(f.template("web")).doesNotContainKey(RedeployAction.EVENT_ID);
        // The Secret stays: resuming keeps the URL and the token.
        assertThat(f.token("deploy-web")).isEqualTo(token);
    }

    @Test
    void aTriggerSuspendedUntilATimeGets409UntilThenAndFiresAfter() {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        java.time.Instant until = f.clock.instant().plusSeconds(3).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        f.patchTrigger("deploy-web", "{\"spec\":{\"suspendUntil\":\"" + until + "\"}}");
        await().untilAsserted(() -> assertThat(f.status("deploy-web").getStatus()).isEqualTo(TriggerStatus.SUSPENDED));

        var refused = f.bearer("deploy-web", token);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("suspended until " + until).contains("\"suspendedUntil\":\"" + until + "\"");
        assertThat(f.template("web")).doesNotContainKey(RedeployAction.EVENT_ID);

        // Ready again by itself (the reconciler reschedules itself for that moment), with the same token.
        await().untilAsserted(() -> assertThat(f.status("deploy-web").getStatus()).isEqualTo(TriggerStatus.READY));
        String id = eventId(f.bearer("deploy-web", token));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, id));
    }

    @Test
    void theSameIdempotencyKeyTwiceFiresOnceWithOneEventId() {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        Map<String, String> headers = Map.of("Authorization", "Bearer " + token, "Idempotency-Key", "build-1234");

        HttpResponse<String> first = f.post("/hooks/" + NS + "/deploy-web", headers);
        HttpResponse<String> again = f.post("/hooks/" + NS + "/deploy-web", headers);
        assertThat(eventId(again)).isEqualTo(eventId(first));
        assertThat(again.headers().firstValue("idempotent-replayed")).contains("true");
        await().untilAsserted(() -> assertThat(f.fireCount("deploy-web")).isEqualTo(1L));

        // Another key is another event; the first key is still remembered (24 h) after it fired.
        String other = eventId(f.post("/hooks/" + NS + "/deploy-web", Map.of("Authorization", "Bearer " + token, "Idempotency-Key", "build-1235")));
        assertThat(other).isNotEqualTo(eventId(first));
        assertThat(eventId(f.post("/hooks/" + NS + "/deploy-web", headers))).isEqualTo(eventId(first));
        await().untilAsserted(() -> assertThat(f.fireCount("deploy-web")).isEqualTo(2L));
        assertThat(f.counter("trigger_events_received_total", "trigger", "deploy-web")).isEqualTo(2.0);

        // After 24 h the key is forgotten: accepted again, not as a replay, with the id derived from the key (the same on
        // every replica); the target carries another event now, so it is restarted for this one again.
        f.clock.advance(Duration.ofHours(24).plusSeconds(1));
        HttpResponse<String> later = f.post("/hooks/" + NS + "/deploy-web", headers);
        assertThat(eventId(later)).isEqualTo(eventId(first));
        assertThat(later.headers().firstValue("idempotent-replayed")).isEmpty();
        await().untilAsserted(() -> assertThat(f.fireCount("deploy-web")).isEqualTo(3L));
        assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, eventId(first));
    }

    @Test
    void deletingTheSecretRevokesTheTokenAndANewOneIsMinted() {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String old = f.token("deploy-web");
        f.awaitAccepted("deploy-web", old);

        // No watch on Secrets: the leader's periodic GET (every WebhookFixture.RECHECK here) sees it gone.
        f.cluster.client().secrets().inNamespace(NS).withName("deploy-web-webhook").delete();
        await().atMost(WebhookFixture.RECHECK.plusSeconds(5)).until(() -> f.factory.tokens().verify(NS, "deploy-web", old).isEmpty());
        assertThat(f.bearer("deploy-web", old).statusCode()).isEqualTo(404);
        assertThat(f.inPath("deploy-web", old).statusCode()).isEqualTo(404);

        await().atMost(Duration.ofSeconds(10)).until(() -> f.secret("deploy-web") != null);
        String fresh = f.token("deploy-web");
        assertThat(fresh).isNotEqualTo(old);
        f.awaitAccepted("deploy-web", fresh);
        String id = eventId(f.bearer("deploy-web", fresh));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, id));
        assertThat(f.bearer("deploy-web", old).statusCode()).isEqualTo(404);
        assertThat(f.status("deploy-web").getUrl()).endsWith("/hooks/" + NS + "/deploy-web");
        // One mint counted on the Events: the token minted in place of the deleted one (a new Trigger's first has none).
        await().untilAsserted(() -> assertThat(f.events("deploy-web").stream().filter(e -> WebhookTriggerSource.REASON_MINTED.equals(e.getReason()))
                .mapToInt(Event::getCount).sum()).isEqualTo(1));
    }

    @Test
    void rotationAcceptsBothTokensDuringTheGracePeriodAndOnlyTheNewOneAfter() {
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        String url = f.awaitReady("deploy-web").getStatus().getUrl();
        String old = f.token("deploy-web");

        f.annotate("deploy-web", WebhookTokens.ANNOTATION_ROTATE, "2026-11-26");
        await().untilAsserted(() -> assertThat(f.token("deploy-web")).isNotEqualTo(old));
        String fresh = f.token("deploy-web");
        f.awaitAccepted("deploy-web", fresh);
        assertThat(WebhookTokens.data(f.secret("deploy-web"), WebhookTokens.KEY_URL)).isEqualTo(url + "/" + fresh);

        String viaOld = eventId(f.bearer("deploy-web", old));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, viaOld));
        String viaNew = eventId(f.inPath("deploy-web", fresh));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, viaNew));

        // The grace period (1 h by default) passes on the injected clock.
        f.clock.advance(Duration.ofHours(1).plusSeconds(1));
        assertThat(f.bearer("deploy-web", old).statusCode()).isEqualTo(404);
        assertThat(f.inPath("deploy-web", old).statusCode()).isEqualTo(404);
        String after = eventId(f.bearer("deploy-web", fresh));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, after));
        assertThat(f.status("deploy-web").getUrl()).isEqualTo(url);

        // The next look at the Trigger drops the expired token from the Secret; the same annotation value does not rotate again.
        f.patchTrigger("deploy-web", "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
        await().untilAsserted(() -> assertThat(f.secret("deploy-web").getData()).doesNotContainKey(WebhookTokens.KEY_PREVIOUS_TOKEN));
        assertThat(f.token("deploy-web")).isEqualTo(fresh);
        assertThat(f.events("deploy-web")).extracting(Event::getReason).contains(WebhookTriggerSource.REASON_ROTATED);
    }

    @Test
    void anAcceptedEventWhoseFireFailsIsRetriedUntilItFires() {
        f.close();
        f = new WebhookFixture(WebhookFixture.settings().with(s -> { s.fireAttempts = 100; s.firstRetryDelay = Duration.ofMillis(100); s.maxRetryDelay = Duration.ofMillis(300); }));
        f.cluster.create(Triggers.redeploy(NS, "deploy-late", "late"));
        // The target is missing, so the Trigger is in Error, but its URL already works.
        await().untilAsserted(() -> assertThat(f.secret("deploy-late")).isNotNull());
        String token = f.token("deploy-late");
        f.awaitAccepted("deploy-late", token);
        String id = eventId(f.bearer("deploy-late", token));
        await().untilAsserted(() -> assertThat(f.status("deploy-late").getErrorMessage()).contains("late"));

        f.cluster.deployment(NS, "late");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.template("late")).containsEntry(RedeployAction.EVENT_ID, id));
        await().untilAsserted(() -> assertThat(f.counter("trigger_webhook_events_total", "trigger", "deploy-late", "outcome", "fired")).isEqualTo(1.0));
        await().untilAsserted(() -> assertThat(f.status("deploy-late").getStatus()).isEqualTo(TriggerStatus.READY));
    }

    @Test
    void aCallToAReplicaWithoutTheSourceIsHandedToTheLeader() {
        WebhookSourceFactory standby = f.standby();
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        await().until(() -> standby.tokens().verify(NS, "deploy-web", token).isPresent());

        String id = eventId(f.post(standby.port(), "/hooks/" + NS + "/deploy-web", Map.of("Authorization", "Bearer " + token),
                HttpRequest.BodyPublishers.noBody()));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, id));
        await().untilAsserted(() -> assertThat(f.status("deploy-web").getLastFireRequest()).isEqualTo(id));
        assertThat(f.post(standby.port(), "/hooks/" + NS + "/deploy-web/" + WebhookTokens.newToken(), Map.of(),
                HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(404);

        f.patchTrigger("deploy-web", "{\"spec\":{\"suspend\":true}}");
        await().untilAsserted(() -> assertThat(f.post(standby.port(), "/hooks/" + NS + "/deploy-web/" + token, Map.of(),
                HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(409));
    }

    @Test
    void aSecretOfTheSameNameNotMadeByTheOperatorIsAnErrorUntilItIsGone() {
        f.cluster.client().secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("deploy-web-webhook").withNamespace(NS).endMetadata()
                .withData(Map.of("token", WebhookTokens.encode("chosen-by-someone-else"))).build()).create();
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        await().untilAsserted(() -> assertThat(f.status("deploy-web")).isNotNull()
                .extracting(TriggerStatus::getErrorMessage).asString()
                .contains("Secret " + NS + "/deploy-web-webhook exists but was not made by trigger-operator"));
        assertThat(f.bearer("deploy-web", "chosen-by-someone-else").statusCode()).isEqualTo(404);

        f.cluster.client().secrets().inNamespace(NS).withName("deploy-web-webhook").delete();
        f.awaitReady("deploy-web");
        assertThat(f.token("deploy-web")).isNotEqualTo("chosen-by-someone-else");
        eventId(f.bearer("deploy-web", f.token("deploy-web")));
    }
}
