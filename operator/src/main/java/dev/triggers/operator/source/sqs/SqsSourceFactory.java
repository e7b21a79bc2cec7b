package dev.triggers.operator.source.sqs;

import dev.triggers.operator.api.v1alpha1.SpecObject;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.triggers.operator.support.DaemonThreads;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.TriggerSource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes the SQS source of a Trigger ({@link SqsPoller}) and holds what all of them share: the bounded
 * poll pool, the pool for deletes and visibility changes, one timer thread and the SQS clients. So 1 000
 * SQS Triggers cost at most {@link SqsSettings#pollThreads()} + {@link SqsSettings#ackThreads()} + 1
 * threads. Sources only start where the reconciler runs, i.e. on the leader: standbys never receive.
 */
public final class SqsSourceFactory implements SourceFactory {
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+");
    private static final Pattern AWS_QUEUE_HOST = Pattern.compile("sqs\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?");

    private final SqsSettings settings;
    private final MeterRegistry metrics;
    private static final Pattern ROLE_ARN = Pattern.compile(SqsSource.ROLE_ARN_PATTERN);
    private static final Pattern SERVICE_ACCOUNT = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

    private final SqsClients clients;
    private final ThreadPoolExecutor pollPool;
    private final ThreadPoolExecutor ackPool;
    private final ScheduledThreadPoolExecutor timers;
    private final Set<SqsPoller> pollers = ConcurrentHashMap.newKeySet();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicLong receives = new AtomicLong();
    private volatile DeliveryListener listener = DeliveryListener.NONE;

    public SqsSourceFactory(SqsSettings settings, MeterRegistry metrics) {
        this(settings, metrics, new ScheduledThreadPoolExecutor(1, DaemonThreads.named("sqs-timer")));
    }

    /** With the timer thread given: tests step a scheduler of their own instead of waiting. */
    SqsSourceFactory(SqsSettings settings, MeterRegistry metrics, ScheduledThreadPoolExecutor timers) {
        this.settings = settings;
        this.clients = new SqsClients(settings.stsEndpoint());
        this.metrics = metrics;
        // Threads come and go with the pollers: an operator without SQS Triggers has none.
        this.pollPool = new ThreadPoolExecutor(settings.pollThreads(), settings.pollThreads(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), DaemonThreads.named("sqs-poll"));
        pollPool.allowCoreThreadTimeOut(true);
        this.ackPool = new ThreadPoolExecutor(settings.ackThreads(), settings.ackThreads(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), DaemonThreads.named("sqs-ack"));
        ackPool.allowCoreThreadTimeOut(true);
        this.timers = timers;
        timers.setRemoveOnCancelPolicy(true);
        Gauge.builder("sqs_pollers", pollers, Set::size).description("Running SQS sources").register(metrics);
        Gauge.builder("sqs_poll_threads", pollPool, ThreadPoolExecutor::getPoolSize).description("Threads long-polling SQS").register(metrics);
    }

    @Override
    public String type() {
        return SourceSpec.SQS;
    }

    @Override
    public Map<String, SpecObject> specParts(SourceSpec source) {
        Map<String, SpecObject> parts = new LinkedHashMap<>();
        parts.put("spec.source.sqs", source.getSqs());
        if (source.getSqs() != null) parts.put("spec.source.sqs.credentialsSecretRef", source.getSqs().getCredentialsSecretRef());
        return parts;
    }

    @Override
    public List<String> validate(Trigger trigger) {
        SqsSource sqs = trigger.getSpec().getSource().getSqs();
        List<String> problems = new ArrayList<>();
        String region = sqs.getRegion() == null ? "" : sqs.getRegion().trim();
        if (region.isEmpty()) {
            problems.add("spec.source.sqs.region is missing: give the queue's AWS region, e.g. eu-west-1");
        } else if (!REGION.matcher(region).matches()) {
            problems.add("spec.source.sqs.region '" + region + "' is not an AWS region name (like eu-west-1 or us-gov-west-1)");
        }
        URI queue = httpUri(sqs.getQueueUrl(), "spec.source.sqs.queueUrl", problems);
        if (queue != null) {
            String path = queue.getPath() == null ? "" : queue.getPath().replaceAll("/+$", "");
            if (path.isEmpty() || path.equals("/")) {
                problems.add("spec.source.sqs.queueUrl '" + sqs.getQueueUrl() + "' names no queue: it looks like https://sqs.<region>.amazonaws.com/<account>/<queue>");
            }
            Matcher aws = AWS_QUEUE_HOST.matcher(queue.getHost());
            if (aws.matches() && REGION.matcher(region).matches() && !aws.group(1).equals(region)) {
                problems.add("spec.source.sqs.queueUrl is in region " + aws.group(1) + " but spec.source.sqs.region is " + region + ": make them match");
            }
        }
        if (sqs.getEndpoint() != null && !sqs.getEndpoint().isBlank()) httpUri(sqs.getEndpoint(), "spec.source.sqs.endpoint", problems);
        if (sqs.getCredentialsSecretRef() != null && (sqs.getCredentialsSecretRef().getName() == null || sqs.getCredentialsSecretRef().getName().isBlank())) {
            problems.add("spec.source.sqs.credentialsSecretRef.name is empty: name a Secret in this namespace, or remove the reference");
        }
        validateRole(sqs, problems);
        Integer wait = sqs.getWaitTimeSeconds();
        if (wait != null && (wait < 0 || wait > 20)) problems.add("spec.source.sqs.waitTimeSeconds must be between 0 and 20, not " + wait);
        Integer visibility = sqs.getVisibilityTimeoutSeconds();
        if (visibility != null && (visibility < 1 || visibility > 43200)) {
            problems.add("spec.source.sqs.visibilityTimeoutSeconds must be between 1 and 43200, not " + visibility
                    + " (with 0 a message would be handed out again while it is acted on)");
        }
        return problems;
    }

    @Override
    public TriggerSource start(Trigger trigger, SourceContext context) {
        SqsPoller poller = new SqsPoller(this, context, trigger.getMetadata().getNamespace(), trigger.getMetadata().getName(),
                trigger.getSpec().getSource().getSqs());
        pollers.add(poller);
        poller.start();
        return poller;
    }

    /** For tests and benchmarks: told which message ids were acted on and deleted. */
    public void setListener(DeliveryListener listener) {
        this.listener = listener == null ? DeliveryListener.NONE : listener;
    }

    public int activePollers() {
        return pollers.size();
    }

    public long receivedCount() {
        return received.get();
    }

    public long deletedCount() {
        return deleted.get();
    }

    /** Receive calls answered so far (empty or not), by every poller. */
    public long receiveCount() {
        return receives.get();
    }

    /** Poll threads inside a receive (or about to be) right now. */
    public int busyPollThreads() {
        return pollPool.getActiveCount();
    }

    /** Threads the SQS source holds right now (poll + ack + timer). */
    public int threads() {
        return pollPool.getPoolSize() + ackPool.getPoolSize() + timers.getPoolSize();
    }

    public int clientCount() {
        return clients.size();
    }

    @Override
    public void close() {
        pollers.forEach(SqsPoller::close);
        timers.shutdownNow();
        pollPool.shutdownNow();
        ackPool.shutdown();
        try {
            ackPool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clients.close();
    }

    // ---- for the pollers ----

    SqsSettings settings() {
        return settings;
    }

    SqsClients clients() {
        return clients;
    }

    ExecutorService pollPool() {
        return pollPool;
    }

    ExecutorService ackPool() {
        return ackPool;
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    void unregister(SqsPoller poller) {
        pollers.remove(poller);
    }

    void receiveDone() {
        receives.incrementAndGet();
    }

    void received(ResourceID trigger, List<String> messageIds) {
        received.addAndGet(messageIds.size());
        counter("sqs_messages_received_total", trigger).increment(messageIds.size());
        listener.received(trigger, messageIds);
    }

    void fired(ResourceID trigger, List<String> messageIds, boolean succeeded) {
        listener.fired(trigger, messageIds, succeeded);
    }

    void deleted(ResourceID trigger, List<String> messageIds) {
        deleted.addAndGet(messageIds.size());
        counter("sqs_messages_deleted_total", trigger).increment(messageIds.size());
        listener.deleted(trigger, messageIds);
    }

    void extended(ResourceID trigger, int count) {
        counter("sqs_visibility_extended_total", trigger).increment(count);
    }

    private Counter counter(String name, ResourceID trigger) {
        return Counter.builder(name).tags("namespace", trigger.getNamespace().orElse(""), "trigger", trigger.getName()).register(metrics);
    }

    /** The CRD's rules for workload identity, again here: not every API server enforces CEL rules. */
    private static void validateRole(SqsSource sqs, List<String> problems) {
        boolean role = sqs.getRoleArn() != null && !sqs.getRoleArn().isBlank();
        boolean account = sqs.getServiceAccountName() != null && !sqs.getServiceAccountName().isBlank();
        if (role && !account) {
            problems.add("spec.source.sqs.roleArn needs spec.source.sqs.serviceAccountName: the ServiceAccount of this namespace whose token assumes the role");
        }
        if (account && !role) {
            problems.add("spec.source.sqs.serviceAccountName is only used with spec.source.sqs.roleArn: set the role to assume, or remove it");
        }
        if (role && sqs.getCredentialsSecretRef() != null) {
            problems.add("spec.source.sqs sets both credentialsSecretRef and roleArn: keep one");
        }
        if (role && (sqs.getRoleArn().length() > 2048 || !ROLE_ARN.matcher(sqs.getRoleArn().trim()).matches())) {
            problems.add("spec.source.sqs.roleArn '" + sqs.getRoleArn() + "' is not an IAM role ARN like arn:aws:iam::123456789012:role/deployer");
        }
        if (account && (sqs.getServiceAccountName().length() > 253 || !SERVICE_ACCOUNT.matcher(sqs.getServiceAccountName().trim()).matches())) {
            problems.add("spec.source.sqs.serviceAccountName '" + sqs.getServiceAccountName() + "' is not a ServiceAccount name (lowercase letters, digits, '-' and '.')");
        }
    }

    private static URI httpUri(String value, String field, List<String> problems) {
        if (value == null || value.isBlank()) {
            problems.add(field + " is missing");
            return null;
        }
        try {
            URI uri = new URI(value.trim());
            if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
                problems.add(field + " '" + value + "' is not an http(s) URL with a host");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            problems.add(field + " '" + value + "' is not a URL: " + e.getReason());
            return null;
        }
    }

    /** What happened to received messages (for tests and benchmarks; the operator uses metrics). */
    public interface DeliveryListener {
        DeliveryListener NONE = new DeliveryListener() {};

        /** These messages were received (and are about to be handed to the executor). */
        default void received(ResourceID trigger, List<String> messageIds) {}

        /** The fire that carried these messages ran. */
        default void fired(ResourceID trigger, List<String> messageIds, boolean succeeded) {}

        /** These messages were deleted from the queue. */
        default void deleted(ResourceID trigger, List<String> messageIds) {}
    }
}
