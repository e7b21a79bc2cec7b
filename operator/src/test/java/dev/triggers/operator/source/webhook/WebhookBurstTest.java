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
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Given cooldownSeconds: 5, when 100 callers POST at once, then at most 2 rollouts carry every one of their events. */
class WebhookBurstTest {
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
    void aHundredConcurrentCallsBecomeAtMostTwoRolloutsAndEveryEventIsAccountedFor() {
        HttpRequest request = readyWebhook("deploy-web", 5);
        List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, 100)
                .mapToObj(i -> f.http.sendAsync(request, HttpResponse.BodyHandlers.ofString())).toList();
        Set<String> ids = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> call : calls) ids.add(eventId(call.join()));
        assertThat(ids).hasSize(100);

        // Every accepted event rode on a fire that succeeded: the first one, or the one at the end of the cooldown.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(f.counter("trigger_webhook_events_total", "trigger", "deploy-web", "outcome", "fired")).isEqualTo(100.0));
        await().untilAsserted(() -> {
            TriggerStatus status = f.status("deploy-web");
            assertThat(status.getFireCount()).isNotNull();
            assertThat(status.getCoalescedCount()).isNotNull();
            assertThat(status.getFireCount() + status.getCoalescedCount()).isEqualTo(100L);
        });
        TriggerStatus status = f.status("deploy-web");
        assertThat(status.getFireCount()).isBetween(1L, 2L);
        assertThat(f.counter("trigger_fires_total", "trigger", "deploy-web", "outcome", "success")).isEqualTo((double) status.getFireCount());
        assertThat(f.counter("trigger_events_received_total", "trigger", "deploy-web")).isEqualTo(100.0);
        assertThat(f.counter("trigger_events_coalesced_total", "trigger", "deploy-web")).isEqualTo((double) status.getCoalescedCount());
        assertThat(ids).contains(f.template("web").get(RedeployAction.EVENT_ID), status.getLastEvent().getId());
    }

    @Test
    void callsThatFoldIntoOneFireDuringALongCooldownHoldOneCallbackNotOneEach() {
        HttpRequest request = readyWebhook("deploy-long", 3600);
        assertThat(f.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).join().statusCode()).isEqualTo(202);
        await().untilAsserted(() -> assertThat(f.status("deploy-long").getFireCount()).isEqualTo(1L));

        // The next 500 wait for the end of the hour's cooldown, folded into one fire.
        List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, 500)
                .mapToObj(i -> f.http.sendAsync(request, HttpResponse.BodyHandlers.ofString())).toList();
        for (CompletableFuture<HttpResponse<String>> call : calls) assertThat(call.join().statusCode()).isEqualTo(202);
        long[] awaited = f.factory.local(new io.javaoperatorsdk.operator.processing.event.ResourceID("deploy-long", NS)).orElseThrow().awaitedFire();
        assertThat(awaited[1]).as("calls sharing the waiting fire").isEqualTo(500);
        assertThat(awaited[0]).as("callbacks on it").isBetween(1L, 2L);
    }

    /** A webhook Trigger on "web" at the highest rate limit, Ready; returns a POST with its token. */
    private HttpRequest readyWebhook(String name, int cooldownSeconds) {
        Trigger trigger = Triggers.redeploy(NS, name, "web");
        trigger.getSpec().setCooldownSeconds(cooldownSeconds);
        WebhookSource webhook = new WebhookSource();
        webhook.setRateLimitPerMinute(WebhookSourceFactory.MAX_RATE_LIMIT_PER_MINUTE);
        trigger.getSpec().getSource().setWebhook(webhook);
        f.cluster.create(trigger);
        f.awaitReady(name);
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.factory.port() + "/hooks/" + NS + "/" + name))
                .header("Authorization", "Bearer " + f.token(name)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    }
}
