package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.Manifests;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** examples/sqs-redeploy.yaml as written, pointed at ElasticMQ by a patch (as an overlay would): it redeploys. */
class SqsExampleTest {
    MockCluster cluster;
    ElasticMq elasticMq;

    @BeforeEach
    void start() {
        elasticMq = ElasticMq.start();
        cluster = MockCluster.start();
    }

    @AfterEach
    void stop() {
        cluster.close();
        elasticMq.close();
    }

    @Test
    void theExampleRestartsWebOnAMessageAndDeletesIt() throws Exception {
        Manifests.apply(cluster.client(), Manifests.examplesDir().resolve("sqs-redeploy.yaml"));
        Trigger example = cluster.trigger("demo", "redeploy-on-sqs");
        assertThat(example.getSpec().getSource().getSqs().getQueueUrl()).endsWith("/web-deploys");
        SqsSourceFactory sqs = new SqsSourceFactory(SqsSettings.defaults(), new SimpleMeterRegistry());
        assertThat(sqs.validate(example)).isEmpty();

        String queueUrl = elasticMq.createQueue("web-deploys", 60);
        cluster.client().resources(Trigger.class).inNamespace("demo").withName("redeploy-on-sqs").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"source\":{\"sqs\":{\"queueUrl\":\"" + queueUrl + "\",\"endpoint\":\"" + elasticMq.endpoint() + "\"}}}}");
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(sqs));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.trigger("demo", "redeploy-on-sqs").getStatus())
                .isNotNull().extracting(s -> s.getStatus()).isEqualTo("Ready"));

        String messageId = elasticMq.send(queueUrl, "{\"image\":\"web:1.4.2\"}");
        await().untilAsserted(() -> assertThat(cluster.getDeployment("demo", "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_ID, messageId));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());
        assertThat(cluster.trigger("demo", "redeploy-on-sqs").getStatus().getLastEvent().getId()).isEqualTo(messageId);
    }
}
