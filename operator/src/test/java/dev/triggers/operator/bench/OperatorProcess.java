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
 * threads are measured apart from the API server and the load generator.
 */
public final class OperatorProcess implements AutoCloseable {
    private final Process process;

    private OperatorProcess(Process process) {
        this.process = process;
    }

    public static OperatorProcess start(Path kubeconfig, Map<String, String> env, Path log, String memoryLimit) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // As the chart runs it: the JVM sizes itself for a container with that memory limit (heap
                // 75% of it, small initial heap) and picks the serial collector there (below ~1.8 GiB),
                // which MaxRAM alone does not make it do on this bigger machine.
                "-XX:MaxRAM=" + memoryLimit, "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=logback.xml",
                "dev.triggers.operator.Main"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("LOG_LEVEL", "WARN");
        pb.environment().putAll(env);
        return new OperatorProcess(pb.start());
    }

    public long pid() {
        return process.pid();
    }

    /** Resident set size of the operator's JVM, from /proc. */
    public double rssMiB() throws IOException {
        return procStatus("VmRSS:") / 1024.0;
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

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command).redirectErrorStream(true).start();
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
