package dev.triggers.operator.bench;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.sqs.ElasticMq;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * SQS: 100 Triggers (cooldown 0), one ElasticMQ queue and one Deployment each. Message → patch latency,
 * one message at a time on one queue, against a raw SDK loop (send, receive, PATCH, delete) seen through
 * the same watch. Then a backlog (--messages, default 10 000, spread over the queues) drained by the
 * operator, against the same backlog drained by raw SDK workers, one per operator poll thread, run before
 * the operator starts so that the two never compete. Last, every message must show in the Triggers'
 * status as fired or coalesced.
 */
final class SqsScenario implements Benchmarks.Scenario {
    static final String NS = "bench-sqs";
    static final int TRIGGERS = 100;
    // One poll thread per Trigger, so every queue is always being long-polled: with fewer threads than
    // Triggers a queue waits for its turn (up to waitTimeSeconds, README "Scale"), and the latency would
    // measure that turn rather than the fire path.
    static final int POLL_THREADS = TRIGGERS;
    static final int WAIT_SECONDS = 20;
    static final int WARMUP = 10;
    static final int SENDERS = 4;
    static final Duration SEEN_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DRAIN_DEADLINE = Duration.ofMinutes(5);

    /** A drain, in nanoseconds from the first send: until the last send returned, and until every queue was empty. */
    record Drain(long sent, long empty) {}

    interface Send {
        /** Sends a message with this body; returns the event id the Deployment will show. */
        String send(String body) throws Exception;
    }

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        KubernetesClient client = env.client;
        int samples = Math.min(200, env.options.fires());
        int messages = env.options.messages();
        env.namespace(NS);
        BenchFixtures.sqsCredentials(client, NS);
        Deployment baseline = BenchFixtures.deployment(client, NS, "baseline");
        for (int i = 0; i < TRIGGERS; i++) BenchFixtures.deployment(client, NS, "app-" + i);
        try (ElasticMq sqs = ElasticMq.start(); var watch = new BenchFixtures.TemplateWatch(client, NS)) {
            List<String> queues = new ArrayList<>();
            for (int i = 0; i < TRIGGERS; i++) queues.add(sqs.createQueue("q-" + i, 30));
            String baselineQueue = sqs.createQueue("baseline", 30);

            report.add("sqs", "SQS Triggers (a queue and a Deployment each)", TRIGGERS, "", "");
            report.add("sqs", "operator poll threads (= baseline workers)", POLL_THREADS, "", "");

            Send raw = body -> rawFire(sqs.sqs(), client, baselineQueue, baseline, body);
            latency(watch, WARMUP, "baseline warm-up", raw);
            Stats base = latency(watch, samples, "baseline", raw);
            report.add("sqs", "raw SDK send → receive → PATCH (baseline)", base, "");
            Drain baseDrain = rawDrain(sqs, client, queues, messages);
            double baseRate = messages / (baseDrain.empty() / 1e9);
            report.add("sqs", "baseline drain (receive 10, PATCH, delete batch)", baseRate, "msg/s", "");

            env.startOperator(allowing(sqs, Map.of("SQS_POLL_THREADS", Integer.toString(POLL_THREADS))));
            for (int i = 0; i < TRIGGERS; i++) {
                env.create(BenchFixtures.sqsTrigger(NS, "sqs-" + i, "app-" + i, 0, queues.get(i), sqs.endpoint(), WAIT_SECONDS));
            }
            long ready = BenchFixtures.awaitAll(env, TRIGGERS, BenchFixtures::ready, Duration.ofMinutes(2));
            System.out.printf("  %d SQS Triggers Ready in %.1f s%n", TRIGGERS, ready / 1e9);
            Send message = body -> sqs.send(queues.get(0), body);
            latency(watch, WARMUP, "operator warm-up", message);
            Stats op = latency(watch, samples, "operator", message);
            report.add("sqs", "SQS send → operator's patch", op, "");
            report.add("sqs", "ratio p50 (operator / baseline)", op.p50() / base.p50(), "x", "≤ 1.5x");
            report.add("sqs", "ratio p99 (operator / baseline)", op.p99() / base.p99(), "x", "");

            Drain opDrain = drain(sqs, queues, messages, "operator");
            double opRate = messages / (opDrain.empty() / 1e9);
            report.add("sqs", "operator drain of " + messages + " messages", opRate, "msg/s", "≥ 1000 msg/s");
            report.add("sqs", "operator drain time", opDrain.empty() / 1e9, "s", "");
            report.add("sqs", "of which sending the backlog (" + SENDERS + " threads)", opDrain.sent() / 1e9, "s", "");
            report.add("sqs", "drain rate ratio (operator / baseline)", opRate / baseRate, "x", "");

            long sent = WARMUP + samples + messages; // every message sent to the Triggers' queues
            long[] fired = awaitAccounted(client, sent, Duration.ofSeconds(60));
            int left = 0;
            for (String q : queues) left += sqs.messagesLeft(q);
            env.stopOperator(); // before ElasticMQ goes: else 100 sources turn to Error on the way out
            report.add("sqs", "operator fires", fired[0], "fires", "");
            report.add("sqs", "messages coalesced into a fire", fired[1], "messages", "");
            report.add("sqs", "messages left in the queues", left, "messages", "0");
            report.add("sqs", "messages not accounted for in status", Math.max(0, sent - fired[0] - fired[1]), "messages", "0");
        }
    }

    /**
     * The operator's settings plus what lets its Triggers use this ElasticMQ: a loopback endpoint, which the
     * tenancy policy refuses unless the cluster admin allows it (as the chart's tenancy values would).
     */
    static Map<String, String> allowing(ElasticMq sqs, Map<String, String> settings) {
        String host = java.net.URI.create(sqs.endpoint()).getHost();
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.put(dev.triggers.operator.config.TenantPolicy.ENV_SQS_ALLOWED_ENDPOINTS, host);
        all.put(dev.triggers.operator.config.TenantPolicy.ENV_ALLOWED_NETWORKS, host);
        return all;
    }

    /** Send → the event id on the Deployment's pod template, one message at a time. */
    static Stats latency(BenchFixtures.TemplateWatch watch, int samples, String who, Send send) throws Exception {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            String id = send.send(who + " latency " + i);
            long seen;
            try {
                seen = watch.seen(id).get(SEEN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException(who + ": message " + id + " not seen on its Deployment within " + SEEN_TIMEOUT);
            }
            nanos.add(seen - t0);
        }
        return Stats.ofNanos(nanos);
    }

    /** The baseline fire: send, long-poll receive, one PATCH, delete. */
    static String rawFire(SqsClient sqs, KubernetesClient client, String queue, Deployment baseline, String body) {
        sqs.sendMessage(r -> r.queueUrl(queue).messageBody(body));
        List<Message> got = sqs.receiveMessage(r -> r.queueUrl(queue).maxNumberOfMessages(10).waitTimeSeconds(WAIT_SECONDS)).messages();
        if (got.isEmpty()) throw new IllegalStateException("baseline: the message sent was not received within " + WAIT_SECONDS + " s");
        String id = got.get(got.size() - 1).messageId();
        BenchFixtures.rawRedeploy(client, baseline, id);
        for (Message m : got) sqs.deleteMessage(r -> r.queueUrl(queue).receiptHandle(m.receiptHandle()));
        return id;
    }

    /** The backlog drained by raw SDK workers, one per queue: receive 10, one PATCH, delete the batch. */
    static Drain rawDrain(ElasticMq sqs, KubernetesClient client, List<String> queues, int messages) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong failures = new AtomicLong();
        ExecutorService workers = Executors.newFixedThreadPool(POLL_THREADS);
        Drain took;
        try {
            for (int i = 0; i < queues.size(); i++) {
                String queue = queues.get(i);
                Deployment deployment = client.apps().deployments().inNamespace(NS).withName("app-" + i).get();
                workers.execute(() -> {
                    while (!stop.get()) {
                        try {
                            // A 1 s wait only so that the workers stop soon after the drain: a receive returns
                            // at once while messages wait, whatever the wait.
                            List<Message> got = sqs.sqs().receiveMessage(r -> r.queueUrl(queue).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
                            if (got.isEmpty()) continue;
                            BenchFixtures.rawRedeploy(client, deployment, got.get(got.size() - 1).messageId());
                            List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
                            for (int k = 0; k < got.size(); k++) {
                                entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(k)).receiptHandle(got.get(k).receiptHandle()).build());
                            }
                            sqs.sqs().deleteMessageBatch(r -> r.queueUrl(queue).entries(entries));
                        } catch (RuntimeException e) {
                            if (failures.getAndIncrement() == 0) System.out.println("  baseline worker failed (messages come back after 30 s): " + e);
                        }
                    }
                });
            }
            took = drain(sqs, queues, messages, "baseline");
        } finally {
            stop.set(true);
            workers.shutdown();
        }
        if (!workers.awaitTermination(30, TimeUnit.SECONDS)) throw new IllegalStateException("baseline workers did not stop within 30 s");
        return took;
    }

    /**
     * Sends the backlog, 10 per call spread over the queues from a few threads, and waits until every
     * queue is empty (nothing visible nor in flight).
     */
    static Drain drain(ElasticMq sqs, List<String> queues, int messages, String who) throws Exception {
        int batches = (messages + 9) / 10;
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        long start = System.nanoTime();
        long deadline = start + DRAIN_DEADLINE.toNanos();
        try {
            List<Future<?>> sending = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++) {
                int first = s;
                sending.add(senders.submit(() -> {
                    for (int b = first; b < batches; b += SENDERS) send(sqs.sqs(), queues.get(b % queues.size()), b, Math.min(10, messages - b * 10));
                    return null;
                }));
            }
            for (Future<?> f : sending) f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(who + " drain: sending " + messages + " messages took over " + DRAIN_DEADLINE);
        } finally {
            senders.shutdownNow();
        }
        long sent = System.nanoTime() - start;
        int next = 0; // the queues before it are empty, and stay so: nothing more is sent
        while (true) {
            while (next < queues.size() && sqs.messagesLeft(queues.get(next)) == 0) next++;
            if (next == queues.size()) {
                Drain done = new Drain(sent, System.nanoTime() - start);
                System.out.printf("  %s drain: %d messages sent in %.1f s, all gone after %.1f s%n", who, messages, sent / 1e9, done.empty() / 1e9);
                return done;
            }
            if (System.nanoTime() > deadline) {
                int left = 0;
                for (String q : queues) left += sqs.messagesLeft(q);
                throw new IllegalStateException(who + " drain: " + left + " of " + messages + " messages still in the queues "
                        + DRAIN_DEADLINE.toSeconds() + " s after the first send");
            }
            Thread.sleep(250);
        }
    }

    private static void send(SqsClient sqs, String queue, int batch, int count) {
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) entries.add(SendMessageBatchRequestEntry.builder().id("m" + i).messageBody("drain " + batch + "/" + i).build());
        var response = sqs.sendMessageBatch(r -> r.queueUrl(queue).entries(entries));
        if (!response.failed().isEmpty()) throw new IllegalStateException("sendMessageBatch failed: " + response.failed());
    }

    /**
     * Waits (the status record is written after the fire) until the Triggers' fireCount + coalescedCount
     * reach the messages sent, or the timeout; returns {fires, coalesced} as last read.
     */
    static long[] awaitAccounted(KubernetesClient client, long sent, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long[] counts = new long[2];
        while (true) {
            counts[0] = counts[1] = 0;
            for (Trigger t : client.resources(Trigger.class).inNamespace(NS).list().getItems()) {
                if (t.getStatus() == null) continue;
                if (t.getStatus().getFireCount() != null) counts[0] += t.getStatus().getFireCount();
                if (t.getStatus().getCoalescedCount() != null) counts[1] += t.getStatus().getCoalescedCount();
            }
            if (counts[0] + counts[1] >= sent || System.nanoTime() > deadline) return counts;
            Thread.sleep(500);
        }
    }
}
