package dev.triggers.operator.source;

import dev.triggers.operator.action.FireResult;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The one rule every transport follows: what it received is acknowledged (an SQS delete, a JetStream ack, a webhook
 * event counted as fired) only once the fire that carried it succeeded; otherwise it is rejected, with the result
 * saying why (it comes back, is retried, or is dropped and said so).
 */
public final class Acknowledgement {
    private Acknowledgement() {}

    /** Runs {@code acknowledge} or {@code reject} when the fire ends; an exception is a failed result, never lost. */
    public static void afterFire(CompletableFuture<FireResult> fired, Consumer<FireResult> acknowledge, Consumer<FireResult> reject) {
        fired.whenComplete((result, thrown) -> {
            FireResult outcome = thrown != null ? FireResult.failed(String.valueOf(thrown)) : result;
            if (outcome.succeeded()) acknowledge.accept(outcome);
            else reject.accept(outcome);
        });
    }

    /** As above, for events received together (one fetched batch): acknowledged only if every one of their fires succeeded. */
    public static void afterFires(List<CompletableFuture<FireResult>> fired, Consumer<FireResult> acknowledge, Consumer<FireResult> reject) {
        afterFire(CompletableFuture.allOf(fired.toArray(CompletableFuture[]::new)).thenApply(v -> fired.stream()
                .map(CompletableFuture::join).filter(r -> !r.succeeded()).findFirst().orElse(fired.get(fired.size() - 1).join())),
                acknowledge, reject);
    }
}
