package dev.triggers.operator.source;

import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.action.FireExecutor;
import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.config.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** What a running source may use: fire its Trigger, announce a health change, reach the API. */
public interface SourceContext {

    /** The Trigger this source fires. */
    ResourceID trigger();

    /**
     * Hands an event to the executor. The future completes once the action ran (coalesced events
     * complete with the fire they were folded into); acknowledge the event only if it succeeded.
     */
    CompletableFuture<FireResult> fire(TriggerEvent event);

    /**
     * Hands events received together (one fetched batch) to the executor so that they coalesce into
     * one fire; the futures are in the order of the events.
     */
    default List<CompletableFuture<FireResult>> fireAll(List<TriggerEvent> events) {
        return events.stream().map(this::fire).toList();
    }

    /**
     * Hands over an event whose caller is told it was accepted only once {@code recorded()} completes (a webhook's
     * 202): it is then kept in the API until its fire ended, and a new leader fires it should this one die.
     */
    default FireExecutor.Accepted fireAccepted(TriggerEvent event) {
        return new FireExecutor.Accepted(fire(event), CompletableFuture.completedFuture(null));
    }

    /** Fires as soon as no fire runs, whatever the maintenance windows and the cooldown say (the fire-now override). */
    default CompletableFuture<FireResult> fireNow(TriggerEvent event) {
        return fire(event);
    }

    /**
     * When the Trigger may fire, at or after the instant (its spec.windows, newest spec): the instant itself when
     * inside a window or without windows; empty when no window opens again.
     */
    default java.util.Optional<java.time.Instant> windowOpensAt(java.time.Instant at) {
        return java.util.Optional.of(at);
    }

    /** Fires, as one, the events an earlier leader accepted through {@link #fireAccepted} and had not fired. */
    default List<CompletableFuture<FireResult>> recoverAccepted(List<TriggerEvent> events) {
        return fireAll(events);
    }

    /** Asks for a reconcile, so that a changed {@link TriggerSource#health()} reaches the status. */
    void healthChanged();

    /**
     * Asks the recorder to write {@link TriggerSource#recorded()} now, not only with the next fire's record (nothing,
     * where no recorder runs: the tests' contexts).
     */
    default void recordChanged() {}

    /** Records a Kubernetes Event on the Trigger (e.g. a skipped cron slot), never with a secret in it. */
    void recordEvent(boolean warning, String reason, String message);

    KubernetesClient client();

    Clock clock();

    OperatorConfig config();
}
