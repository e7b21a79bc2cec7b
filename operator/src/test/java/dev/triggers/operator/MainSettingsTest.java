package dev.triggers.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.config.Setting;
import dev.triggers.operator.config.Settings;
import dev.triggers.operator.embedded.EmbeddedMain;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad setting stops the operator at start: its main class, in a JVM of its own with the environment a
 * Deployment would give it, prints one line naming each bad variable, its value and what it accepts, logs it,
 * and exits with status 2, before it touches a cluster.
 */
class MainSettingsTest {
    static final String LINE = "error: LEADER_ELECTION=ture: expected true or false; "
            + "WEBHOOK_PORT=abc: expected a whole number from 1 to 65535";

    @TempDir
    Path dir;

    @Test
    void theOperatorStopsAtStartWithTheBadVariablesNamesAndExitStatus2() throws Exception {
        // The production classpath (no test classes): the jar's own logback.xml, as in the image.
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes")).collect(Collectors.joining(File.pathSeparator));
        Result result = run(Main.class.getName(), classpath, Map.of("WEBHOOK_PORT", "abc", "LEADER_ELECTION", "ture"));

        assertThat(result.exit).as("%s", result).isEqualTo(2);
        assertThat(result.stderrLines()).as("%s", result).containsExactly(LINE);
        // Logged too (logback's console appender writes to stdout), once, and nothing was started nor thrown.
        assertThat(result.stdout).as("%s", result).contains("bad settings, not starting: " + LINE.substring("error: ".length()))
                .doesNotContain("Exception", "started");
    }

    @Test
    void theEmbeddedModeStopsTheSameWay() throws Exception {
        Result result = run(EmbeddedMain.class.getName(), System.getProperty("java.class.path"),
                Map.of("WEBHOOK_PORT", "abc", "LEADER_ELECTION", "ture"));

        assertThat(result.exit).as("%s", result).isEqualTo(2);
        assertThat(result.stderrLines()).as("%s", result).containsExactly(LINE);
        assertThat(result.stdout).as("%s", result).doesNotContain("Exception", "trigger-operator is running");
    }

    /** Runs a main class with only these settings in its environment (none inherited from the build's). */
    Result run(String mainClass, String classpath, Map<String, String> settings) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-Dembedded.kubeconfig=" + dir.resolve("kubeconfig"), "-cp", classpath, mainClass);
        List<String> names = Settings.ALL.stream().map(Setting::env).toList();
        builder.environment().keySet().removeIf(names::contains);
        builder.environment().putAll(settings);
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("still running after 2 minutes: " + Files.readString(out) + Files.readString(err));
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    record Result(int exit, String stdout, String stderr) {
        List<String> stderrLines() {
            return stderr.lines().filter(l -> !l.isBlank()).toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }
}
