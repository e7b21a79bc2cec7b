package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Given an SQS Trigger and a Deployment, a message restarts the Deployment and is deleted only then. */
class SqsDeliveryTest {
    static final String NS = "shop";
    static ElasticMq elasticMq;
    MockCluster cluster;
    SqsSourceFactory sqs;
    TriggerOperator operator;
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    String queueUrl;
    final Set<String> deleted = ConcurrentHashMap.newKeySet();
    final AtomicInteger failedFires = new AtomicInteger();

    @BeforeAll
    static void startElasticMq() {
        elasticMq = ElasticMq.start();
    }

    @AfterAll
    static void stopElasticMq() {
        elasticMq.close();
    }

    @BeforeEach
    void start(TestInfo test) {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        SqsTriggers.credentialsSecret(cluster, NS);
        sqs = new SqsSourceFactory(SqsSettings.defaults().with(s -> { s.initialBackoff = Duration.ofMillis(200); s.maxBackoff = Duration.ofSeconds(1); }), metrics);
        sqs.setListener(new SqsSourceFactory.DeliveryListener() {
            @Override
            public void fired(ResourceID trigger, List<String> ids, boolean succeeded) {
                if (!succeeded) failedFires.incrementAndGet();
            }

            @Override
            public void deleted(ResourceID trigger, List<String> ids) {
                deleted.addAll(ids);
            }
        });
        operator = cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(sqs));
        queueUrl = elasticMq.createQueue(test.getTestMethod().orElseThrow().getName(), 2);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void aMessageRestartsTheDeploymentAndIsThenDeleted() {
        cluster.deployment(NS, "web");
        Trigger trigger = SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", queueUrl, elasticMq.endpoint());
        trigger.getSpec().getSource().getSqs().setWaitTimeSeconds(20); // a real long poll
        cluster.create(trigger);
        awaitStatus("deploy-on-message", TriggerStatus.READY);

        String messageId = elasticMq.send(queueUrl, "{\"image\":\"web:1.2\"}");

        await().untilAsserted(() -> assertThat(templateAnnotations("web")).containsEntry(RedeployAction.EVENT_ID, messageId)
                .containsEntry(RedeployAction.EVENT_SOURCE, "sqs").containsKey(RedeployAction.RESTARTED_AT));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
        await().untilAsserted(() -> assertThat(deleted).containsExactly(messageId)); // told after the delete answered
        Trigger fired = cluster.trigger(NS, "deploy-on-message");
        assertThat(fired.getStatus().getLastEvent().getId()).isEqualTo(messageId);
        assertThat(fired.getStatus().getLastEvent().getSource()).isEqualTo("sqs");
        assertThat(fired.getStatus().getFireCount()).isEqualTo(1L);
    }

    @Test
    void aFailedPatchDeletesNothingAndTheMessageFiresOnceTheTargetExists() {
        // No Deployment "web" yet: every fire fails, the message must come back each time.
        cluster.create(SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", queueUrl, elasticMq.endpoint()));
        await().untilAsserted(() -> assertThat(sqs.activePollers()).isEqualTo(1));
        String messageId = elasticMq.send(queueUrl, "deploy");

        await().untilAsserted(() -> assertThat(failedFires.get()).isGreaterThanOrEqualTo(2)); // received again after the visibility timeout
        assertThat(deleted).isEmpty();
        assertThat(elasticMq.messagesLeft(queueUrl)).isEqualTo(1);
        awaitStatus("deploy-on-message", TriggerStatus.ERROR);

        cluster.deployment(NS, "web");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(templateAnnotations("web")).containsEntry(RedeployAction.EVENT_ID, messageId));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
        await().untilAsserted(() -> assertThat(deleted).containsExactly(messageId)); // told after the delete answered
        awaitStatus("deploy-on-message", TriggerStatus.READY);
    }

    @Test
    void aHundredMessagesWithinTheCooldownBecomeAHandfulOfRolloutsAndEveryIdIsDeleted() {
        // Counts are exact only if no message comes back: a visibility timeout longer than the cooldown, so a late
        // visibility extension on a loaded machine (2 s, extended every second) cannot hand one out twice.
        // Extension itself is tested below.
        queueUrl = elasticMq.createQueue("hundred-within-the-cooldown", 30);
        cluster.deployment(NS, "web");
        Trigger trigger = SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", queueUrl, elasticMq.endpoint());
        trigger.getSpec().setCooldownSeconds(5);
        cluster.create(trigger);
        awaitStatus("deploy-on-message", TriggerStatus.READY);

        List<String> sent = elasticMq.sendMany(queueUrl, 100);
        assertThat(new HashSet<>(sent)).hasSize(100);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(deleted).containsExactlyInAnyOrderElementsOf(sent));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
        TriggerStatus status = cluster.trigger(NS, "deploy-on-message").getStatus();
        assertThat(status.getFireCount()).isBetween(1L, 5L);
        assertThat(status.getFireCount() + status.getCoalescedCount()).isEqualTo(100L);
        assertThat(failedFires.get()).isZero();
    }

    @Test
    void suspendingStopsThePollerAndAMessageInFlightIsNotDeleted() {
        // A long cooldown keeps the second message's fire pending when the Trigger is suspended.
        cluster.deployment(NS, "web");
        Trigger trigger = SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", queueUrl, elasticMq.endpoint());
        trigger.getSpec().setCooldownSeconds(3600);
        cluster.create(trigger);
        awaitStatus("deploy-on-message", TriggerStatus.READY);
        String first = elasticMq.send(queueUrl, "one");
        await().untilAsserted(() -> assertThat(deleted).containsExactly(first));

        String second = elasticMq.send(queueUrl, "two");
        await().untilAsserted(() -> assertThat(elasticMq.messagesInFlight(queueUrl)).isEqualTo(1));
        // Held across several visibility timeouts (2 s) by extending it, not handed out again.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(metrics.counter("sqs_visibility_extended_total",
                "namespace", NS, "trigger", "deploy-on-message").count()).isGreaterThanOrEqualTo(3));
        assertThat(sqs.receivedCount()).isEqualTo(2);
        assertThat(elasticMq.messagesInFlight(queueUrl)).isEqualTo(1);

        suspend("deploy-on-message", true);
        awaitStatus("deploy-on-message", TriggerStatus.SUSPENDED);
        await().untilAsserted(() -> assertThat(sqs.activePollers()).isZero());

        // Deleting the Trigger fails its pending fire: the message is left in the queue for whoever comes next.
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("deploy-on-message").delete();
        await().untilAsserted(() -> assertThat(failedFires.get()).isEqualTo(1));
        assertThat(deleted).doesNotContain(second);
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isEqualTo(1));
    }

    @Test
    void suspendingCutsTheLongPollAndAMessageSentMeanwhileFiresAfterResuming() {
        cluster.deployment(NS, "web");
        Trigger trigger = SqsTriggers.redeployOnQueue(NS, "deploy-on-message", "web", queueUrl, elasticMq.endpoint());
        trigger.getSpec().getSource().getSqs().setWaitTimeSeconds(20);
        cluster.create(trigger);
        awaitStatus("deploy-on-message", TriggerStatus.READY);
        await().until(() -> sqs.busyPollThreads() == 1);

        suspend("deploy-on-message", true);
        awaitStatus("deploy-on-message", TriggerStatus.SUSPENDED);
        // The 20 s long poll is cut (the default await gives up after 10 s): the thread is free again.
        await().until(() -> sqs.activePollers() == 0 && sqs.busyPollThreads() == 0);
        String messageId = elasticMq.send(queueUrl, "sent while suspended");
        // The server may still hand it to the cut poll (it cannot tell): then it is invisible for one
        // visibility timeout and comes back. The operator never saw it, so nothing acted or deleted.
        assertThat(sqs.receivedCount()).isZero();
        assertThat(elasticMq.messagesLeft(queueUrl)).isEqualTo(1);

        suspend("deploy-on-message", false);
        await().untilAsserted(() -> assertThat(deleted).containsExactly(messageId));
        assertThat(templateAnnotations("web")).containsEntry(RedeployAction.EVENT_ID, messageId);
    }

    void suspend(String name, boolean suspend) {
        // A merge patch, as kubectl patch does: no conflict with the operator's own writes.
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":" + suspend + "}}");
    }

    void awaitStatus(String name, String status) {
        cluster.awaitStatus(NS, name, status);
    }

    Map<String, String> templateAnnotations(String deployment) {
        Deployment d = cluster.getDeployment(NS, deployment);
        return d == null ? Map.of() : d.getSpec().getTemplate().getMetadata().getAnnotations() == null ? Map.of()
                : d.getSpec().getTemplate().getMetadata().getAnnotations();
    }
}
