package dev.triggers.operator.bench;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Webhook POST → the Deployment's new pod template seen through a watch, one fire at a time; baseline:
 * a raw PATCH of the same annotations by a plain fabric8 client, seen through the same watch.
 */
final class FireLatencyScenario implements Benchmarks.Scenario {
    static final String NS = "bench-latency";
    /** Fires before the measured ones, so the operator JVM is as warm as the baseline client (JIT). */
    static final int WARMUP = 300;

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        env.namespace(NS);
        BenchFixtures.deployment(client, NS, "baseline");
        BenchFixtures.deployment(client, NS, "target");
        int fires = env.options.fires();
        try (var watch = new BenchFixtures.TemplateWatch(client, NS)) {
            Stats base = rawPatches(env, watch, fires, false);
            // A fire reads its target first (a paused Deployment is refused, a repeated event changes
            // nothing, as `kubectl rollout restart` does): the floor for that is a raw GET + PATCH.
            Stats baseRead = rawPatches(env, watch, fires, true);

            // Each fire's rollout followed (issue #19), off the fire path; Restart: a fire never waits for the last
            // one's rollout (which never ends on the mock), so what is measured is the fire, as before following.
            // (--follow-rollouts false: the same without following, for a before/after in one machine state.)
            env.startOperator(Map.of("FOLLOW_ROLLOUTS", env.options.option("follow-rollouts", "true")));
            var trigger = BenchFixtures.webhookTrigger(NS, "fire", "target", 0);
            trigger.getSpec().setRollout(new dev.triggers.operator.api.v1alpha1.RolloutSpec(null, dev.triggers.operator.api.v1alpha1.RolloutSpec.RESTART));
            env.create(trigger);
            BenchFixtures.awaitAll(env, 1, t -> t.getMetadata().getName().equals("fire") && BenchFixtures.ready(t), Duration.ofSeconds(60));
            String token = BenchFixtures.token(client, NS, "fire");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<Long> operator = new ArrayList<>();
            List<Long> answered = new ArrayList<>();
            for (int i = 0; i < fires + WARMUP; i++) {
                long t0 = System.nanoTime();
                var response = BenchFixtures.post(http, env.webhookPort, NS, "fire", token);
                long t1 = System.nanoTime();
                if (response.statusCode() != 202) throw new IllegalStateException("webhook answered " + response.statusCode() + ": " + response.body());
                long seen = watch.seen(BenchFixtures.eventId(response.body())).get(30, TimeUnit.SECONDS);
                if (i >= WARMUP) {
                    operator.add(seen - t0);
                    answered.add(t1 - t0);
                }
            }
            Stats op = Stats.ofNanos(operator);
            System.out.println("  baseline raw PATCH: " + base);
            System.out.println("  raw GET + PATCH:    " + baseRead);
            System.out.println("  webhook fire:       " + op);
            report.add("latency", "raw PATCH → watch (baseline)", base, "");
            report.add("latency", "raw GET + PATCH → watch", baseRead, "");
            report.add("latency", "webhook POST → watch", op, "");
            report.add("latency", "webhook POST → 202 answer (part of the above)", Stats.ofNanos(answered), "");
            report.add("latency", "ratio p50 (fire / baseline)", op.p50() / base.p50(), "x", "≤ 1.25x");
            report.add("latency", "ratio p99 (fire / baseline)", op.p99() / base.p99(), "x", "≤ 1.5x");
            report.add("latency", "ratio p50 (fire / raw GET + PATCH)", op.p50() / baseRead.p50(), "x", "");
        }
    }

    /** A plain fabric8 client patches the same annotations (after a GET if asked), one at a time. */
    private static Stats rawPatches(BenchEnv env, BenchFixtures.TemplateWatch watch, int fires, boolean readFirst) throws Exception {
        var deployment = env.client.apps().deployments().inNamespace(NS).withName("baseline");
        Deployment inHand = deployment.get();
        List<Long> samples = new ArrayList<>();
        for (int i = 0; i < fires + WARMUP; i++) {
            String id = (readFirst ? "read-" : "raw-") + i;
            long t0 = System.nanoTime();
            Deployment target = readFirst ? deployment.get() : inHand;
            BenchFixtures.rawRedeploy(env.client, target, id);
            long seen = watch.seen(id).get(30, TimeUnit.SECONDS);
            if (i >= WARMUP) samples.add(seen - t0);
        }
        return Stats.ofNanos(samples);
    }
}
