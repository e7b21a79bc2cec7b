package dev.triggers.operator.bench;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.sqs.ElasticMq;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/** Objects and observations shared by the scenarios. */
final class BenchFixtures {
    private BenchFixtures() {}

    static Deployment deployment(KubernetesClient client, String ns, String name) {
        Map<String, String> labels = Map.of("app", name);
        return client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("nginx").endContainer().endSpec()
                .endTemplate().endSpec().build()).createOr(op -> op.update());
    }

    static Trigger webhookTrigger(String ns, String name, String deployment, int cooldown) {
        Trigger t = Triggers.redeploy(ns, name, deployment);
        t.getSpec().setCooldownSeconds(cooldown);
        return t;
    }

    static Trigger cronTrigger(String ns, String name, String deployment, String schedule) {
        Trigger t = Triggers.redeploy(ns, name, deployment);
        SourceSpec source = new SourceSpec(SourceSpec.CRON);
        source.setCron(new CronSource(schedule, "UTC"));
        t.getSpec().setSource(source);
        return t;
    }

    /** The Secret "sqs" that {@link #sqsTrigger} Triggers read their (ElasticMQ: any) credentials from. */
    static void sqsCredentials(KubernetesClient client, String ns) {
        client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("sqs").withNamespace(ns).addToLabels("triggers.dev/credentials", "true").endMetadata()
                .withStringData(Map.of("accessKeyId", "AKIDBENCH", "secretAccessKey", "bench")).build()).create();
    }

    static Trigger sqsTrigger(String ns, String name, String deployment, int cooldown, String queueUrl, String endpoint, int waitSeconds) {
        Trigger t = webhookTrigger(ns, name, deployment, cooldown);
        SourceSpec source = new SourceSpec(SourceSpec.SQS);
        SqsSource spec = new SqsSource();
        spec.setQueueUrl(queueUrl);
        spec.setRegion(ElasticMq.REGION);
        spec.setEndpoint(endpoint);
        spec.setCredentialsSecretRef(new SecretRef("sqs"));
        spec.setWaitTimeSeconds(waitSeconds);
        source.setSqs(spec);
        t.getSpec().setSource(source);
        return t;
    }

    /**
     * The baseline's redeploy: one merge PATCH of the annotations the operator writes, by a plain client,
     * through the Deployment in hand (fabric8's withName(..).patch(..) would GET it first: two requests).
     */
    static void rawRedeploy(KubernetesClient client, Deployment deployment, String eventId) {
        String patch = client.getKubernetesSerialization().asJson(Map.of("spec", Map.of("template", Map.of("metadata",
                Map.of("annotations", Map.of(RedeployAction.EVENT_ID, eventId, RedeployAction.RESTARTED_AT, Instant.now().toString()))))));
        client.resource(deployment).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }

    /**
     * Waits until that many Triggers of the scenario's namespaces satisfy the predicate; returns the
     * nanoseconds waited. Reads an informer's cache: polling LISTs of thousands of Triggers would load the API
     * and slow down the operator being measured. (Triggers elsewhere on a real cluster are not counted.)
     */
    static long awaitAll(BenchEnv env, int expected, Predicate<Trigger> done, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long count = 0;
        try (var informer = env.client.resources(Trigger.class).inAnyNamespace().inform()) {
            while (System.nanoTime() < deadline) {
                if (env.operator != null && !env.operator.isAlive()) {
                    throw new IllegalStateException("the operator's JVM exited with " + count + " of " + expected
                            + " Triggers in the state (see " + env.operatorLog() + ")");
                }
                count = informer.getStore().list().stream()
                        .filter(t -> env.namespaces().contains(t.getMetadata().getNamespace())).filter(done).count();
                if (count >= expected) return System.nanoTime() - start;
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("only " + count + " of " + expected + " Triggers reached the state within " + timeout);
    }

    static boolean ready(Trigger t) {
        return t.getStatus() != null && "Ready".equals(t.getStatus().getStatus());
    }

    /** The webhook token the operator minted for the Trigger, read from its Secret. */
    static String token(KubernetesClient client, String ns, String trigger) throws InterruptedException {
        for (int i = 0; i < 400; i++) {
            var secret = client.secrets().inNamespace(ns).withName(trigger + "-webhook").get();
            if (secret != null && secret.getData() != null && secret.getData().get("token") != null) {
                return new String(Base64.getDecoder().decode(secret.getData().get("token")));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no webhook Secret for " + ns + "/" + trigger);
    }

    static HttpResponse<String> post(HttpClient http, int port, String ns, String trigger, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hooks/" + ns + "/" + trigger))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static String eventId(String body) {
        var m = java.util.regex.Pattern.compile("\"eventId\"\\s*:\\s*\"([^\"]+)\"").matcher(body);
        if (!m.find()) throw new IllegalStateException("no eventId in " + body);
        return m.group(1);
    }

    /** Watches Deployments of a namespace and records when each event id first appears on a pod template. */
    static final class TemplateWatch implements Watcher<Deployment>, AutoCloseable {
        private final Map<String, CompletableFuture<Long>> seen = new ConcurrentHashMap<>();
        private final io.fabric8.kubernetes.client.Watch watch;

        TemplateWatch(KubernetesClient client, String ns) {
            this.watch = ns == null ? client.apps().deployments().inAnyNamespace().watch(this)
                    : client.apps().deployments().inNamespace(ns).watch(this);
        }

        CompletableFuture<Long> seen(String eventId) {
            return seen.computeIfAbsent(eventId, k -> new CompletableFuture<>());
        }

        @Override
        public void eventReceived(Action action, Deployment d) {
            long now = System.nanoTime();
            var annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
            if (annotations == null) return;
            String id = annotations.get(RedeployAction.EVENT_ID);
            if (id != null) seen(id).complete(now);
        }

        @Override
        public void onClose(WatcherException cause) {}

        @Override
        public void close() {
            watch.close();
        }
    }
}
