package dev.triggers.operator.source.webhook;

import dev.triggers.operator.DaemonThreads;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.TriggerSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Webhook sources. Owns what every replica runs: the HTTP server and the token Secret informer.
 * {@link #start} (the leader's reconciler) adds a Trigger's {@link WebhookTriggerSource}, which keeps the
 * Secret and fires the accepted events.
 */
public final class WebhookSourceFactory implements SourceFactory {
    /** A Secret name is at most 253 characters, and "-webhook" takes 8 of them. */
    static final int MAX_TRIGGER_NAME = 253 - "-webhook".length();

    private final WebhookSettings settings;
    private final MeterRegistry metrics;
    private final Map<ResourceID, WebhookTriggerSource> local = new ConcurrentHashMap<>();
    /** trigger_webhook_events_total by its tags, looked up once: counted for every accepted event. */
    private final Map<Outcome, Counter> outcomes = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers;
    private final WebhookTokens tokens;
    private final WebhookServer server;

    private WebhookSourceFactory(KubernetesClient client, OperatorConfig config, WebhookSettings settings, Clock clock,
                                 MeterRegistry metrics) throws IOException {
        this.settings = settings;
        this.metrics = metrics;
        this.timers = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("webhook-retry"));
        this.tokens = new WebhookTokens(client, clock, config.watchNamespaces(), this::secretChanged);
        try {
            this.server = new WebhookServer(this, client, clock, config.webhookPort(), config.webhookRateLimitPerMinute(), settings, metrics);
        } catch (IOException | RuntimeException e) {
            tokens.close();
            timers.shutdownNow();
            throw e;
        }
    }

    /** Starts the token Secret informer and the HTTP server on config.webhookPort (0: a free port, see {@link #port()}). */
    public static WebhookSourceFactory open(KubernetesClient client, OperatorConfig config, WebhookSettings settings, Clock clock,
                                            MeterRegistry metrics) {
        try {
            return new WebhookSourceFactory(client, config, settings, clock, metrics);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the webhook server on port " + config.webhookPort(), e);
        }
    }

    @Override
    public String type() {
        return SourceSpec.WEBHOOK;
    }

    @Override
    public List<String> validate(Trigger trigger) {
        String name = trigger.getMetadata().getName();
        if (name != null && name.length() > MAX_TRIGGER_NAME) {
            return List.of("a Webhook Trigger's name may have at most " + MAX_TRIGGER_NAME
                    + " characters, so that its token Secret <name>-webhook is a valid name");
        }
        return List.of();
    }

    @Override
    public TriggerSource start(Trigger trigger, SourceContext context) {
        WebhookTriggerSource source = new WebhookTriggerSource(trigger, context, this);
        local.put(context.trigger(), source);
        return source;
    }

    /** The bound port of the webhook server. */
    public int port() {
        return server.port();
    }

    public WebhookTokens tokens() {
        return tokens;
    }

    WebhookSettings settings() {
        return settings;
    }

    /** The Trigger's running source, if it runs on this replica (the leader). */
    Optional<WebhookTriggerSource> local(ResourceID id) {
        return Optional.ofNullable(local.get(id));
    }

    void closed(ResourceID id, WebhookTriggerSource source) {
        local.remove(id, source);
    }

    private void secretChanged(ResourceID trigger) {
        WebhookTriggerSource source = local.get(trigger);
        if (source != null) source.secretChanged();
    }

    void scheduleRecheck(Runnable task, Duration delay) {
        if (!timers.isShutdown()) timers.schedule(task, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** Counts what became of accepted events: fired (its fire, or the one it was folded into, succeeded), dropped, forwarded. */
    void eventOutcome(String namespace, String name, String outcome) {
        outcomes.computeIfAbsent(new Outcome(namespace, name, outcome), o -> Counter.builder("trigger_webhook_events_total")
                .description("Accepted webhook events, by what became of them")
                .tags("namespace", o.namespace(), "trigger", o.trigger(), "outcome", o.outcome()).register(metrics)).increment();
    }

    /** The tags of one trigger_webhook_events_total series. */
    private record Outcome(String namespace, String trigger, String outcome) {}

    @Override
    public void close() {
        server.close();
        tokens.close();
        timers.shutdownNow();
    }
}
