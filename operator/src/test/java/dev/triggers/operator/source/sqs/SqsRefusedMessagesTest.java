package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An SQS message waiting in the cooldown when its Trigger is moved to a namespace that has not granted
 * it is refused, not deleted: it comes back from the queue and fires once under the next valid spec.
 */
class SqsRefusedMessagesTest {
    static final String A = "team-a";
    static final String B = "team-b";
    static ElasticMq elasticMq;
    MockCluster cluster;

    @BeforeAll
    static void startElasticMq() {
        elasticMq = ElasticMq.start();
    }

    @AfterAll
    static void stopElasticMq() {
        elasticMq.close();
    }

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void aMessageRefusedAtTheMomentOfThePatchComesBackAndFiresOnceUnderTheNextValidSpec() {
        cluster = MockCluster.start();
        cluster.namespacesEachWithDeployment("web", A, B);
        SqsTriggers.credentialsSecret(cluster, A);
        Set<String> deleted = ConcurrentHashMap.newKeySet();
        SqsSourceFactory sqs = new SqsSourceFactory(SqsSettings.defaults().with(s -> { s.initialBackoff = Duration.ofMillis(200); s.maxBackoff = Duration.ofSeconds(1); }),
                new SimpleMeterRegistry());
        sqs.setListener(new SqsSourceFactory.DeliveryListener() {
            @Override
            public void fired(io.javaoperatorsdk.operator.processing.event.ResourceID trigger, List<String> ids, boolean succeeded) {}

            @Override
            public void deleted(io.javaoperatorsdk.operator.processing.event.ResourceID trigger, List<String> ids) {
                deleted.addAll(ids);
            }
        });
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(sqs));
        String queueUrl = elasticMq.createQueue("refused-" + System.nanoTime(), 2);
        Trigger trigger = SqsTriggers.redeployOnQueue(A, "deploy-on-message", "web", queueUrl, elasticMq.endpoint());
        trigger.getSpec().setCooldownSeconds(5);
        cluster.create(trigger);
        await().until(() -> TriggerStatus.READY.equals(status().getStatus()));

        String first = elasticMq.send(queueUrl, "first");
        await().untilAsserted(() -> assertThat(deleted).containsExactly(first));
        String second = elasticMq.send(queueUrl, "second");
        await().untilAsserted(() -> assertThat(elasticMq.messagesInFlight(queueUrl)).isEqualTo(1)); // received, waiting for the cooldown

        patchSpec(Map.of("target", Map.of("namespace", B)));
        await().until(() -> TriggerStatus.ERROR.equals(status().getStatus()));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl) + elasticMq.messagesInFlight(queueUrl)).isEqualTo(1));
        assertThat(deleted).containsExactly(first);
        assertThat(templateAnnotations(B)).doesNotContainKey(RedeployAction.EVENT_ID);

        // team-b's owners grant it: the next valid spec. The refused message comes back and fires there, once.
        cluster.grant(B, "from-team-a", A, null);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(templateAnnotations(B)).containsEntry(RedeployAction.EVENT_ID, second));
        await().untilAsserted(() -> assertThat(deleted).containsExactlyInAnyOrder(first, second));
        await().untilAsserted(() -> assertThat(status().getFireCount()).isEqualTo(2L));
        assertThat(elasticMq.messagesLeft(queueUrl)).isZero();
        assertThat(templateAnnotations(A)).containsEntry(RedeployAction.EVENT_ID, first);
        // Nothing was lost, so nothing counts as dropped.
        assertThat(status().getDroppedCount()).isNull();
    }

    private void patchSpec(Map<String, Object> spec) {
        cluster.client().resources(Trigger.class).inNamespace(A).withName("deploy-on-message")
                .patch(PatchContext.of(PatchType.JSON_MERGE), cluster.client().getKubernetesSerialization().asJson(Map.of("spec", spec)));
    }

    private TriggerStatus status() {
        Trigger t = cluster.trigger(A, "deploy-on-message");
        return t == null || t.getStatus() == null ? new TriggerStatus() : t.getStatus();
    }

    private Map<String, String> templateAnnotations(String ns) {
        Map<String, String> a = cluster.getDeployment(ns, "web").getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }
}
