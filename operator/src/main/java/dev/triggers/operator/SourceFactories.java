package dev.triggers.operator;

import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.cron.CronSourceFactory;
import dev.triggers.operator.source.nats.NatsSourceFactory;
import dev.triggers.operator.source.sqs.SqsSettings;
import dev.triggers.operator.source.sqs.SqsSourceFactory;
import dev.triggers.operator.source.webhook.WebhookSettings;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
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
        factories.add(WebhookSourceFactory.open(client, config, WebhookSettings.fromEnv(System.getenv()), clock, metrics));
        factories.add(new CronSourceFactory(clock));
        factories.add(new SqsSourceFactory(SqsSettings.fromEnv(System.getenv()), metrics));
        factories.add(new NatsSourceFactory(metrics));
        return factories;
    }
}
