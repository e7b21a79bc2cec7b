package dev.triggers.operator.source.webhook;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static dev.triggers.operator.source.webhook.WebhookFixture.eventId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Given webhook Triggers, the token check reads only the Trigger's status digests: no Secret is listed or
 * watched, the status never holds a token, the revoke annotation acts without waiting for a recheck, and a
 * digest written by someone else is put back.
 */
class WebhookTokenStatusTest {
    /** Long enough that nothing in these tests can be the periodic recheck's doing. */
    static final Duration NO_RECHECK = Duration.ofMinutes(10);
    WebhookFixture f;

    @AfterEach
    void stop() {
        if (f != null) f.close();
    }

    void start(Duration recheck) {
        f = new WebhookFixture(WebhookFixture.settings().with(s -> s.recheckInterval = recheck), MockCluster.testConfig(), List.of());
        f.cluster.deployment(NS, "web");
    }

    List<TriggerStatus.TokenDigest> digests(String name) {
        List<TriggerStatus.TokenDigest> d = f.status(name).getWebhookTokenDigests();
        return d == null ? List.of() : d;
    }

    @Test
    void theStatusHoldsTheDigestsOfTheAcceptedTokensAndNeverATokenNorTheFullUrl() {
        start(NO_RECHECK);
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        assertThat(digests("deploy-web")).containsExactly(new TriggerStatus.TokenDigest(WebhookTokens.digest(token), null));

        f.annotate("deploy-web", WebhookTokens.ANNOTATION_ROTATE, "r1");
        await().untilAsserted(() -> assertThat(digests("deploy-web")).hasSize(2));
        String fresh = f.token("deploy-web");
        List<TriggerStatus.TokenDigest> both = digests("deploy-web");
        assertThat(both.get(0)).isEqualTo(new TriggerStatus.TokenDigest(WebhookTokens.digest(fresh), null));
        assertThat(both.get(1).getSha256()).isEqualTo(WebhookTokens.digest(token));
        assertThat(both.get(1).getExpiresAt()).isNotBlank();

        String json = f.cluster.client().getKubernetesSerialization().asJson(f.cluster.trigger(NS, "deploy-web"));
        assertThat(json).doesNotContain(token).doesNotContain(fresh);
        eventId(f.bearer("deploy-web", token));
        eventId(f.bearer("deploy-web", fresh));
    }

    @Test
    void theRevokeAnnotationRefusesTheOldTokenAtOnceWithoutWaitingForARecheck() {
        start(NO_RECHECK);
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String old = f.token("deploy-web");
        f.annotate("deploy-web", WebhookTokens.ANNOTATION_ROTATE, "r1");
        await().untilAsserted(() -> assertThat(digests("deploy-web")).hasSize(2));
        String rotated = f.token("deploy-web");

        // Revoking drops both the current token and the one still in its rotation grace period.
        f.annotate("deploy-web", WebhookTokens.ANNOTATION_REVOKE, "leaked-2026-11-29");
        await().atMost(Duration.ofSeconds(10)).until(() -> f.factory.tokens().verify(NS, "deploy-web", rotated).isEmpty());
        assertThat(f.bearer("deploy-web", rotated).statusCode()).isEqualTo(404);
        assertThat(f.bearer("deploy-web", old).statusCode()).isEqualTo(404);
        String fresh = f.token("deploy-web");
        assertThat(fresh).isNotIn(old, rotated);
        assertThat(digests("deploy-web")).containsExactly(new TriggerStatus.TokenDigest(WebhookTokens.digest(fresh), null));
        String id = eventId(f.bearer("deploy-web", fresh));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, id));
        await().untilAsserted(() -> assertThat(f.events("deploy-web")).extracting(Event::getReason).contains(WebhookTriggerSource.REASON_REVOKED));

        // The same value again revokes nothing more.
        f.patchTrigger("deploy-web", "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
        await().pollDelay(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(f.token("deploy-web")).isEqualTo(fresh));
    }

    @Test
    void aDigestSetInTheStatusBySomeoneElseIsPutBackByTheOperator() {
        start(NO_RECHECK);
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        String chosen = WebhookTokens.newToken();
        String patch = "[{\"op\":\"replace\",\"path\":\"/status/webhookTokenDigests\",\"value\":[{\"sha256\":\""
                + WebhookTokens.digest(chosen) + "\"}]}]";
        f.cluster.client().resources(Trigger.class).inNamespace(NS).withName("deploy-web").subresource("status")
                .patch(PatchContext.of(PatchType.JSON), patch);

        // The status change makes the leader reconcile, and it writes the digest of the Secret's token back.
        await().untilAsserted(() -> assertThat(digests("deploy-web"))
                .containsExactly(new TriggerStatus.TokenDigest(WebhookTokens.digest(token), null)));
        await().until(() -> f.factory.tokens().verify(NS, "deploy-web", chosen).isEmpty());
        assertThat(f.bearer("deploy-web", chosen).statusCode()).isEqualTo(404);
        eventId(f.bearer("deploy-web", token));
    }

    @Test
    void aTokenEditedIntoTheSecretThatTheOperatorDidNotMintIsReplaced() {
        start(WebhookFixture.RECHECK);
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        var secret = f.secret("deploy-web");
        secret.getData().put(WebhookTokens.KEY_TOKEN, WebhookTokens.encode("password"));
        f.cluster.client().secrets().inNamespace(NS).resource(secret).update();

        // Seen by the periodic GET; a guessable token never gets a digest in the status.
        await().untilAsserted(() -> assertThat(f.token("deploy-web")).isNotEqualTo("password").matches("[A-Za-z0-9_-]{43}"));
        String minted = f.token("deploy-web");
        f.awaitAccepted("deploy-web", minted);
        assertThat(digests("deploy-web")).extracting(TriggerStatus.TokenDigest::getSha256).doesNotContain(WebhookTokens.digest("password"));
        assertThat(f.bearer("deploy-web", "password").statusCode()).isEqualTo(404);
    }

    /** Every Secret request the API saw names one Secret (get, create, update); none lists or watches a collection. */
    @Test
    void noSecretIsEverListedNorWatchedOnlyReadAndWrittenByName() throws Exception {
        start(WebhookFixture.RECHECK);
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.cluster.create(Triggers.redeploy(NS, "deploy-api", "web"));
        f.awaitReady("deploy-web");
        f.awaitReady("deploy-api");
        f.annotate("deploy-web", WebhookTokens.ANNOTATION_ROTATE, "r1");
        f.annotate("deploy-api", WebhookTokens.ANNOTATION_REVOKE, "v1");
        String before = f.token("deploy-web");
        f.cluster.client().secrets().inNamespace(NS).withName("deploy-web-webhook").delete();
        await().atMost(WebhookFixture.RECHECK.plusSeconds(10)).until(() -> f.secret("deploy-web") != null && !before.equals(f.token("deploy-web")));
        Thread.sleep(WebhookFixture.RECHECK.toMillis() * 2); // periodic GETs happen meanwhile

        Pattern byName = Pattern.compile("/api/v1/namespaces/[^/]+/secrets/[^/?]+(\\?.*)?");
        Pattern collection = Pattern.compile("/api/v1/(namespaces/[^/]+/)?secrets(\\?.*)?");
        List<String> secretRequests = new ArrayList<>();
        RecordedRequest r;
        while ((r = f.cluster.server().takeRequest(0, TimeUnit.MILLISECONDS)) != null) {
            String path = r.getPath();
            if (!path.contains("/secrets")) continue;
            secretRequests.add(r.getMethod() + " " + path);
            if (collection.matcher(path).matches()) {
                assertThat(r.getMethod()).as("a request on the Secrets collection: %s", path).isEqualTo("POST");
            } else {
                assertThat(path).as("%s %s", r.getMethod(), path).matches(byName).doesNotContain("watch");
                // DELETE: this test's own; no PATCH anywhere (the chart grants none).
                assertThat(r.getMethod()).as(path).isIn("GET", "PUT", "DELETE");
            }
        }
        assertThat(secretRequests).as("the operator used Secrets at all").anyMatch(s -> s.startsWith("GET "))
                .anyMatch(s -> s.startsWith("POST ")).anyMatch(s -> s.startsWith("PUT "));
        assertThat(secretRequests.stream().filter(s -> s.startsWith("DELETE ")).count()).isEqualTo(1);
    }

    @Test
    void aRateLimitAboveTheCapIsAnInvalidSpec() {
        start(NO_RECHECK);
        Trigger t = Triggers.redeploy(NS, "too-fast", "web");
        t.getSpec().getSource().getWebhook().setRateLimitPerMinute(WebhookSourceFactory.MAX_RATE_LIMIT_PER_MINUTE + 1);
        f.cluster.create(t);
        await().untilAsserted(() -> {
            assertThat(f.status("too-fast").getStatus()).isEqualTo(TriggerStatus.ERROR);
            assertThat(f.status("too-fast").getErrorMessage()).contains("rateLimitPerMinute must be between 1 and "
                    + WebhookSourceFactory.MAX_RATE_LIMIT_PER_MINUTE);
        });
        assertThat(f.secret("too-fast")).as("no token for an invalid Trigger").isNull();
    }
}
