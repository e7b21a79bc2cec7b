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

    public static OperatorProcess start(Path kubeconfig, Map<String, String> env, Path log, String heap) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // As the chart runs it: the heap is 75% of the 512 MiB memory limit, and in a container
                // that small the JVM picks the serial collector.
                "-Xmx" + heap, "-XX:+UseSerialGC",
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
        // "garbage-first heap   total 262144K, used 51234K [..."
        var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
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
