package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;

/** Waits on a Trigger's status as a user would read it with kubectl. */
final class SqsAwait {
    private SqsAwait() {}

    /** Waits for status Error with SourceReady=False and this reason; returns that condition. */
    static Condition sourceNotReady(MockCluster cluster, String ns, String name, String reason) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TriggerStatus s = cluster.trigger(ns, name).getStatus();
            assertThat(s).isNotNull();
            assertThat(s.getStatus()).as("status of %s: %s", name, s.getErrorMessage()).isEqualTo(TriggerStatus.ERROR);
            assertThat(SqsErrorsTest.sourceReady(s)).extracting(Condition::getStatus, Condition::getReason).containsExactly("False", reason);
        });
        return SqsErrorsTest.sourceReady(cluster.trigger(ns, name).getStatus());
    }

    static Trigger status(MockCluster cluster, String ns, String name, String status) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Trigger t = cluster.trigger(ns, name);
            assertThat(t.getStatus()).isNotNull();
            assertThat(t.getStatus().getStatus()).as("status of %s: %s", name, t.getStatus().getErrorMessage()).isEqualTo(status);
        });
        return cluster.trigger(ns, name);
    }
}
