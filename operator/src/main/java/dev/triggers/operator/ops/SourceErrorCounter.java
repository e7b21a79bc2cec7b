package dev.triggers.operator.ops;

import dev.triggers.operator.source.SourceHealth;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * trigger_source_errors_total: how often a Trigger's source went into an error (an unreachable queue, a
 * missing Secret, a bad cron...), by reason. Counted once per transition into an error or from one error
 * reason to another, not once per reconcile, so a rate() shows sources breaking, not how often they
 * are looked at.
 */
public final class SourceErrorCounter {
    private final MeterRegistry metrics;
    private final Map<ResourceID, String> currentError = new ConcurrentHashMap<>();

    public SourceErrorCounter(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /** The health the reconciler just observed for the Trigger's running source of the given type. */
    public void observe(ResourceID trigger, String sourceType, SourceHealth health) {
        if (health.ready() || "Starting".equals(health.reason())) {
            currentError.remove(trigger);
            return;
        }
        String before = currentError.put(trigger, health.reason());
        if (Objects.equals(before, health.reason())) return;
        Counter.builder("trigger_source_errors_total").description("Sources that went into an error, by reason")
                .tags("namespace", trigger.getNamespace().orElse(""), "trigger", trigger.getName(),
                        "source", sourceType == null ? "" : sourceType.toLowerCase(Locale.ROOT), "reason", health.reason())
                .register(metrics).increment();
    }

    /** The Trigger's source stopped (deleted, suspended, invalid spec): a later error counts again. */
    public void forget(ResourceID trigger) {
        currentError.remove(trigger);
    }
}
