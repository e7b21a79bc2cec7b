package dev.triggers.operator.source.webhook;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.Triggers;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Given one webhook Trigger burst far over its rate limit, the webhook state kept for it stays a fixed
 * handful of entries, and when the Trigger is deleted every replica drops that state (rate-limit bucket,
 * Idempotency-Keys, per-Trigger meters).
 */
class WebhookStateTest {
    static final int LIMIT = 5;
    static final int BURST = 300;
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
    void aBurstFarOverTheLimitKeepsAFixedNumberOfEntriesAndDeletingTheTriggerDropsThemOnEveryReplica() {
        WebhookSourceFactory standby = f.standby();
        Trigger trigger = Triggers.redeploy(NS, "burst", "web");
        trigger.getSpec().getSource().getWebhook().setRateLimitPerMinute(LIMIT);
        f.cluster.create(trigger);
        f.awaitReady("burst");
        String token = f.token("burst");
        f.awaitAccepted("burst", token);
        await().until(() -> standby.tokens().verify(NS, "burst", token).isPresent());

        // Every call carries a new Idempotency-Key: the one thing a caller could try to grow memory with.
        List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, BURST).mapToObj(i -> f.http.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.factory.port() + "/hooks/" + NS + "/burst"))
                        .header("Authorization", "Bearer " + token).header("Idempotency-Key", "build-" + i)
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString())).toList();
        Map<Integer, Long> codes = calls.stream().map(CompletableFuture::join)
                .collect(Collectors.groupingBy(HttpResponse::statusCode, Collectors.counting()));
        assertThat(codes).containsEntry(202, (long) LIMIT).containsEntry(429, (long) (BURST - LIMIT)).hasSize(2);
        // And a couple through the standby: it keeps its own bucket and meters for the Trigger.
        assertThat(f.post(standby.port(), "/hooks/" + NS + "/burst", Map.of("Authorization", "Bearer " + token),
                HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(202);

        // The standby's call reaches the leader as a fire request (counted "forwarded" on the standby).
        await().untilAsserted(() -> assertThat(f.counter("trigger_webhook_events_total", "trigger", "burst", "outcome", "fired"))
                .isEqualTo((double) LIMIT));
        // One bucket, one key per accepted call (refused ones released theirs), one meter per outcome seen.
        assertThat(f.factory.stateSize()).isEqualTo(new WebhookSourceFactory.StateSize(1, LIMIT, 1));
        assertThat(standby.stateSize()).isEqualTo(new WebhookSourceFactory.StateSize(1, 0, 1));
        assertThat(f.metrics.find("trigger_webhook_requests_total").counters()).as("one series per response code")
                .hasSizeLessThanOrEqualTo(3);

        f.cluster.client().resources(Trigger.class).inNamespace(NS).withName("burst").delete();
        // Within a sweep (WebhookFixture.RECHECK here, 60 s by default), on both replicas.
        await().atMost(WebhookFixture.RECHECK.plusSeconds(10)).untilAsserted(() -> {
            assertThat(f.factory.stateSize()).isEqualTo(new WebhookSourceFactory.StateSize(0, 0, 0));
            assertThat(standby.stateSize()).isEqualTo(new WebhookSourceFactory.StateSize(0, 0, 0));
        });
        assertThat(f.metrics.find("trigger_webhook_events_total").tag("trigger", "burst").counters()).isEmpty();
    }
}
