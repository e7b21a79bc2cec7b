package dev.triggers.operator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The operator in its own JVM (`dev.triggers.operator.Main`, as in production), so that its memory and
 * threads are measured apart from the API server and the load generator. {@link #startMain} starts another
 * main class of the classpath the same way (a baseline server, say).
 */
public final class OperatorProcess implements AutoCloseable {
    /** The name of the JFR recording started with the JVM (when asked for), for {@link #dumpRecording}. */
    static final String RECORDING = "bench";
    static final String OPERATOR_MAIN = "dev.triggers.operator.Main";

    private final Process process;
    /** The operator's metrics port (its /metrics), or 0 for another main class. */
    private int metricsPort;

    /** The highest VmHWM seen by a once-a-second look, so that it is known even after the JVM died (of an OOM, say). */
    private volatile long peakRssKiB;

    private OperatorProcess(Process process) {
        this.process = process;
        Thread sampler = new Thread(() -> {
            while (process.isAlive()) {
                try {
                    peakRssKiB = Math.max(peakRssKiB, procStatus("VmHWM:"));
                    Thread.sleep(1000);
                } catch (IOException | RuntimeException e) {
                    return; // gone
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler-" + process.pid());
        sampler.setDaemon(true);
        sampler.start();
    }

    /**
     * @param jfr start a JFR recording (profile settings) with the JVM, see {@link #dumpRecording}
     * @param metricsPort the METRICS_PORT it is given, where {@link #metrics} reads
     */
    public static OperatorProcess start(Path kubeconfig, Map<String, String> env, Path log, String memoryLimit, boolean jfr, int metricsPort)
            throws IOException {
        Map<String, String> all = new java.util.HashMap<>();
        all.put("KUBECONFIG", kubeconfig.toString());
        all.put("LOG_LEVEL", "WARN");
        all.put("METRICS_PORT", Integer.toString(metricsPort));
        all.putAll(env);
        OperatorProcess started = startMain(OPERATOR_MAIN, List.of(), all, log, memoryLimit, jfr);
        started.metricsPort = Integer.parseInt(all.get("METRICS_PORT"));
        return started;
    }

    /** What the operator reports on its /metrics now. */
    OperatorMetrics metrics() throws Exception {
        if (metricsPort <= 0) throw new IllegalStateException("not an operator: no metrics port");
        return OperatorMetrics.scrape(metricsPort);
    }

    /** Waits until the operator's /metrics answers (its JVM has started and wired everything). */
    OperatorMetrics awaitMetrics(java.time.Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline && isAlive()) {
            try {
                OperatorMetrics m = metrics();
                if (!Double.isNaN(m.value(OperatorMetrics.SOURCES_RUNNING))) return m;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the operator's /metrics did not come up" + (isAlive() ? "" : " (its JVM exited)"), last);
    }

    /**
     * Any main class of this classpath, in a JVM started as the operator's is: sized as in a container with
     * that memory limit, as the chart runs it (heap 75% of it, small initial heap, and the serial collector
     * the JVM picks in a container below ~1.8 GiB, which MaxRAM alone does not make it pick on this
     * bigger machine, and the chart's -XX:+ExitOnOutOfMemoryError), with the logback configuration.
     */
    public static OperatorProcess startMain(String mainClass, List<String> args, Map<String, String> env, Path log, String memoryLimit,
                                            boolean jfr) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:MaxRAM=" + memoryLimit, "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC"));
        // The profile settings, sampling every 2 ms rather than 10: a 10 s window then has enough samples.
        if (jfr) cmd.add("-XX:StartFlightRecording=name=" + RECORDING + ",settings=profile,jdk.ExecutionSample#period=2ms");
        // Extra JVM options for the operator's JVM only, to measure one (e.g. a GC or pool setting) against the default.
        String extra = System.getenv("BENCH_OPERATOR_JVM_OPTIONS");
        if (extra != null && !extra.isBlank() && mainClass.equals(OPERATOR_MAIN)) cmd.addAll(List.of(extra.trim().split("\\s+")));
        cmd.addAll(List.of(
                "-cp", System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=logback.xml",
                mainClass));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new OperatorProcess(pb.start());
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Writes the JFR recording started with the JVM so far to {@code file} (jcmd JFR.dump); the JVM must have
     * been started with jfr. The dump holds whole chunks, from the start: filter its events by time.
     */
    public void dumpRecording(Path file) throws IOException, InterruptedException {
        String out = jcmd("JFR.dump", "name=" + RECORDING, "filename=" + file.toAbsolutePath());
        if (!Files.exists(file)) throw new IOException("jcmd JFR.dump wrote no " + file + ": " + out.strip());
    }

    /** CPU time (user and system, all threads) the JVM has used so far. */
    public java.time.Duration cpu() {
        return process.toHandle().info().totalCpuDuration().orElse(java.time.Duration.ZERO);
    }

    /**
     * User and system CPU time, in clock ticks (1/100 s), of the JVM and of its live threads by name (numbers
     * folded: "webhook-N"), and their context switches, from /proc. Threads that ended are in the JVM's total only.
     */
    public record Usage(long userTicks, long systemTicks, long voluntarySwitches, long involuntarySwitches,
                        Map<String, Long> ticksByThread) {
        Usage minus(Usage before) {
            Map<String, Long> byThread = new java.util.TreeMap<>();
            ticksByThread.forEach((k, v) -> byThread.put(k, v - before.ticksByThread.getOrDefault(k, 0L)));
            return new Usage(userTicks - before.userTicks, systemTicks - before.systemTicks,
                    voluntarySwitches - before.voluntarySwitches, involuntarySwitches - before.involuntarySwitches, byThread);
        }

        @Override
        public String toString() {
            return String.format("user %.2f s, system %.2f s, context switches %d voluntary, %d involuntary",
                    userTicks / 100.0, systemTicks / 100.0, voluntarySwitches, involuntarySwitches);
        }

        /** Ticks of the JIT compiler threads (C1 and C2). */
        long compilerTicks() {
            return ticksByThread.entrySet().stream().filter(e -> e.getKey().matches("C[12] CompilerThre.*"))
                    .mapToLong(Map.Entry::getValue).sum();
        }

        /** The thread groups that used the most CPU, as "name 1.23 s". */
        String topThreads(int n) {
            Map<String, Long> groups = new java.util.HashMap<>();
            ticksByThread.forEach((k, v) -> groups.merge(k.replaceAll("^(.*?)\\d+(-\\d+)*$", "$1N"), v, Long::sum));
            long threads = groups.values().stream().mapToLong(Long::longValue).sum();
            StringBuilder sb = new StringBuilder();
            groups.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                    .forEach(e -> sb.append(String.format("%s %.2f s, ", e.getKey(), e.getValue() / 100.0)));
            return sb.append(String.format("threads that ended %.2f s", (userTicks + systemTicks - threads) / 100.0)).toString();
        }
    }

    public Usage usage() throws IOException {
        long voluntary = 0;
        long involuntary = 0;
        Map<String, Long> byThread = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    long[] times = times(stat);
                    byThread.merge(name + "#" + task.getFileName(), times[0] + times[1], Long::sum);
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) voluntary += Long.parseLong(line.split("\\s+")[1]);
                        if (line.startsWith("nonvoluntary_ctxt_switches:")) involuntary += Long.parseLong(line.split("\\s+")[1]);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        }
        long[] total = times(Files.readString(Path.of("/proc", Long.toString(pid()), "stat")));
        // by name only: the tid made each thread its own key until here, so that two threads of one name add up
        Map<String, Long> named = new java.util.HashMap<>();
        byThread.forEach((k, v) -> named.merge(k.substring(0, k.lastIndexOf('#')), v, Long::sum));
        return new Usage(total[0], total[1], voluntary, involuntary, named);
    }

    /** utime and stime, fields 14 and 15 of a /proc stat line. */
    private static long[] times(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    /** Resident set size of the operator's JVM, from /proc. */
    public double rssMiB() throws IOException {
        return procStatus("VmRSS:") / 1024.0;
    }

    /**
     * The JVM's live threads by name, numbers folded ("HttpClient-N-Worker-N"), most first, as "name ×count"
     * (Linux keeps the first 15 characters of a thread's name).
     */
    public String threadGroups() throws IOException {
        Map<String, Integer> groups = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    groups.merge(Files.readString(task.resolve("comm")).strip().replaceAll("\\d+", "N"), 1, Integer::sum);
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        groups.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(" ×").append(e.getValue()));
        return sb.toString();
    }

    /** The highest resident set size the JVM had so far (VmHWM): what a container's memory limit is held against. */
    public double peakRssMiB() {
        try {
            if (process.isAlive()) peakRssKiB = Math.max(peakRssKiB, procStatus("VmHWM:"));
        } catch (IOException | RuntimeException e) {
            // it died meanwhile: the last sample stands
        }
        return peakRssKiB / 1024.0;
    }

    public long threads() throws IOException {
        return procStatus("Threads:");
    }

    /** Heap in use right after a full GC, in MiB (jcmd GC.run, then GC.heap_info). */
    public double heapAfterGcMiB() throws IOException, InterruptedException {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        // Serial: "def new generation total 4928K, used 1234K" and "tenured generation ... used 51234K";
        // G1: "garbage-first heap total 262144K, used 51234K". Metaspace's "used" is not heap.
        double usedKiB = 0;
        for (String line : info.lines().takeWhile(l -> !l.trim().startsWith("Metaspace")).toList()) {
            var m = java.util.regex.Pattern.compile("(generation|heap)\\s+total \\d+K, used (\\d+)K").matcher(line);
            if (m.find()) usedKiB += Long.parseLong(m.group(2));
        }
        return usedKiB > 0 ? usedKiB / 1024.0 : Double.NaN;
    }

    /**
     * The classes holding the most heap (jcmd GC.class_histogram, which runs a full GC first): the first
     * {@code rows} lines as "instances bytes class".
     */
    public List<String> classHistogram(int rows) throws IOException, InterruptedException {
        return classHistogram(rows, ".*");
    }

    /** The same, only the classes whose name matches the regular expression. */
    public List<String> classHistogram(int rows, String classes) throws IOException, InterruptedException {
        return jcmd("GC.class_histogram").lines().filter(l -> l.matches("^\\s*\\d+:\\s+\\d+\\s.*"))
                .map(l -> l.replaceFirst("^\\s*\\d+:\\s+", "").trim().replaceAll("\\s+", " "))
                .filter(l -> l.substring(l.lastIndexOf(' ') + 1).matches(classes)).limit(rows).toList();
    }

    private String jcmd(String... command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<String> cmd = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid())));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private long procStatus(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
