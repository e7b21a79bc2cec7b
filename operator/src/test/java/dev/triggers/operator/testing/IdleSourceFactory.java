package dev.triggers.operator.testing;

import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerSource;
import dev.triggers.operator.api.v1alpha1.Trigger;

/**
 * A source of the given type that receives nothing by itself: core tests fire through the real
 * manual-fire path (the triggers.dev/fire-request annotation) and need no transport.
 */
public final class IdleSourceFactory implements SourceFactory {
    private final String type;

    public IdleSourceFactory(String type) {
        this.type = type;
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public TriggerSource start(Trigger trigger, SourceContext context) {
        return new TriggerSource() {
            @Override
            public SourceHealth health() {
                return SourceHealth.ready("idle test source");
            }

            @Override
            public void close() {}
        };
    }
}
