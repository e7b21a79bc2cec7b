package dev.triggers.operator.source;

import dev.triggers.operator.api.v1alpha1.SpecObject;
import java.util.Map;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Makes the running source of one source type (Cron, SQS, NATS, Webhook). */
public interface SourceFactory extends AutoCloseable {

    /** The spec.source.type this factory serves. */
    String type();

    /**
     * Problems with the Trigger's config block that the API server's schema cannot catch (a cron
     * expression, a time zone, a URL), each a message a person can act on. Empty when valid.
     */
    default List<String> validate(Trigger trigger) {
        return List.of();
    }

    /** Starts receiving events for the Trigger. Must not block on the network: report through health. */
    TriggerSource start(Trigger trigger, SourceContext context);

    /**
     * The operator's Trigger informer cache, handed over when the reconciler is registered. It runs on every
     * replica, leader or standby, so what a factory serves on every replica (the webhook server) reads it.
     */
    default void useTriggerCache(Function<ResourceID, Optional<Trigger>> cache) {}

    /** Releases what the factory shares between Triggers (a scheduler, connections). */
    @Override
    default void close() {}

    /** The blocks of spec.source this type reads, by path (e.g. spec.source.sqs): the validator names their unknown fields. */
    default Map<String, SpecObject> specParts(SourceSpec source) {
        return Map.of();
    }

    /** Checks this source type adds to the operator's readiness (/readyz), by name: e.g. its own server listening. */
    default Map<String, java.util.function.BooleanSupplier> readinessChecks() {
        return Map.of();
    }

    /**
     * The status fields of the fire record this type's sources keep (see {@link TriggerSource#recorded()}): cleared
     * by the recorder while none of them runs (suspended, invalid spec).
     */
    default java.util.Set<String> recordedFields() {
        return java.util.Set.of();
    }
}
