package dev.triggers.operator.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.schedule.CronSchedule;
import dev.triggers.operator.source.cron.CronSourceFactory;
import dev.triggers.operator.source.cron.MutableClock;
import dev.triggers.operator.source.webhook.WebhookSettings;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What one Trigger costs the API server, counted by the operator's own client (as trigger_operator_api_requests_total
 * counts it): a new webhook Trigger to Ready, and one cron fire. At thousands of Triggers each request here is
 * thousands of requests, so these are budgets, not just observations.
 */
class ApiRequestBudgetTest {
    static final String NS = "shop";

    MockCluster cluster;
    SimpleMeterRegistry requests;
    KubernetesClient client;

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        requests = new SimpleMeterRegistry();
        client = cluster.closeLater(ApiRequestMetrics.instrument(
                new KubernetesClientBuilder().withConfig(cluster.client().getConfiguration()), requests).build());
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    TriggerOperator operator(Clock clock, List<SourceFactory> factories) {
        TriggerOperator operator = cluster.closeLater(new TriggerOperator(client, MockCluster.testConfig(), clock, new SimpleMeterRegistry(), factories));
        operator.start();
        return operator;
    }

    @Test
    void aNewWebhookTriggerToReady() {
        // No periodic recheck of the token Secret inside this test: that is a cost per interval, not per new Trigger.
        WebhookSourceFactory webhook = cluster.closeLater(WebhookSourceFactory.open(client, MockCluster.testConfig(),
                WebhookSettings.defaults().with(s -> {
                    s.bindAddress = "127.0.0.1";
                    s.recheckInterval = Duration.ofHours(1);
                }), Clock.systemUTC(), new SimpleMeterRegistry()));
        operator(Clock.systemUTC(), List.of(webhook));
        Map<String, Long> before = settled();

        cluster.create(Triggers.redeploy(NS, "hook", "web"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(cluster.trigger(NS, "hook")));
        Map<String, Long> spent = since(before, settled());

        System.out.println("a new webhook Trigger to Ready: " + spent);
        // Its labels; its target read once; its first status (before its source starts) and Ready; its token Secret
        // created without a GET first, and no Event (nothing was revoked; the status names the Secret).
        // Sometimes the first status twice: the reconcile the label patch causes can still read the Trigger without
        // a status (JOSDK does not cache its own status patch), and writes it again.
        assertThat(spent.remove("patch triggers/status")).isBetween(2L, 3L);
        assertThat(spent).containsExactlyInAnyOrderEntriesOf(Map.of(
                "patch triggers", 1L, "get deployments", 1L, "create secrets", 1L));
    }

    @Test
    void aCronFire() {
        Trigger created = cluster.create(cron("nightly", "*/5 * * * *"));
        Instant at = Instant.parse(created.getMetadata().getCreationTimestamp());
        Instant slot = CronSchedule.parse("*/5 * * * *", null).next(at).orElseThrow();
        MutableClock clock = new MutableClock(at);
        CronSourceFactory cron = new CronSourceFactory(clock);
        operator(clock, List.of(cron));
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(cluster.trigger(NS, "nightly"))
                && CronSchedule.slotId(slot).equals(cluster.trigger(NS, "nightly").getStatus().getNextFireAt()));
        Map<String, Long> before = settled();

        clock.set(slot);
        cron.scheduler().wakeUp();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TriggerStatus s = cluster.trigger(NS, "nightly").getStatus();
            assertThat(s.getLastScheduleTime()).isEqualTo(CronSchedule.slotId(slot));
            assertThat(s.getNextFireAt()).isEqualTo(CronSchedule.slotId(slot.plus(Duration.ofMinutes(5))));
        });
        Map<String, Long> spent = since(before, settled());

        System.out.println("one cron fire: " + spent);
        // One read and one patch of the target; the fire record carries the next slot, so no reconcile writes it
        // (nor reads the target) after the fire; the Fired Event.
        assertThat(spent).containsExactlyInAnyOrderEntriesOf(Map.of(
                "get deployments", 1L, "patch deployments", 1L, "patch triggers/status", 1L, "create events", 1L));
    }

    /**
     * Following the rollout adds nothing to the fire: when the fire's result is known, the target was read once and
     * patched once, as without following. Afterwards, off the fire path: a read of the Deployment per poll (here one:
     * the test writes the Deployment's status as its controller would before the first poll, since the mock runs no
     * controllers), the end on the status and the RolloutComplete Event.
     */
    @Test
    void aFireWithItsRolloutFollowed() throws Exception {
        TriggerOperator operator = cluster.closeLater(new TriggerOperator(client,
                MockCluster.testConfig().with(c -> c.rollouts = new dev.triggers.operator.config.RolloutFollowing(true, 200, 5000)),
                Clock.systemUTC(), new SimpleMeterRegistry(), List.of(new dev.triggers.operator.testing.IdleSourceFactory(SourceSpec.WEBHOOK))));
        operator.start();
        cluster.create(Triggers.redeploy(NS, "restart-web", "web"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(cluster.trigger(NS, "restart-web")));
        Map<String, Long> before = settled();

        var result = operator.executor().submit(new io.javaoperatorsdk.operator.processing.event.ResourceID("restart-web", NS),
                new dev.triggers.operator.action.TriggerEvent(dev.triggers.operator.action.TriggerEvent.WEBHOOK, "e1", Instant.now()))
                .get(30, java.util.concurrent.TimeUnit.SECONDS);
        Map<String, Long> firePath = since(before, counts());
        firePath.keySet().removeIf(k -> !k.endsWith(" deployments"));
        assertThat(result.succeeded()).isTrue();
        assertThat(firePath).as("the fire itself").containsExactlyInAnyOrderEntriesOf(Map.of("get deployments", 1L, "patch deployments", 1L));

        new dev.triggers.operator.testing.WorkloadControllers(cluster.client()).deploymentComplete(NS, "web");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.trigger(NS, "restart-web").getStatus().getLastRollout().getState())
                .isEqualTo(dev.triggers.operator.api.v1alpha1.RolloutStatus.COMPLETE));
        Map<String, Long> spent = since(before, settled());
        System.out.println("one fire, its rollout followed: " + spent);
        assertThat(spent).containsExactlyInAnyOrderEntriesOf(Map.of(
                "get deployments", 2L, "patch deployments", 1L, "patch triggers/status", 2L, "create events", 2L));
    }

    static Trigger cron(String name, String schedule) {
        Trigger t = Triggers.redeploy(NS, name, "web");
        SourceSpec source = new SourceSpec(SourceSpec.CRON);
        source.setCron(new CronSource(schedule, null));
        t.getSpec().setSource(source);
        return t;
    }

    static boolean ready(Trigger t) {
        return t != null && t.getStatus() != null && TriggerStatus.READY.equals(t.getStatus().getStatus());
    }

    /** The requests counted so far by "verb resource", once nothing more was sent for a second (what was caused is done). */
    Map<String, Long> settled() {
        Map<String, Long>[] last = new Map[] {counts()};
        long[] since = {System.nanoTime()};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Map<String, Long> now = counts();
            if (!now.equals(last[0])) {
                last[0] = now;
                since[0] = System.nanoTime();
            }
            return System.nanoTime() - since[0] > Duration.ofSeconds(1).toNanos();
        });
        return last[0];
    }

    Map<String, Long> counts() {
        Map<String, Long> counts = new TreeMap<>();
        for (Counter c : requests.find(ApiRequestMetrics.METER).counters()) {
            String key = c.getId().getTag("verb") + " " + c.getId().getTag("resource");
            // The informers' long-running watches are not what a Trigger costs.
            if (!key.startsWith("watch ")) counts.merge(key, (long) c.count(), Long::sum);
        }
        return counts;
    }

    static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> spent = new TreeMap<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d != 0) spent.put(k, d);
        });
        return spent;
    }
}
