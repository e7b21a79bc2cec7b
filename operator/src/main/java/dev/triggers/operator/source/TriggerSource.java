package dev.triggers.operator.source;

import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import java.util.Map;

/**
 * A running source for one Trigger. It only turns outside events into
 * {@link SourceContext#fire(TriggerEvent)} calls; the executor does the rest. Created by a
 * {@link SourceFactory} when the Trigger's source config appears or changes, closed when it changes
 * again, the Trigger is suspended or deleted.
 */
public interface TriggerSource extends AutoCloseable {

    /**
     * Called on every reconcile with the Trigger as it is now (its source config is the one this source
     * was created with). For work that follows the Trigger's metadata or dependents, e.g. a Secret.
     */
    default void observe(Trigger trigger) {}

    /** The health shown as SourceReady; a change is announced with {@link SourceContext#healthChanged()}. */
    SourceHealth health();

    /** Fields this source reports on the status (url, webhookSecretName, nextFireAt). */
    default void describe(TriggerStatus status) {}

    /**
     * Fields of {@link #describe} that a successful fire of this event changes, by status field name: written with the
     * fire's record (one status patch either way), so the fire needs no reconcile to show them. A cron Trigger's
     * next slot, say. Empty by default, and for an event this source did not fire.
     */
    default Map<String, String> describedAfter(TriggerEvent fired) {
        return Map.of();
    }

    /** Stops receiving promptly. Events whose fire has not succeeded are not acknowledged. */
    @Override
    void close();
}
