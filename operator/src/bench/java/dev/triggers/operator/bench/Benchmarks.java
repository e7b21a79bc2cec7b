package dev.triggers.operator.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One command for every figure in README's Performance section:
 * {@code mvn -B -Pbench -DskipTests package -Dbench.args="--scenarios latency,ingest,sqs,cron,scale --size 5000"}.
 * Runs against the embedded CRUD mock API (the operator in its own JVM), prints a table and writes the
 * same figures as JSON (--out, default target/bench-results.json). Every latency comes with a baseline
 * measured in the same run; nothing here is asserted: these machines are shared and noisy. {@code --jfr}
 * (or BENCH_JFR=1) records the operator's JVM with JFR; the ingest scenario dumps its load window and
 * prints the hot methods.
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
        Report report = new Report();
        System.out.printf("trigger-operator benchmarks: %s, %s%n", names, options);
        for (String name : names) {
            Scenario scenario = SCENARIOS.get(name.trim());
            if (scenario == null) throw new IllegalArgumentException("unknown scenario " + name + "; known: " + SCENARIOS.keySet());
            System.out.println("== " + name);
            long start = System.nanoTime();
            try (BenchEnv env = BenchEnv.start(options)) {
                scenario.run(env, report);
            } catch (Exception e) {
                System.out.println("  scenario " + name + " failed: " + e);
                e.printStackTrace(System.out);
                report.add(name, "FAILED: " + e.getClass().getSimpleName(), Double.NaN, "", String.valueOf(e.getMessage()));
            }
            System.out.printf("== %s took %.0f s%n", name, (System.nanoTime() - start) / 1e9);
        }
        report.print();
        report.write(Path.of(opts.getOrDefault("out", "target/bench-results.json")));
        System.exit(0);
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
