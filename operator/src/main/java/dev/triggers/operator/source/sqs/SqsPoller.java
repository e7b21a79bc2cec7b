package dev.triggers.operator.source.sqs;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.source.Acknowledgement;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.action.TriggerEvent;
import dev.triggers.operator.source.TriggerSource;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchResponse;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The SQS source of one Trigger. It owns no thread: each receive is a task on the factory's bounded
 * poll pool, and the next one is queued when it returns (round-robin between Triggers). A received
 * batch is handed to the executor as one fire; while it waits (a cooldown, a slow patch) its visibility
 * is extended; it is deleted only when that fire succeeded. A failed fire deletes nothing: the messages
 * come back after the visibility timeout, and the queue's redrive policy counts the receives.
 */
final class SqsPoller implements TriggerSource {
    private static final Logger log = LoggerFactory.getLogger(SqsPoller.class);
    static final int DEFAULT_WAIT_SECONDS = 20;
    static final int DEFAULT_VISIBILITY_SECONDS = 30;

    private final SqsSourceFactory factory;
    private final SourceContext context;
    private final SqsSource spec;
    private final String namespace;
    private final String name;
    private final String endpoint;
    private volatile String credentialsSource;
    /** When the endpoint's addresses were last found allowed (context clock); checked again every recheck interval. */
    private volatile Instant endpointCheckedAt;

    private final Object lock = new Object();
    // guarded by lock
    private boolean closed;
    private boolean pollQueued;
    private boolean parked;
    private int inFlight;
    private int failures;
    private ScheduledFuture<?> retry;
    private Thread receiving;
    private SqsClients.Lease lease;
    private int visibilitySeconds;
    private volatile SourceHealth health;

    SqsPoller(SqsSourceFactory factory, SourceContext context, String namespace, String name, SqsSource spec) {
        this.factory = factory;
        this.context = context;
        this.namespace = namespace;
        this.name = name;
        this.spec = spec;
        this.endpoint = spec.getEndpoint() != null && !spec.getEndpoint().isBlank() ? spec.getEndpoint()
                : "https://sqs." + spec.getRegion() + ".amazonaws.com";
        this.credentialsSource = spec.getCredentialsSecretRef() != null
                ? "the credentials in Secret '" + spec.getCredentialsSecretRef().getName() + "'"
                : hasRole(spec) ? "role " + spec.getRoleArn() : "the operator's AWS identity (default credential chain)";
        this.health = SourceHealth.starting("connecting to SQS queue " + spec.getQueueUrl());
    }

    void start() {
        queuePoll(Duration.ZERO);
    }

    @Override
    public SourceHealth health() {
        return health;
    }

    /** Stops polling now; batches whose fire is pending keep their visibility and are deleted only if it succeeds. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) return;
            closed = true;
            if (retry != null) retry.cancel(false);
            // A receive in flight still holds the lease; it lets go when it returns, which is now.
            if (!pollQueued || retry != null) releaseLease();
            if (receiving != null) factory.clients().abort(receiving);
        }
        factory.unregister(this);
        log.info("{}/{}: SQS poller stopped", namespace, name);
    }

    private String id() {
        return namespace + "/" + name;
    }

    // ---- polling ----------------------------------------------------------------------------------

    private void queuePoll(Duration delay) {
        synchronized (lock) {
            if (closed || pollQueued) return;
            pollQueued = true;
            if (delay.isZero()) {
                retry = null;
                execute(this::pollOnce);
            } else {
                try {
                    retry = factory.timers().schedule(() -> {
                        synchronized (lock) {
                            retry = null;
                            if (closed) {
                                pollQueued = false;
                                return;
                            }
                        }
                        execute(this::pollOnce);
                    }, delay.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    pollQueued = false; // the factory is closing: the operator stops
                }
            }
        }
    }

    private void execute(Runnable poll) {
        try {
            factory.pollPool().execute(poll);
        } catch (RejectedExecutionException e) {
            synchronized (lock) {
                pollQueued = false; // the factory is closing: the operator stops
            }
        }
    }

    private void pollOnce() {
        Duration next = Duration.ZERO;
        try {
            SqsClients.Lease current;
            int room;
            synchronized (lock) {
                if (closed) return;
                room = factory.settings().maxInFlightPerTrigger() - inFlight;
                if (room <= 0) {
                    parked = true; // resumed when a batch is done
                    return;
                }
                current = lease;
            }
            if (current == null) {
                current = connect();
                healthy();
            } else if (endpointCheckDue()) {
                checkEndpoint(); // DNS may point the host somewhere else by now
            }
            int wait = factory.settings().effectiveWait(spec.getWaitTimeSeconds() != null ? spec.getWaitTimeSeconds() : DEFAULT_WAIT_SECONDS,
                    factory.activePollers());
            int max = Math.min(10, room);
            List<Message> messages;
            synchronized (lock) {
                if (closed) return;
                receiving = Thread.currentThread();
            }
            Instant started = context.clock().instant();
            try {
                messages = current.client().receiveMessage(r -> {
                    r.queueUrl(spec.getQueueUrl()).maxNumberOfMessages(max).waitTimeSeconds(wait);
                    if (spec.getVisibilityTimeoutSeconds() != null) r.visibilityTimeout(spec.getVisibilityTimeoutSeconds());
                }).messages();
            } finally {
                synchronized (lock) {
                    receiving = null;
                }
                factory.clients().clearAbort(Thread.currentThread());
            }
            healthy();
            factory.receiveDone();
            if (!messages.isEmpty()) accept(current, messages);
            // An empty answer (waitTimeSeconds 0, a short wait) is not asked again at once: no tight loop on an empty queue.
            else next = factory.settings().emptyReceivePause(started, context.clock().instant());
        } catch (RuntimeException e) {
            next = failed(e);
        } finally {
            synchronized (lock) {
                pollQueued = false;
                if (closed) releaseLease();
            }
        }
        synchronized (lock) {
            if (parked || closed) return;
        }
        queuePoll(next);
    }

    /**
     * Checks the endpoint against the cluster admin's policy, finds the Trigger's identity, takes a shared
     * client and checks the queue (it exists, we may read it).
     */
    private SqsClients.Lease connect() {
        checkEndpoint();
        SqsIdentity identity = identity();
        credentialsSource = identity.description();
        SqsClients.Lease fresh = factory.clients().acquire(spec.getRegion(), spec.getEndpoint(), identity);
        try {
            // Now rather than inside the first receive: a role's TokenRequest and STS errors show as what they are.
            fresh.credentials().resolveCredentials();
            Map<QueueAttributeName, String> attributes = fresh.client().getQueueAttributes(r -> r.queueUrl(spec.getQueueUrl())
                    .attributeNames(QueueAttributeName.VISIBILITY_TIMEOUT)).attributes();
            int visibility = spec.getVisibilityTimeoutSeconds() != null ? spec.getVisibilityTimeoutSeconds()
                    : parseOr(attributes.get(QueueAttributeName.VISIBILITY_TIMEOUT), DEFAULT_VISIBILITY_SECONDS);
            synchronized (lock) {
                releaseLease();
                lease = fresh;
                visibilitySeconds = Math.max(1, visibility);
            }
            return fresh;
        } catch (RuntimeException e) {
            fresh.close();
            throw e;
        }
    }

    /** The Trigger's own credentials; the operator's identity only in a namespace the cluster admin listed. */
    private SqsIdentity identity() {
        if (spec.getCredentialsSecretRef() != null) {
            String secret = spec.getCredentialsSecretRef().getName();
            return SqsIdentity.secret(secret, SqsCredentials.fromSecret(context.client(), namespace, secret));
        }
        if (hasRole(spec)) {
            return SqsIdentity.role(context.client(), namespace, name, spec.getRegion(), spec.getRoleArn().trim(), spec.getServiceAccountName().trim());
        }
        if (!context.config().tenancy().mayUseOperatorAwsIdentity(namespace)) {
            throw new SqsProblem(SourceHealth.error("OperatorIdentityNotAllowed", operatorIdentityRefused(namespace)));
        }
        return SqsIdentity.operator();
    }

    static String operatorIdentityRefused(String namespace) {
        return "Triggers in namespace '" + namespace + "' may not use the operator's own AWS identity: give this Trigger its own,"
                + " either spec.source.sqs.credentialsSecretRef naming a Secret with accessKeyId and secretAccessKey labelled "
                + CredentialsSecrets.LABEL + "=true, or spec.source.sqs.roleArn with serviceAccountName (a ServiceAccount of this namespace"
                + " the role trusts); or ask the cluster admin to list the namespace in " + TenantPolicy.ENV_AWS_IDENTITY_NAMESPACES
                + " (chart value tenancy.awsIdentityNamespaces)";
    }

    static boolean hasRole(SqsSource spec) {
        return spec.getRoleArn() != null && !spec.getRoleArn().isBlank();
    }

    /** Null when the spec's endpoint (if any) may be used under this policy, else why not. */
    static String endpointProblem(TenantPolicy policy, String endpoint) {
        if (endpoint == null || endpoint.isBlank()) return null; // the region's AWS endpoint, made by the SDK
        String host = URI.create(endpoint.trim()).getHost();
        return policy.sqsEndpointProblem("spec.source.sqs.endpoint", host);
    }

    private void checkEndpoint() {
        String problem = endpointProblem(context.config().tenancy(), spec.getEndpoint());
        if (problem != null) throw new SqsProblem(SourceHealth.error("EndpointNotAllowed", problem));
        endpointCheckedAt = context.clock().instant();
    }

    private boolean endpointCheckDue() {
        Instant last = endpointCheckedAt;
        return spec.getEndpoint() != null && !spec.getEndpoint().isBlank()
                && (last == null || !context.clock().instant().isBefore(last.plus(context.config().recheckInterval())));
    }

    private void healthy() {
        synchronized (lock) {
            failures = 0;
        }
        setHealth(SourceHealth.ready("long-polling SQS queue " + spec.getQueueUrl()));
    }

    /** Shows the error, lets go of the client (the next try re-reads the Secret) and returns the backoff. */
    private Duration failed(RuntimeException e) {
        synchronized (lock) {
            if (closed) {
                releaseLease();
                return Duration.ZERO; // stopped (its call was cut): not an error of the queue
            }
        }
        SourceHealth problem = SqsErrors.classify(e, spec.getQueueUrl(), endpoint, credentialsSource);
        Duration backoff;
        synchronized (lock) {
            failures++;
            backoff = factory.settings().backoff(failures);
            releaseLease();
        }
        if (!(e instanceof SqsProblem) && problem.reason().equals("SqsError")) {
            log.warn("{}: unexpected SQS failure", id(), e);
        }
        setHealth(problem);
        log.debug("{}: {} ({}); next try in {} ms", id(), problem.reason(), problem.message(), backoff.toMillis());
        return backoff;
    }

    private void setHealth(SourceHealth next) {
        SourceHealth before = health;
        if (Objects.equals(before, next)) return;
        health = next;
        if (next.ready()) log.info("{}: SQS source ready: {}", id(), next.message());
        else log.warn("{}: SQS source not ready ({}): {}", id(), next.reason(), next.message());
        context.healthChanged();
    }

    private void releaseLease() {
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    // ---- a received batch ---------------------------------------------------------------------------

    private void accept(SqsClients.Lease current, List<Message> messages) {
        Instant receivedAt = context.clock().instant();
        Batch batch;
        synchronized (lock) {
            batch = new Batch(messages, current.retain(), visibilitySeconds);
            inFlight += messages.size();
            if (closed) {
                // Closed during the long poll: hand them back at once, unacted and undeleted.
                factory.ackPool().execute(() -> release(batch));
                return;
            }
        }
        factory.received(context.trigger(), batch.ids());
        log.debug("{}: received {} SQS message(s)", id(), messages.size());
        long every = Math.max(500, batch.visibilitySeconds * 1000L / 2);
        batch.extender = factory.timers().scheduleWithFixedDelay(() -> factory.ackPool().execute(() -> extend(batch)),
                every, every, TimeUnit.MILLISECONDS);
        List<TriggerEvent> events = new ArrayList<>(messages.size());
        for (Message m : messages) events.add(TriggerEvent.redeliverable(TriggerEvent.SQS, m.messageId(), receivedAt));
        Acknowledgement.afterFires(context.fireAll(events), fired -> {
            batch.extender.cancel(false);
            factory.fired(context.trigger(), batch.ids(), true);
            factory.ackPool().execute(() -> delete(batch));
        }, failed -> {
            batch.extender.cancel(false);
            factory.fired(context.trigger(), batch.ids(), false);
            log.info("{}: fire failed ({}); {} SQS message(s) not deleted: they return after the visibility timeout",
                    id(), failed.summary(), messages.size());
            done(batch);
        });
    }

    /** The fire succeeded: now, and only now, the messages go. */
    private void delete(Batch batch) {
        try {
            List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < batch.messages.size(); i++) {
                entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(i)).receiptHandle(batch.messages.get(i).receiptHandle()).build());
            }
            DeleteMessageBatchResponse response = batch.lease.client().deleteMessageBatch(r -> r.queueUrl(spec.getQueueUrl()).entries(entries));
            List<String> deleted = response.successful().stream().map(s -> batch.messages.get(Integer.parseInt(s.id())).messageId()).toList();
            factory.deleted(context.trigger(), deleted);
            if (response.hasFailed() && !response.failed().isEmpty()) {
                log.warn("{}: {} SQS message(s) acted on but not deleted ({}): they will fire again (at least once)",
                        id(), response.failed().size(), response.failed().get(0).code());
            }
        } catch (RuntimeException e) {
            log.warn("{}: deleting {} acted-on SQS message(s) failed ({}): they will fire again (at least once)",
                    id(), batch.messages.size(), SqsErrors.classify(e, spec.getQueueUrl(), endpoint, credentialsSource).message());
        } finally {
            done(batch);
        }
    }

    /** Keeps a batch invisible while its fire is pending, rather than let it come back mid-action. */
    private void extend(Batch batch) {
        ScheduledFuture<?> extender = batch.extender;
        if (extender != null && extender.isCancelled()) return;
        try {
            ChangeMessageVisibilityBatchResponse response = batch.lease.client().changeMessageVisibilityBatch(r -> r
                    .queueUrl(spec.getQueueUrl()).entries(visibility(batch, batch.visibilitySeconds)));
            factory.extended(context.trigger(), response.successful().size());
            if (response.hasFailed() && !response.failed().isEmpty()) {
                log.warn("{}: could not extend the visibility of {} SQS message(s) ({}): they may fire twice",
                        id(), response.failed().size(), response.failed().get(0).code());
            }
        } catch (RuntimeException e) {
            log.warn("{}: extending the visibility of {} SQS message(s) failed: {}", id(), batch.messages.size(),
                    SqsErrors.classify(e, spec.getQueueUrl(), endpoint, credentialsSource).message());
        }
    }

    /** Received after close: visible again right away, for the next poller (e.g. the new leader). */
    private void release(Batch batch) {
        try {
            batch.lease.client().changeMessageVisibilityBatch(r -> r.queueUrl(spec.getQueueUrl()).entries(visibility(batch, 0)));
            log.debug("{}: handed back {} SQS message(s) received while stopping", id(), batch.messages.size());
        } catch (RuntimeException e) {
            log.debug("{}: handing back {} SQS message(s) failed: they return after the visibility timeout", id(), batch.messages.size());
        } finally {
            done(batch);
        }
    }

    private static List<ChangeMessageVisibilityBatchRequestEntry> visibility(Batch batch, int seconds) {
        List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < batch.messages.size(); i++) {
            entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(i))
                    .receiptHandle(batch.messages.get(i).receiptHandle()).visibilityTimeout(seconds).build());
        }
        return entries;
    }

    private void done(Batch batch) {
        batch.lease.close();
        boolean resume;
        synchronized (lock) {
            inFlight -= batch.messages.size();
            resume = parked && !closed;
            parked = false;
        }
        if (resume) queuePoll(Duration.ZERO);
    }

    /** One result for a batch: its first failure, else the (shared) success. */
    private static int parseOr(String value, int fallback) {
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Messages received together, fired together, deleted together. */
    private static final class Batch {
        final List<Message> messages;
        final SqsClients.Lease lease;
        final int visibilitySeconds;
        volatile ScheduledFuture<?> extender;

        Batch(List<Message> messages, SqsClients.Lease lease, int visibilitySeconds) {
            this.messages = messages;
            this.lease = lease;
            this.visibilitySeconds = visibilitySeconds;
        }

        List<String> ids() {
            return messages.stream().map(Message::messageId).toList();
        }
    }
}
