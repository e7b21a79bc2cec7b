package dev.triggers.operator.source.webhook;

import dev.triggers.operator.api.v1alpha1.SpecObject;
import java.util.Collections;
import dev.triggers.operator.support.DaemonThreads;
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
import dev.triggers.operator.api.v1alpha1.WebhookSignature;
import dev.triggers.operator.api.v1alpha1.WebhookSource;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
 * Webhook sources. Owns what every replica runs: the HTTP server, which checks tokens against the Triggers'
 * status digests in the operator's Trigger informer cache (no Secret informer: the operator may not list or
 * watch Secrets). {@link #start} (the leader's reconciler) adds a Trigger's {@link WebhookTriggerSource},
 * which keeps the Secret, rechecks it periodically, and fires the accepted events.
 */
public final class WebhookSourceFactory implements SourceFactory {
    private static final Logger log = LoggerFactory.getLogger(WebhookSourceFactory.class);
    /** A Secret name is at most 253 characters, and "-webhook" takes 8 of them. */
    static final int MAX_TRIGGER_NAME = 253 - "-webhook".length();
    /**
     * The highest spec.source.webhook.rateLimitPerMinute (10 a second): it is also the burst one Trigger may
     * send at once, and on a standby each accepted call is one PATCH to the API server.
     */
    public static final int MAX_RATE_LIMIT_PER_MINUTE = dev.triggers.operator.api.v1alpha1.WebhookSource.MAX_RATE_LIMIT_PER_MINUTE;

    private final WebhookSettings settings;
    private final MeterRegistry metrics;
    private final Map<ResourceID, WebhookTriggerSource> local = new ConcurrentHashMap<>();
    /** trigger_webhook_events_total by its tags, looked up once: counted for every accepted event. */
    private final Map<Outcome, Counter> outcomes = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers;
    /** The leader's periodic GETs of token Secrets, off the retry timer so a slow API does not delay retries. */
    private final ScheduledExecutorService rechecks;
    private final WebhookTokens tokens;
    private final WebhookSignatures signatures;
    private final WebhookFilters filters;
    private final WebhookServer server;

    private WebhookSourceFactory(KubernetesClient client, OperatorConfig config, WebhookSettings settings, Clock clock,
                                 MeterRegistry metrics) throws IOException {
        this.settings = settings;
        this.metrics = metrics;
        this.timers = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("webhook-retry"));
        this.rechecks = Executors.newScheduledThreadPool(2, DaemonThreads.named("webhook-recheck"));
        this.tokens = new WebhookTokens(clock);
        this.signatures = new WebhookSignatures(client, clock, settings.recheckInterval());
        this.filters = new WebhookFilters();
        try {
            this.server = new WebhookServer(this, client, clock, config.webhookPort(), config.webhookRateLimitPerMinute(), settings, metrics);
        } catch (IOException | RuntimeException e) {
            timers.shutdownNow();
            rechecks.shutdownNow();
            throw e;
        }
        // Every replica forgets the per-Trigger state (rate limit, Idempotency-Keys, meters) of deleted Triggers.
        long sweep = Math.max(1, settings.recheckInterval().toMillis());
        rechecks.scheduleWithFixedDelay(this::forgetDeleted, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /** Starts the HTTP server on config.webhookPort (0: a free port, see {@link #port()}). */
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
    public Map<String, SpecObject> specParts(SourceSpec source) {
        return Collections.singletonMap("spec.source.webhook", source.getWebhook());
    }

    @Override
    public List<String> validate(Trigger trigger) {
        String name = trigger.getMetadata().getName();
        if (name != null && name.length() > MAX_TRIGGER_NAME) {
            return List.of("a Webhook Trigger's name may have at most " + MAX_TRIGGER_NAME
                    + " characters, so that its token Secret <name>-webhook is a valid name");
        }
        WebhookSource webhook = trigger.getSpec().getSource().getWebhook();
        Integer limit = webhook == null ? null : webhook.getRateLimitPerMinute();
        if (limit != null && (limit < 1 || limit > MAX_RATE_LIMIT_PER_MINUTE)) {
            return List.of("spec.source.webhook.rateLimitPerMinute must be between 1 and " + MAX_RATE_LIMIT_PER_MINUTE + ", not " + limit);
        }
        List<String> problems = new java.util.ArrayList<>();
        WebhookSignature signature = webhook == null ? null : webhook.getSignature();
        if (signature != null) {
            String type = signature.getType();
            if (!WebhookSignature.GITHUB.equals(type) && !WebhookSignature.GITLAB.equals(type) && !WebhookSignature.HMAC.equals(type)) {
                problems.add("spec.source.webhook.signature.type must be GitHub, GitLab or HMAC, not " + type);
            }
            if (signature.getSecretRef() == null || signature.getSecretRef().getName() == null || signature.getSecretRef().getName().isBlank()) {
                problems.add("spec.source.webhook.signature.secretRef.name is required: the Secret holding the signing secret");
            }
            for (String field : signature.unknownFieldNames()) {
                problems.add("unknown field spec.source.webhook.signature." + field + ": check its spelling (kubectl explain trigger.spec.source.webhook.signature)");
            }
        }
        String filter = webhook == null ? null : webhook.getFilter();
        if (filter != null && filter.length() > WebhookSource.MAX_FILTER_LENGTH) {
            problems.add("spec.source.webhook.filter may have at most " + WebhookSource.MAX_FILTER_LENGTH + " characters");
        } else if (filter != null && !filter.isBlank()) {
            // Compiled here once; the server reuses the program kept for this text.
            String problem = filters.problem(filter);
            if (problem != null) problems.add("spec.source.webhook.filter does not compile: " + problem);
        }
        return problems;
    }

    @Override
    public TriggerSource start(Trigger trigger, SourceContext context) {
        WebhookTriggerSource source = new WebhookTriggerSource(trigger, context, this);
        local.put(context.trigger(), source);
        return source;
    }

    /** The bound port of the webhook server. */
    @Override
    public Map<String, java.util.function.BooleanSupplier> readinessChecks() {
        return Map.of("webhook", () -> port() > 0);
    }

    public int port() {
        return server.port();
    }

    WebhookFilters filters() {
        return filters;
    }

    WebhookSignatures signatures() {
        return signatures;
    }

    public WebhookTokens tokens() {
        return tokens;
    }

    @Override
    public void useTriggerCache(Function<ResourceID, Optional<Trigger>> cache) {
        tokens.useTriggers(cache);
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

    /**
     * Runs {@code check} every recheck interval, first at a random point inside it, so that thousands of
     * webhook Triggers started together (a new leader) spread their Secret GETs evenly over the interval.
     */
    ScheduledFuture<?> schedulePeriodic(Runnable check) {
        long every = Math.max(1, settings.recheckInterval().toMillis());
        long first = ThreadLocalRandom.current().nextLong(every) + 1;
        return rechecks.scheduleWithFixedDelay(check, first, every, TimeUnit.MILLISECONDS);
    }

    /** Forgets the per-Trigger webhook state of Triggers this replica's informer no longer has. */
    void forgetDeleted() {
        try {
            Predicate<ResourceID> gone = id -> tokens.trigger(id.getNamespace().orElse(""), id.getName()).isEmpty();
            server.forget(gone);
            outcomes.entrySet().removeIf(e -> {
                if (!gone.test(new ResourceID(e.getKey().trigger(), e.getKey().namespace()))) return false;
                metrics.remove(e.getValue());
                return true;
            });
        } catch (RuntimeException e) {
            log.warn("could not forget the webhook state of deleted Triggers: {}", e.toString());
        }
    }

    /** How many per-Trigger entries this replica keeps: rate-limit buckets, Idempotency-Keys, event meters. */
    public StateSize stateSize() {
        return new StateSize(server.rateLimitBuckets(), server.idempotencyKeys(), outcomes.size());
    }

    /** Open webhook connections admitted by the per-address cap. */
    int openConnections() {
        return server.openConnections();
    }

    public record StateSize(int rateLimitBuckets, int idempotencyKeys, int eventMeters) {}

    void scheduleRecheck(Runnable task, Duration delay) {
        if (!timers.isShutdown()) timers.schedule(task, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** Counts what became of accepted events: fired (its fire, or the one it was folded into, succeeded), dropped, forwarded. */
    void eventOutcome(String namespace, String name, String outcome) {
        eventOutcome(namespace, name, outcome, 1);
    }

    void eventOutcome(String namespace, String name, String outcome, long events) {
        outcomes.computeIfAbsent(new Outcome(namespace, name, outcome), o -> Counter.builder("trigger_webhook_events_total")
                .description("Accepted webhook events, by what became of them")
                .tags("namespace", o.namespace(), "trigger", o.trigger(), "outcome", o.outcome()).register(metrics)).increment(events);
    }

    /** The tags of one trigger_webhook_events_total series. */
    private record Outcome(String namespace, String trigger, String outcome) {}

    @Override
    public void close() {
        server.close();
        timers.shutdownNow();
        rechecks.shutdownNow();
    }
}
