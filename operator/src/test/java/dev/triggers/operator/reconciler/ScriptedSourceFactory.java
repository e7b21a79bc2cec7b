package dev.triggers.operator.reconciler;

import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerSource;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A Webhook source that receives nothing and does what a test scripts, inside the reconcile: {@link #onObserve}
 * runs after the reconciler read the Trigger and before it returns its status, and {@link #url} is the block
 * it describes on the status.
 */
final class ScriptedSourceFactory implements SourceFactory {
    volatile String url = "https://hooks.example/shop/a";
    volatile Consumer<Trigger> onObserve = t -> {};
    final AtomicInteger observed = new AtomicInteger();
    volatile Trigger startedWith;

    @Override
    public String type() {
        return SourceSpec.WEBHOOK;
    }

    @Override
    public TriggerSource start(Trigger trigger, SourceContext context) {
        startedWith = trigger;
        return new TriggerSource() {
            @Override
            public void observe(Trigger t) {
                onObserve.accept(t);
                observed.incrementAndGet();
            }

            @Override
            public SourceHealth health() {
                return SourceHealth.ready("scripted test source");
            }

            @Override
            public void describe(TriggerStatus status) {
                status.setUrl(url);
            }

            @Override
            public void close() {}
        };
    }
}
