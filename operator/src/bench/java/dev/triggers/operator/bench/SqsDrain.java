package dev.triggers.operator.bench;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.sqs.SqsSettings;
import dev.triggers.operator.source.sqs.SqsSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ObjectName;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * SQS source benchmark: N SQS Triggers (one queue and one Deployment each) on ElasticMQ and the CRUD mock
 * API, all in this JVM. Prints the threads and heap the N idle Triggers cost, the message → patch latency
 * (send to fire done, one message per fire) and the drain rate of a backlog. Not a test: nothing asserted.
 *
 * <pre>
 * cd operator && mvn -B -o -q -Pbench test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -XX:NativeMemoryTracking=summary -cp target/bench-classes:target/test-classes:target/classes:$(cat target/cp.txt) dev.triggers.operator.bench.SqsDrain --triggers 1000 --messages 5000 --poll-threads 64
 * </pre>
 */
public final class SqsDrain {
    static final String NS = "bench";

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        int triggers = Integer.parseInt(opts.getOrDefault("triggers", "1000"));
        int messages = Integer.parseInt(opts.getOrDefault("messages", "5000"));
        int pollThreads = Integer.parseInt(opts.getOrDefault("poll-threads", "64"));
        int samples = Integer.parseInt(opts.getOrDefault("latency-samples", "200"));
        int wait = Integer.parseInt(opts.getOrDefault("wait", "20"));
        System.out.printf("load average at start: %s%n", java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
        System.out.printf("SqsDrain: %d triggers, %d poll threads, waitTimeSeconds %d, %d latency samples, %d messages to drain%n",
                triggers, pollThreads, wait, samples, messages);

        SQSRestServer elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        String endpoint = "http://127.0.0.1:" + elasticMq.waitUntilStarted().localAddress().getPort();
        SqsClient sqs = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.EU_WEST_1)
                .endpointOverride(URI.create(endpoint))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench"))).build();
        MockCluster cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.client().secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("aws").addToLabels("triggers.dev/credentials", "true").endMetadata()
                .withStringData(Map.of("accessKeyId", "bench", "secretAccessKey", "bench")).build()).create();

        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> toReceive = new ConcurrentLinkedQueue<>();
        Map<String, Long> receivedAt = new ConcurrentHashMap<>();
        AtomicLong fires = new AtomicLong();
        SqsSourceFactory factory = new SqsSourceFactory(SqsSettings.defaults().with(s -> s.pollThreads = pollThreads), new SimpleMeterRegistry());
        factory.setListener(new SqsSourceFactory.DeliveryListener() {
            @Override
            public void received(ResourceID trigger, List<String> ids) {
                long now = System.nanoTime();
                for (String id : ids) {
                    Long sent = sentAt.get(id);
                    if (sent != null) toReceive.add(now - sent);
                }
            }

            @Override
            public void fired(ResourceID trigger, List<String> ids, boolean succeeded) {
                long now = System.nanoTime();
                fires.incrementAndGet();
                for (String id : ids) {
                    Long sent = sentAt.remove(id);
                    if (sent != null) latencies.add(now - sent);
                }
            }
        });
        TriggerOperator operator = cluster.startOperator(MockCluster.testConfig().with(c -> c.recheckInterval = Duration.ofSeconds(10)),
                Clock.systemUTC(), List.of(factory));

        Footprint before = Footprint.measure();

        List<String> queues = new ArrayList<>();
        long createStart = System.nanoTime();
        for (int i = 0; i < triggers; i++) {
            String name = "t" + i;
            queues.add(sqs.createQueue(r -> r.queueName(name)).queueUrl());
            cluster.deployment(NS, "web-" + i);
            Trigger t = Triggers.redeploy(NS, name, "web-" + i);
            SourceSpec source = new SourceSpec(SourceSpec.SQS);
            SqsSource spec = new SqsSource();
            spec.setQueueUrl(queues.get(i));
            spec.setRegion("eu-west-1");
            spec.setEndpoint(endpoint);
            spec.setCredentialsSecretRef(new SecretRef("aws"));
            spec.setWaitTimeSeconds(wait);
            source.setSqs(spec);
            t.getSpec().setSource(source);
            cluster.create(t);
        }
        while (ready(cluster) < triggers) Thread.sleep(500);
        double readySeconds = (System.nanoTime() - createStart) / 1e9;
        System.out.printf("all %d Triggers Ready in %.1f s (SQS clients: %d)%n", triggers, readySeconds, factory.clientCount());

        Thread.sleep(Duration.ofSeconds(Math.max(3, wait / 2)).toMillis()); // idle: every poller inside a long poll
        Footprint idle = Footprint.measure();
        System.out.printf("idle with %d SQS Triggers: SQS source threads %d (sqs-poll %d), JVM threads %d (+%d), heap used %.1f MiB (+%.1f MiB)%s%n",
                triggers, factory.threads(), idle.prefix("sqs-poll"), idle.threads, idle.threads - before.threads,
                idle.heapMiB, idle.heapMiB - before.heapMiB, idle.threadStacks == null ? "" : ", " + idle.threadStacks);
        System.out.println("  threads by name: " + idle.byPrefix);

        // Latency: one message at a time to a random Trigger, so each fire carries exactly one message.
        Random random = new Random(42);
        for (int i = 0; i < samples; i++) {
            String queue = queues.get(random.nextInt(triggers));
            long t0 = System.nanoTime();
            String id = sqs.sendMessage(r -> r.queueUrl(queue).messageBody("latency")).messageId();
            sentAt.put(id, t0);
            Thread.sleep(50);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (latencies.size() < samples && System.nanoTime() < deadline) Thread.sleep(100);
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("message -> patch latency (%d of %d): p50 %.0f ms, p99 %.0f ms, max %.0f ms%n", sorted.size(), samples,
                pct(sorted, 50), pct(sorted, 99), sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1e6);
        List<Long> receive = new ArrayList<>(toReceive);
        Collections.sort(receive);
        System.out.printf("  of which send -> received by the poller: p50 %.0f ms, p99 %.0f ms%n", pct(receive, 50), pct(receive, 99));

        // Drain: a backlog spread over every queue, sent as fast as possible.
        long deletedBefore = factory.deletedCount();
        long firesBefore = fires.get();
        long sendStart = System.nanoTime();
        for (int i = 0; i < messages; i += 10) {
            String queue = queues.get((i / 10) % triggers);
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int j = i; j < Math.min(messages, i + 10); j++) entries.add(SendMessageBatchRequestEntry.builder().id("m" + j).messageBody("drain").build());
            sqs.sendMessageBatch(r -> r.queueUrl(queue).entries(entries));
        }
        double sendSeconds = (System.nanoTime() - sendStart) / 1e9;
        deadline = System.nanoTime() + Duration.ofSeconds(600).toNanos();
        while (factory.deletedCount() - deletedBefore < messages && System.nanoTime() < deadline) Thread.sleep(50);
        double drainSeconds = (System.nanoTime() - sendStart) / 1e9;
        long drained = factory.deletedCount() - deletedBefore;
        System.out.printf("load average now: %s%n", java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
        System.out.printf("drain: %d messages sent in %.1f s, %d deleted after %.1f s: %.0f msg/s, %d fires (patches)%n",
                messages, sendSeconds, drained, drainSeconds, drained / drainSeconds, fires.get() - firesBefore);

        operator.close();
        cluster.close();
        sqs.close();
        elasticMq.stopAndWait();
        System.exit(0);
    }

    static int ready(MockCluster cluster) {
        return (int) cluster.client().resources(Trigger.class).inNamespace(NS).list().getItems().stream()
                .filter(t -> t.getStatus() != null && TriggerStatus.READY.equals(t.getStatus().getStatus())).count();
    }

    static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) return 0;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)) / 1e6;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> opts = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        return opts;
    }

    /** Threads and heap after a GC; thread stacks from Native Memory Tracking when it is on. */
    record Footprint(int threads, double heapMiB, Map<String, Integer> byPrefix, String threadStacks) {
        static Footprint measure() throws Exception {
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
            Map<String, Integer> byPrefix = new TreeMap<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                byPrefix.merge(t.getName().replaceAll("[-_ #]?\\d+.*$", ""), 1, Integer::sum);
            }
            return new Footprint(ManagementFactory.getThreadMXBean().getThreadCount(),
                    memory.getHeapMemoryUsage().getUsed() / 1048576.0, byPrefix, nmtThreads());
        }

        int prefix(String prefix) {
            return byPrefix.getOrDefault(prefix, 0);
        }

        private static String nmtThreads() {
            try {
                String out = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                        "vmNativeMemory", new Object[] {new String[] {"summary", "scale=MB"}}, new String[] {String[].class.getName()});
                for (String line : out.split("\n")) {
                    if (line.contains("- ") && line.contains("Thread (")) return "NMT " + line.trim().replaceAll("\\s+", " ");
                }
                return null;
            } catch (Exception e) {
                return null;
            }
        }
    }
}
