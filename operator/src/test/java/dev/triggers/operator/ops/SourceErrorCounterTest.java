package dev.triggers.operator.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.source.SourceHealth;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** A source error is counted when it starts (or changes reason), not on every reconcile that sees it. */
class SourceErrorCounterTest {
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    final SourceErrorCounter counter = new SourceErrorCounter(metrics);
    final ResourceID trigger = new ResourceID("orders", "shop");

    @Test
    void countsTransitionsIntoAnErrorByReason() {
        counter.observe(trigger, "SQS", SourceHealth.starting("connecting"));
        counter.observe(trigger, "SQS", SourceHealth.error("QueueNotFound", "no queue"));
        counter.observe(trigger, "SQS", SourceHealth.error("QueueNotFound", "no queue"));
        assertThat(count("QueueNotFound")).isEqualTo(1.0);

        counter.observe(trigger, "SQS", SourceHealth.error("AccessDenied", "denied"));
        assertThat(count("AccessDenied")).isEqualTo(1.0);

        counter.observe(trigger, "SQS", SourceHealth.ready("receiving"));
        counter.observe(trigger, "SQS", SourceHealth.error("QueueNotFound", "no queue"));
        assertThat(count("QueueNotFound")).isEqualTo(2.0);

        counter.forget(trigger);
        counter.observe(trigger, "SQS", SourceHealth.error("QueueNotFound", "no queue"));
        assertThat(count("QueueNotFound")).isEqualTo(3.0);
        assertThat(metrics.get("trigger_source_errors_total").tag("reason", "QueueNotFound").counter().getId().getTag("source")).isEqualTo("sqs");
    }

    @Test
    void startingIsNotAnError() {
        counter.observe(trigger, "NATS", SourceHealth.starting("connecting"));
        assertThat(metrics.find("trigger_source_errors_total").counters()).isEmpty();
    }

    double count(String reason) {
        return metrics.get("trigger_source_errors_total").tag("reason", reason).counter().count();
    }
}
