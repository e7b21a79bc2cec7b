package dev.triggers.operator.embedded;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** README's first command's main class (EmbeddedMain) in a JVM of its own, as a user runs it. */
final class EmbeddedProcess implements AutoCloseable {
    static final String BANNER_END = "Ctrl-C stops it.";

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private EmbeddedProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts it with these -D properties (e.g. "embedded.apiPort=0"); output goes to files in dir. */
    static EmbeddedProcess start(Path dir, String... properties) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-cp", System.getProperty("java.class.path")));
        for (String p : properties) command.add("-D" + p);
        command.add(EmbeddedMain.class.getName());
        Path out = dir.resolve("embedded.out");
        Path err = dir.resolve("embedded.err");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new EmbeddedProcess(process, out, err);
    }

    /** Waits until it printed its banner (the API is up, the examples are loaded, the kubeconfig written). */
    EmbeddedProcess awaitBanner() {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .failFast("the embedded mode exited: " + this, () -> !process.isAlive())
                .until(() -> stdout().contains(BANNER_END));
        return this;
    }

    int waitForExit() throws InterruptedException {
        if (!process.waitFor(2, TimeUnit.MINUTES)) throw new IllegalStateException("still running after 2 minutes: " + this);
        return process.exitValue();
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        try {
            String out = stdout();
            return "--- stdout (end)\n" + out.substring(Math.max(0, out.length() - 4000)) + "--- stderr\n" + stderr();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** SIGTERM, as Ctrl-C: its shutdown hooks stop the operator and nats-server. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
