package dev.triggers.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One command for every figure in README's Performance section:
 * {@code mvn -B -Pbench -DskipTests package -Dbench.args="--scenarios latency,ingest,sqs,cron,scale --size 5000"}.
 * Runs against the embedded CRUD mock API (the operator in its own JVM), or against a real cluster named by
 * a kubeconfig (--kubeconfig, -Dbench.kubeconfig, or BENCH_KUBECONFIG), prints a table and writes the same
 * figures as JSON (--out, default target/bench-results.json). Every latency comes with a baseline measured
 * in the same run; nothing here is asserted: these machines are shared and noisy. {@code --jfr} (or
 * BENCH_JFR=1) records the operator's JVM with JFR; the ingest scenario dumps its load window and prints the
 * hot methods. On a real cluster each scenario deletes its namespaces when it ends (and waits for them).
 */
public final class Benchmarks {
    public interface Scenario {
        void run(BenchEnv env, Report report) throws Exception;
    }

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("latency", new FireLatencyScenario());
        SCENARIOS.put("ingest", new WebhookIngestScenario());
        SCENARIOS.put("sqs", new SqsScenario());
        SCENARIOS.put("cron", new CronSkewScenario());
        SCENARIOS.put("scale", new ScaleScenario());
        SCENARIOS.put("soak", new SoakScenario());
    }

    /** What "all" runs: the soak is a command of its own. */
    static final List<String> DEFAULT = List.of("latency", "ingest", "sqs", "cron", "scale");

    private Benchmarks() {}

    public static void main(String[] args) throws Exception {
        // Ctrl-C: the running scenario's operator is stopped and, on a real cluster, its namespaces deleted.
        AtomicReference<BenchEnv> running = new AtomicReference<>();
        Thread hook = new Thread(() -> {
            BenchEnv env = running.get();
            if (env == null) return;
            System.out.println("interrupted: cleaning up scenario " + env.scenario);
            try {
                env.close();
            } catch (Exception e) {
                System.out.println("clean-up failed: " + e);
            }
        }, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        run(args, running);
        Runtime.getRuntime().removeShutdownHook(hook);
        System.exit(0);
    }

    /** Runs the scenarios the arguments name; returns their figures (also printed, and written to --out). */
    static Report run(String[] args, AtomicReference<BenchEnv> running) throws Exception {
        Map<String, String> opts = parse(args);
        List<String> names = opts.getOrDefault("scenarios", "all").equals("all")
                ? DEFAULT : Arrays.asList(opts.get("scenarios").split(","));
        BenchEnv.Options options = new BenchEnv.Options(
                Integer.parseInt(opts.getOrDefault("size", "5000")),
                Integer.parseInt(opts.getOrDefault("fires", "1000")),
                Integer.parseInt(opts.getOrDefault("seconds", "20")),
                Integer.parseInt(opts.getOrDefault("messages", "10000")),
                opts.containsKey("jfr") || "1".equals(System.getenv("BENCH_JFR")),
                Map.copyOf(opts));
        for (String name : names) {
            if (!SCENARIOS.containsKey(name.trim())) throw new IllegalArgumentException("unknown scenario " + name + "; known: " + SCENARIOS.keySet());
        }
        Path external = BenchEnv.kubeconfig(opts.get("kubeconfig"), System.getProperty("bench.kubeconfig"), System.getenv("BENCH_KUBECONFIG"),
                System.getProperty("bench.cwd"));
        Report report = new Report();
        System.out.printf("trigger-operator benchmarks: %s, %s%n", names, options);
        if (external == null) {
            System.out.println("against: the embedded mock API (a new one per scenario)");
        } else {
            try (KubernetesClient client = BenchEnv.externalClient(external)) {
                System.out.println("against: the cluster at " + client.getMasterUrl() + " (kubeconfig " + external + ")");
                report.machine("cluster", client.getMasterUrl().toString());
                Set<String> leftovers = BenchEnv.leftovers(client);
                if (!leftovers.isEmpty()) {
                    System.out.println("deleting namespaces an earlier run left behind (label " + BenchEnv.LABEL + "): " + leftovers);
                    BenchEnv.deleteNamespaces(client, leftovers);
                }
            }
        }
        for (String name : names) {
            name = name.trim();
            System.out.println("== " + name);
            long start = System.nanoTime();
            try (BenchEnv env = BenchEnv.start(options, name, report, external)) {
                running.set(env);
                try {
                    SCENARIOS.get(name).run(env, report);
                } catch (Exception e) {
                    System.out.println("  scenario " + name + " failed: " + e);
                    e.printStackTrace(System.out);
                    report.add(name, "FAILED: " + e.getClass().getSimpleName(), Double.NaN, "", String.valueOf(e.getMessage()));
                }
            } catch (Exception e) {
                System.out.println("  scenario " + name + ": setting up or cleaning up failed: " + e);
                e.printStackTrace(System.out);
                report.add(name, "FAILED (set-up or clean-up): " + e.getClass().getSimpleName(), Double.NaN, "", String.valueOf(e.getMessage()));
            } finally {
                running.set(null);
            }
            System.out.printf("== %s took %.0f s%n", name, (System.nanoTime() - start) / 1e9);
        }
        report.print();
        report.write(Path.of(opts.getOrDefault("out", "target/bench-results.json")));
        return report;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --option value, got " + args[i]);
            // A flag (--jfr) has no value: the next argument is the next option.
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            opts.put(args[i].substring(2), flag ? "true" : args[++i]);
        }
        return opts;
    }
}
