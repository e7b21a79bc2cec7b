package dev.triggers.operator.notify;

import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.action.RolloutListener;
import dev.triggers.operator.action.TargetResolver;
import dev.triggers.operator.action.Timers;
import dev.triggers.operator.api.v1alpha1.NotifySpec;
import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.support.NamespaceQuota;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * spec.notify: POSTs one JSON document (with a Slack-compatible {@code text}) per rollout that ended Complete or
 * Failed to the URL in the Trigger's Secret. Off every fire's path: it starts after the rollout's end was recorded,
 * runs on its own small pool with non-blocking HTTP, retries a failed delivery {@link #ATTEMPTS} times in all, and
 * counts and shows (Warning Event NotifyFailed) what it could not deliver. A tenant's URL is held to the same rules
 * as its other endpoints (no loopback, link-local or Service addresses unless the admin allows them; no redirects);
 * the Secret must opt in like a credentials Secret. Bounded: at most {@link #MAX_PER_NAMESPACE} deliveries under
 * way per namespace and {@link #MAX_TOTAL} in all; more are dropped and counted.
 */
public final class RolloutNotifier implements RolloutListener {
    private static final Logger log = LoggerFactory.getLogger(RolloutNotifier.class);
    public static final String REASON_NOTIFY_FAILED = "NotifyFailed";
    static final int ATTEMPTS = 3;
    static final int MAX_PER_NAMESPACE = 20;
    static final int MAX_TOTAL = 500;
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final KubernetesClient client;
    private final TenantPolicy policy;
    private final MeterRegistry metrics;
    private final Timers timers;
    private final Executor executor;
    private final Supplier<FireRecorder> recorder;
    private final List<Duration> retryDelays;
    private final HttpClient http;
    /** Deliveries under way, per namespace and in all. */
    private final NamespaceQuota underWay = new NamespaceQuota(MAX_PER_NAMESPACE, MAX_TOTAL);

    /**
     * @param executor where Secrets are read and responses handled (small, shared)
     * @param recorder writes the NotifyFailed Event on the Trigger
     * @param retryDelays the delay before each retry ({@link #ATTEMPTS} - 1 of them)
     */
    public RolloutNotifier(KubernetesClient client, TenantPolicy policy, MeterRegistry metrics, Timers timers, Executor executor,
                           Supplier<FireRecorder> recorder, List<Duration> retryDelays) {
        this.client = client;
        this.policy = policy;
        this.metrics = metrics;
        this.timers = timers;
        this.executor = executor;
        this.recorder = recorder;
        this.retryDelays = List.copyOf(retryDelays);
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).executor(executor).build();
    }

    /** The retry delays of the operator: 2 s, then 10 s. */
    public static List<Duration> defaultRetryDelays() {
        return List.of(Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    @Override
    public void ended(Trigger trigger, RolloutStatus rollout, Duration took) {
        NotifySpec notify = trigger.getSpec().getNotify();
        if (notify == null || notify.getUrlSecretRef() == null) return;
        if (!RolloutStatus.COMPLETE.equals(rollout.getState()) && !RolloutStatus.FAILED.equals(rollout.getState())) return;
        String ns = trigger.getMetadata().getNamespace();
        if (!underWay.tryTake(ns, 1)) {
            count(ns, "dropped");
            log.warn("{}/{}: rollout of event {} not notified: {} notifications already under way in the namespace", ns,
                    trigger.getMetadata().getName(), rollout.getEventId(), MAX_PER_NAMESPACE);
            return;
        }
        Delivery delivery = new Delivery(trigger, notify.getUrlSecretRef().getName(), document(trigger, rollout, took));
        run(() -> attempt(delivery, 1), delivery);
    }

    private void run(Runnable task, Delivery delivery) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            release(delivery.namespace());
        }
    }

    private void attempt(Delivery delivery, int attempt) {
        URI url;
        try {
            url = url(delivery);
        } catch (Problem p) {
            ended(delivery, attempt, p.getMessage(), p.retryable);
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(url).timeout(TIMEOUT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(delivery.body(), StandardCharsets.UTF_8)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, thrown) -> {
            if (thrown != null) {
                ended(delivery, attempt, "POST to " + url.getHost() + " failed: " + KubernetesErrors.rootMessage(thrown), true);
            } else if (response.statusCode() / 100 == 2) {
                count(delivery.namespace(), "sent");
                release(delivery.namespace());
            } else {
                int code = response.statusCode();
                ended(delivery, attempt, "POST to " + url.getHost() + " answered HTTP " + code, code >= 500 || code == 429 || code == 408);
            }
        });
    }

    /** A failed attempt: retried later if it may pass and attempts are left, else counted and shown. */
    private void ended(Delivery delivery, int attempt, String problem, boolean retryable) {
        if (retryable && attempt < ATTEMPTS) {
            Counter.builder("trigger_notification_retries_total").description("Notifications tried again after a failure")
                    .tags("namespace", delivery.namespace()).register(metrics).increment();
            try {
                timers.schedule(() -> run(() -> attempt(delivery, attempt + 1), delivery), retryDelays.get(Math.min(attempt - 1, retryDelays.size() - 1)));
                return;
            } catch (RejectedExecutionException e) {
                // Shutting down: counted as failed below.
            }
        }
        count(delivery.namespace(), "failed");
        release(delivery.namespace());
        Trigger trigger = delivery.trigger();
        String message = "Could not notify the end of the rollout after " + attempt + (attempt == 1 ? " attempt: " : " attempts: ") + problem;
        log.warn("{}/{}: {}", delivery.namespace(), trigger.getMetadata().getName(), message);
        try {
            recorder.get().recordEvent(trigger, true, REASON_NOTIFY_FAILED, message);
        } catch (RuntimeException e) {
            log.warn("{}/{}: could not record the Event {}", delivery.namespace(), trigger.getMetadata().getName(), REASON_NOTIFY_FAILED, e);
        }
    }

    /** The URL from the opted-in Secret, checked as every tenant endpoint is; never logged (it may hold a token). */
    private URI url(Delivery delivery) {
        String ns = delivery.namespace();
        String field = "spec.notify.urlSecretRef";
        Secret secret;
        try {
            secret = client.secrets().inNamespace(ns).withName(delivery.secretName()).get();
        } catch (RuntimeException e) {
            throw new Problem(KubernetesErrors.describe(e, "read", "Secret " + ns + "/" + delivery.secretName()), true);
        }
        if (secret == null) throw new Problem("Secret '" + delivery.secretName() + "' (" + field + ") not found in namespace '" + ns + "'", false);
        if (!CredentialsSecrets.optedIn(secret)) throw new Problem(CredentialsSecrets.notOptedInMessage(field, ns, delivery.secretName()), false);
        String text = secret.getStringData() != null ? secret.getStringData().get(NotifySpec.URL_KEY) : null;
        if (text == null && secret.getData() != null && secret.getData().get(NotifySpec.URL_KEY) != null) {
            try {
                text = new String(Base64.getDecoder().decode(secret.getData().get(NotifySpec.URL_KEY)), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                text = null;
            }
        }
        if (text == null || text.isBlank()) throw new Problem("Secret '" + delivery.secretName() + "' has no key '" + NotifySpec.URL_KEY + "'", false);
        URI url;
        try {
            url = URI.create(text.trim());
        } catch (IllegalArgumentException e) {
            throw new Problem("the URL in Secret '" + delivery.secretName() + "' is not a URL", false);
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || url.getHost() == null) {
            throw new Problem("the URL in Secret '" + delivery.secretName() + "' must be an http(s) URL with a host", false);
        }
        String problem = policy.addressProblem(field, url.getHost());
        if (problem != null) throw new Problem(problem, false);
        return url;
    }

    /** The document POSTed: who, which event, what it did, how it ended; {@code text} for Slack-compatible receivers. */
    private String document(Trigger trigger, RolloutStatus rollout, Duration took) {
        String ns = trigger.getMetadata().getNamespace();
        String name = trigger.getMetadata().getName();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("text", "Trigger " + ns + "/" + name + ": rollout of event " + rollout.getEventId() + " " + rollout.getState()
                + " after " + took.toSeconds() + " s: " + rollout.getReason());
        doc.put("trigger", Map.of("namespace", ns, "name", name));
        doc.put("event", Map.of("id", rollout.getEventId()));
        doc.put("target", TargetResolver.describe(trigger));
        doc.put("action", trigger.getSpec().actionOrDefault().typeOrDefault());
        doc.put("state", rollout.getState());
        doc.put("reason", rollout.getReason());
        doc.put("startedAt", rollout.getStartedAt());
        doc.put("endedAt", rollout.getEndedAt());
        doc.put("durationSeconds", took.toSeconds());
        if (rollout.getWorkloads() != null) doc.put("workloads", rollout.getWorkloads());
        return client.getKubernetesSerialization().asJson(doc);
    }

    private void release(String ns) {
        underWay.release(ns, 1);
    }

    private void count(String ns, String outcome) {
        Counter.builder("trigger_notifications_total").description("Rollout outcomes notified (spec.notify), by outcome: sent, failed, dropped")
                .tags("namespace", ns, "outcome", outcome).register(metrics).increment();
    }

    private record Delivery(Trigger trigger, String secretName, String body) {
        String namespace() {
            return trigger.getMetadata().getNamespace();
        }
    }

    private static final class Problem extends RuntimeException {
        final boolean retryable;

        Problem(String message, boolean retryable) {
            super(message, null, false, false);
            this.retryable = retryable;
        }
    }
}
