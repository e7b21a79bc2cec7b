package dev.triggers.operator.bench;

import dev.triggers.operator.api.v1alpha1.Trigger;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Concurrent clients POST for a bounded time to 100 webhook Triggers with a 5 s cooldown; then every
 * accepted event must be accounted for on the Triggers' status (fired or coalesced). The same load, in
 * the same run, against a baseline: a bare Undertow server ({@link BaselineHttpServer}, its own JVM),
 * answering 202 to everything; the ratio of the two says how much of the server library's capacity the
 * webhook path leaves.
 *
 * <p>Load generator: {@code wrk} (Debian package wrk) when it is on PATH, else the JDK HttpClient in the
 * benchmark's JVM (a heavier client, which takes a good part of two cores itself). Options:
 * {@code --load wrk|jdk} (default: wrk if found), {@code --connections 32}, {@code --wrk-threads 2},
 * {@code --warmup 90} (at most that many seconds of the same load before each measured run, in slices of
 * {@value #WARMUP_SLICE} s, until the JVM's JIT compiler threads were nearly idle during the last two slices: on two
 * busy cores the operator's request path is otherwise still C1 code, and its compilation on the same cores,
 * well into a short window; the operator's fire path takes 50 to 80 s to settle, which a 30 s cap cut short and
 * left 0.3 of a core compiling in the measured window; its accepted calls count for accounting only),
 * {@code --cooldown 5} (the Triggers' cooldown: 3600 leaves one fire per Trigger, so the run measures the webhook
 * path alone, without the fires' and records' API work),
 * and {@code --jfr}: the operator's JVM is recorded (target/bench/ingest.jfr) and the hot methods of its
 * measured window printed; sampling costs the operator a little throughput in that run.
 */
final class WebhookIngestScenario implements Benchmarks.Scenario {
    static final String NS = "bench-ingest";
    static final int TRIGGERS = 100;
    static final String BODY = "{\"push_data\":{\"tag\":\"latest\"}}";

    /** One measured run of a load generator: duration, answers by status code, transport errors, latency. */
    /** @param generatorCpu CPU time of the load generator's own process (wrk), or null when it runs in this JVM */
    record Load(double seconds, Map<Integer, Long> codes, long errors, double p50, double p90, double p99, Duration generatorCpu) {
        long count(int code) {
            return codes.getOrDefault(code, 0L);
        }

        long answered() {
            return codes.values().stream().mapToLong(Long::longValue).sum();
        }

        double perSecond(long n) {
            return n / seconds;
        }
    }

    interface Generator {
        String describe();

        /** @param echo print the generator's own output */
        Load run(int port, String[] tokens, int seconds, boolean echo) throws Exception;
    }

    @Override
    public void run(BenchEnv env, Report report) throws Exception {
        var client = env.client;
        int seconds = env.options.seconds();
        int warmup = Integer.parseInt(env.options.option("warmup", "90"));
        Generator generator = generator(env.options, env.workDir);
        System.out.println("  load generator: " + generator.describe());
        report.add("ingest", "load generator: " + generator.describe(), Integer.parseInt(env.options.option("connections", "32")), "connections", "");

        env.namespace(NS);
        BenchFixtures.deployment(client, NS, "web");
        env.startOperator(Map.of());
        int cooldown = Integer.parseInt(env.options.option("cooldown", "5"));
        for (int i = 0; i < TRIGGERS; i++) env.create(BenchFixtures.webhookTrigger(NS, "hook-" + i, "web", cooldown));
        BenchFixtures.awaitAll(env, TRIGGERS, BenchFixtures::ready, Duration.ofSeconds(120));
        String[] tokens = new String[TRIGGERS];
        for (int i = 0; i < TRIGGERS; i++) tokens[i] = BenchFixtures.token(client, NS, "hook-" + i);

        // Baseline: the same load against a bare Undertow server, in its own JVM, while the operator idles.
        int basePort = BenchEnv.freePort();
        Load baseline;
        Duration baseCpu;
        MachineCpu baseMachine;
        try (OperatorProcess base = OperatorProcess.startMain(BaselineHttpServer.class.getName(), List.of(Integer.toString(basePort)),
                Map.of(), env.workDir.resolve("baseline.log"), "1g", false)) {
            awaitListening(basePort, base);
            warmUp(generator, basePort, tokens, base, warmup, "baseline");
            Duration cpu0 = base.cpu();
            OperatorProcess.Usage usage0 = base.usage();
            MachineCpu machine0 = MachineCpu.now();
            baseline = generator.run(basePort, tokens, seconds, true);
            baseMachine = MachineCpu.now().minus(machine0);
            baseCpu = base.cpu().minus(cpu0);
            OperatorProcess.Usage used = base.usage().minus(usage0);
            System.out.println("  baseline JVM during the load: " + used + "\n    by thread: " + used.topThreads(8));
            System.out.println("  " + baseMachine.describe(baseCpu, baseline, "baseline"));
        }

        long warmAccepted = warmUp(generator, env.webhookPort, tokens, env.operator, warmup, "operator");
        Instant loadStart = Instant.now();
        Duration cpu0 = env.operator.cpu();
        OperatorProcess.Usage usage0 = env.operator.usage();
        MachineCpu machine0 = MachineCpu.now();
        Load load = generator.run(env.webhookPort, tokens, seconds, true);
        MachineCpu machine = MachineCpu.now().minus(machine0);
        Duration operatorCpu = env.operator.cpu().minus(cpu0);
        OperatorProcess.Usage used = env.operator.usage().minus(usage0);
        System.out.println("  operator JVM during the load: " + used + "\n    by thread: " + used.topThreads(12));
        System.out.println("  " + machine.describe(operatorCpu, load, "operator"));
        Instant loadEnd = Instant.now();
        if (env.options.jfr()) {
            Path jfr = env.workDir.resolve("ingest.jfr").toAbsolutePath();
            env.operator.dumpRecording(jfr);
            JfrHotMethods.print(jfr, 25, loadStart, loadEnd);
        }
        long accepted = warmAccepted + load.count(202);

        // Wait for the last cooldowns to end and every accepted event to be fired or coalesced.
        long accounted = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            accounted = 0;
            for (Trigger t : client.resources(Trigger.class).inNamespace(NS).list().getItems()) {
                if (t.getStatus() == null) continue;
                accounted += nz(t.getStatus().getFireCount()) + nz(t.getStatus().getCoalescedCount());
            }
            if (accounted >= accepted) break;
            Thread.sleep(500);
        }
        System.out.println("  operator status codes: " + load.codes() + ", transport errors: " + load.errors());
        System.out.println("  baseline status codes: " + baseline.codes() + ", transport errors: " + baseline.errors());
        double acceptedPerSecond = load.perSecond(load.count(202));
        double basePerSecond = baseline.perSecond(baseline.count(202));
        report.add("ingest", "accepted requests per second", acceptedPerSecond, "req/s", "≥ 10000 req/s");
        report.add("ingest", "all requests per second", load.perSecond(load.answered()), "req/s", "");
        report.add("ingest", "request latency p50", load.p50(), "ms", "");
        report.add("ingest", "request latency p90", load.p90(), "ms", "");
        report.add("ingest", "request latency p99", load.p99(), "ms", "");
        for (var e : load.codes().entrySet()) report.add("ingest", "HTTP " + e.getKey(), e.getValue(), "responses", "");
        report.add("ingest", "transport errors (connect, read, write, timeout)", load.errors(), "errors", "0");
        report.add("ingest", "baseline: bare Undertow server, 202 requests per second", basePerSecond, "req/s", "");
        report.add("ingest", "baseline request latency p50", baseline.p50(), "ms", "");
        report.add("ingest", "baseline request latency p99", baseline.p99(), "ms", "");
        report.add("ingest", "operator / baseline (accepted req/s)", basePerSecond > 0 ? acceptedPerSecond / basePerSecond : Double.NaN, "ratio", "");
        // CPU time of each server's JVM per request: steadier than req/s on a shared machine, and what the
        // operator adds per call on top of the bare server (the operator's includes the fires it makes).
        report.add("ingest", "operator JVM CPU per answered request", micros(operatorCpu, load.answered()), "µs", "");
        report.add("ingest", "baseline JVM CPU per answered request", micros(baseCpu, baseline.answered()), "µs", "");
        report.add("ingest", "operator run: cores used by the operator JVM", machine.cores(operatorCpu), "cores", "");
        report.add("ingest", "operator run: cores used by everything but the operator and wrk", machine.others(operatorCpu, load), "cores",
                "shared machine");
        report.add("ingest", "accepted events (warm-up and measured)", accepted, "events", "");
        report.add("ingest", "accepted events not accounted for", accepted - Math.min(accepted, accounted), "events", "0");
        // wrk stops with requests in flight: the server accepted them, wrk did not count their answers.
        report.add("ingest", "accounted beyond accepted (in flight at the end, or retried)", Math.max(0, accounted - accepted), "events", "");
    }

    static final int WARMUP_SLICE = 2;
    /** The JIT is taken as settled when its compiler threads used less than this share of one core in a slice. */
    static final double JIT_SETTLED = 0.10;

    /** Load in slices until the JVM's JIT compiler threads are nearly idle, or maxSeconds; returns the 202s. */
    static long warmUp(Generator generator, int port, String[] tokens, OperatorProcess jvm, int maxSeconds, String who) throws Exception {
        long accepted = 0;
        int seconds = 0;
        double jit = Double.NaN;
        int settled = 0;
        while (seconds < maxSeconds) {
            OperatorProcess.Usage before = jvm.usage();
            accepted += generator.run(port, tokens, WARMUP_SLICE, false).count(202);
            seconds += WARMUP_SLICE;
            jit = jvm.usage().minus(before).compilerTicks() / 100.0 / WARMUP_SLICE;
            // Two quiet slices in a row: one alone was often a lull between two waves of compilation.
            settled = jit < JIT_SETTLED ? settled + 1 : 0;
            if (settled == 2) break;
        }
        System.out.printf("  %s warm-up: %d s of load, JIT compiler threads at %.0f%% of a core in the last %d s%s%n", who, seconds,
                100 * jit, WARMUP_SLICE, settled == 2 || Double.isNaN(jit) ? "" : " (not settled: the measured window includes compilation)");
        return accepted;
    }

    static Generator generator(BenchEnv.Options options, Path workDir) {
        int connections = Integer.parseInt(options.option("connections", "32"));
        String wanted = options.option("load", "auto");
        if (!wanted.equals("jdk")) {
            Path wrk = onPath("wrk");
            if (wrk != null) return new Wrk(wrk, Integer.parseInt(options.option("wrk-threads", "2")), connections, workDir);
            if (wanted.equals("wrk")) throw new IllegalStateException("--load wrk, but no wrk on PATH (Debian: apt-get install -y wrk)");
            System.out.println("  wrk is not on PATH: the load comes from the JDK HttpClient in this JVM, a heavier client"
                    + " that competes with the server for the cores (Debian: apt-get install -y wrk)");
        }
        return new JdkClient(connections);
    }

    private static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static void awaitListening(int port, OperatorProcess process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the baseline server did not listen on port " + port + " (see target/bench/baseline.log)");
    }

    /**
     * wrk with a Lua script: each request is a POST to a random one of the Triggers with its bearer token;
     * a response hook counts answers by status code, and done() prints them with the latency percentiles
     * as "BENCH" lines, which are parsed here.
     */
    static final class Wrk implements Generator {
        private static final Pattern LINE = Pattern.compile("^BENCH (\\S+) (.*)$", Pattern.MULTILINE);
        private final Path wrk;
        private final int threads;
        private final int connections;
        private final Path workDir;

        Wrk(Path wrk, int threads, int connections, Path workDir) {
            this.wrk = wrk;
            this.threads = Math.min(threads, connections);
            this.connections = connections;
            this.workDir = workDir;
        }

        @Override
        public String describe() {
            return "wrk, " + threads + " threads, " + connections + " connections";
        }

        @Override
        public Load run(int port, String[] tokens, int seconds, boolean echo) throws Exception {
            Path script = workDir.resolve("ingest.lua").toAbsolutePath();
            Files.writeString(script, script(tokens));
            Path out = workDir.resolve("wrk.out");
            // Through bash, whose `times` then prints the CPU time wrk used (children's user and system time).
            Process p = new ProcessBuilder("bash", "-c", "\"$0\" \"$@\"; rc=$?; times; exit $rc",
                    wrk.toString(), "-t", Integer.toString(threads), "-c", Integer.toString(connections),
                    "-d", seconds + "s", "--timeout", "5s", "--latency", "-s", script.toString(), "http://127.0.0.1:" + port + "/")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("wrk did not end");
            }
            Files.deleteIfExists(script); // it holds the tokens
            String text = Files.readString(out);
            if (echo) text.lines().filter(l -> !l.startsWith("BENCH ") && !TIMES.matcher(l).matches()).forEach(l -> System.out.println("  | " + l));
            if (p.exitValue() != 0) throw new IllegalStateException("wrk exited with " + p.exitValue());
            Map<String, String> values = new TreeMap<>();
            Map<Integer, Long> codes = new TreeMap<>();
            Matcher m = LINE.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("code")) {
                    String[] kv = m.group(2).trim().split(" ");
                    codes.merge(Integer.parseInt(kv[0]), Long.parseLong(kv[1]), Long::sum);
                } else {
                    values.put(m.group(1), m.group(2).trim());
                }
            }
            if (!values.containsKey("duration_us")) throw new IllegalStateException("no figures in wrk's output, see " + out);
            long errors = 0;
            for (String k : List.of("errors_connect", "errors_read", "errors_write", "errors_timeout")) errors += Long.parseLong(values.get(k));
            // `times`: the shell's own user and system time, then its children's (wrk's), as 0m1.234s 0m0.567s
            List<String> times = text.lines().filter(l -> TIMES.matcher(l).matches()).toList();
            Duration cpu = null;
            if (!times.isEmpty()) {
                Matcher t = TIMES.matcher(times.get(times.size() - 1));
                if (t.matches()) cpu = seconds(t.group(1), t.group(2)).plus(seconds(t.group(3), t.group(4)));
            }
            return new Load(Long.parseLong(values.get("duration_us")) / 1e6, codes, errors,
                    ms(values.get("p50_us")), ms(values.get("p90_us")), ms(values.get("p99_us")), cpu);
        }

        private static final Pattern TIMES = Pattern.compile("^(\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s$");

        private static Duration seconds(String minutes, String seconds) {
            return Duration.ofMillis(Math.round((Long.parseLong(minutes) * 60 + Double.parseDouble(seconds)) * 1000));
        }

        private static double ms(String micros) {
            return Double.parseDouble(micros) / 1000.0;
        }

        static String script(String[] tokens) {
            StringBuilder list = new StringBuilder();
            for (String t : tokens) list.append("  \"").append(t).append("\",\n");
            return """
                    -- written by WebhookIngestScenario: POSTs spread over the Triggers, answers counted by status code
                    local tokens = {
                    %s}
                    local body = '%s'
                    local requests = {}
                    codes = {} -- global: done() reads it with thread:get
                    local threads = {}

                    function setup(thread)
                      table.insert(threads, thread)
                      thread:set("seed", #threads)
                    end

                    function init(args)
                      math.randomseed(seed * 7919)
                      for i, token in ipairs(tokens) do
                        requests[i] = wrk.format("POST", "/hooks/%s/hook-" .. (i - 1),
                          { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
                      end
                    end

                    function request()
                      return requests[math.random(#requests)]
                    end

                    function response(status, headers, body)
                      codes[status] = (codes[status] or 0) + 1
                    end

                    function done(summary, latency, requests)
                      io.write(string.format("BENCH requests %%d\\n", summary.requests))
                      io.write(string.format("BENCH duration_us %%d\\n", summary.duration))
                      for _, p in ipairs({ 50, 90, 99 }) do
                        io.write(string.format("BENCH p%%d_us %%d\\n", p, latency:percentile(p)))
                      end
                      for _, k in ipairs({ "connect", "read", "write", "timeout" }) do
                        io.write(string.format("BENCH errors_%%s %%d\\n", k, summary.errors[k]))
                      end
                      for _, thread in ipairs(threads) do
                        for status, n in pairs(thread:get("codes")) do
                          io.write(string.format("BENCH code %%d %%d\\n", status, n))
                        end
                      end
                    end
                    """.formatted(list, BODY, NS);
        }
    }

    /** The JDK HttpClient in this JVM: one thread per connection, each POSTing in a loop (HTTP/1.1 keep-alive). */
    static final class JdkClient implements Generator {
        private final int connections;

        JdkClient(int connections) {
            this.connections = connections;
        }

        @Override
        public String describe() {
            return "JDK HttpClient in the benchmark JVM, " + connections + " client threads";
        }

        @Override
        public Load run(int port, String[] tokens, int seconds, boolean echo) throws Exception {
            ExecutorService io = Executors.newFixedThreadPool(4);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(io).build();
            Map<Integer, AtomicLong> codes = new ConcurrentHashMap<>();
            AtomicLong errors = new AtomicLong();
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            ExecutorService pool = Executors.newFixedThreadPool(connections);
            for (int c = 0; c < connections; c++) {
                pool.execute(() -> {
                    List<Long> mine = new ArrayList<>();
                    while (System.nanoTime() < end) {
                        int i = ThreadLocalRandom.current().nextInt(tokens.length);
                        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hooks/" + NS + "/hook-" + i))
                                .header("Authorization", "Bearer " + tokens[i]).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
                        long t0 = System.nanoTime();
                        try {
                            int code = http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
                            codes.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                        mine.add(System.nanoTime() - t0);
                    }
                    latencies.addAll(mine);
                });
            }
            pool.shutdown();
            pool.awaitTermination(seconds + 60L, TimeUnit.SECONDS);
            double elapsed = (System.nanoTime() - start) / 1e9;
            io.shutdown();
            Map<Integer, Long> counted = new TreeMap<>();
            codes.forEach((k, v) -> counted.put(k, v.get()));
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Load(elapsed, counted, errors.get(), pick(sorted, 0.50), pick(sorted, 0.90), pick(sorted, 0.99), null);
        }

        private static double pick(long[] sorted, double q) {
            return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
        }
    }

    /**
     * The machine's CPU time (all cores, from /proc/stat) over a window: busy and in all, in clock ticks
     * (1/100 s). The machine is shared: what neither the server nor wrk used went to other work.
     */
    record MachineCpu(long busyTicks, long totalTicks) {
        static MachineCpu now() throws IOException {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) total += Long.parseLong(f[i]);
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle, iowait
            return new MachineCpu(total - idle, total);
        }

        MachineCpu minus(MachineCpu before) {
            return new MachineCpu(busyTicks - before.busyTicks, totalTicks - before.totalTicks);
        }

        double windowSeconds() {
            return totalTicks / 100.0 / Runtime.getRuntime().availableProcessors();
        }

        double cores(Duration cpu) {
            return cpu.toMillis() / 1000.0 / windowSeconds();
        }

        double others(Duration serverCpu, Load load) {
            double generator = load.generatorCpu() == null ? 0 : load.generatorCpu().toMillis() / 1000.0;
            return Math.max(0, busyTicks / 100.0 - serverCpu.toMillis() / 1000.0 - generator) / windowSeconds();
        }

        String describe(Duration serverCpu, Load load, String server) {
            return String.format("machine during the %s run: %.2f of %d cores busy; %s JVM %.2f, load generator %s, everything else %.2f",
                    server, busyTicks / 100.0 / windowSeconds(), Runtime.getRuntime().availableProcessors(), server, cores(serverCpu),
                    load.generatorCpu() == null ? "in the benchmark JVM (counted in everything else)" : String.format("%.2f", cores(load.generatorCpu())),
                    others(serverCpu, load));
        }
    }

    private static double micros(Duration cpu, long requests) {
        return requests == 0 ? Double.NaN : cpu.toNanos() / 1000.0 / requests;
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }
}
