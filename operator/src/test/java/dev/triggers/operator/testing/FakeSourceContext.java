package dev.triggers.operator.testing;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.action.TriggerEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A source context without an API: every fire is handed to {@code onFire} and succeeds at once. For
 * measuring or testing a source alone (its scheduling, its transport), not the executor.
 */
public record FakeSourceContext(ResourceID trigger, Clock clock, Consumer<TriggerEvent> onFire) implements SourceContext {
    @Override
    public CompletableFuture<FireResult> fire(TriggerEvent event) {
        onFire.accept(event);
        return CompletableFuture.completedFuture(FireResult.of(List.of()));
    }

    @Override
    public void healthChanged() {}

    @Override
    public void recordEvent(boolean warning, String reason, String message) {}

    @Override
    public KubernetesClient client() {
        return null;
    }

    @Override
    public OperatorConfig config() {
        return OperatorConfig.defaults().with(c -> c.tenancy = dev.triggers.operator.config.TenantPolicy.open());
    }
}
