package dev.triggers.operator.source;

import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;

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

    /** Stops receiving promptly. Events whose fire has not succeeded are not acknowledged. */
    @Override
    void close();
}
