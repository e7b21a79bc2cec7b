package dev.triggers.operator.source;

import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.nats.NatsSourceFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** The source types this build ships, each behind {@link SourceFactory}. */
public final class SourceFactories {
    private SourceFactories() {}

    public static List<SourceFactory> all(KubernetesClient client, OperatorConfig config, Clock clock, MeterRegistry metrics) {
        List<SourceFactory> factories = new ArrayList<>();
        factories.add(new NatsSourceFactory());
        return factories;
    }
}
