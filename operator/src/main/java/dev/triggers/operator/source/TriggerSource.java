package dev.triggers.operator.source;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import java.util.Map;

/**
 * A running source for one Trigger. It only turns outside events into
 * {@link SourceContext#fire} calls; the executor does the rest. Created by a
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

    /** Fields this source reports on the status through the reconciler (url, webhookSecretName, ...). */
    default void describe(TriggerStatus status) {}

    /**
     * This source's fields of the fire record, by status field name, as they are now: a cron Trigger's next slot,
     * which every fire moves on. The recorder, the one writer of the fire record, writes them with each record, and
     * on their own when the source calls {@link SourceContext#recordChanged()}. Keys are among
     * {@link SourceFactory#recordedFields()}; empty by default.
     */
    default Map<String, String> recorded() {
        return Map.of();
    }

    /** Stops receiving promptly. Events whose fire has not succeeded are not acknowledged. */
    @Override
    void close();
}
