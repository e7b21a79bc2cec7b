package dev.triggers.operator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark pointed at a cluster it did not start, as at a real one: a fabric8 mock API written to a
 * kubeconfig. Every scenario, at a tiny size, must run, report what the operator cost (threads started, API
 * requests per Trigger), and leave nothing behind. Runs in the bench profile only:
 * {@code mvn -B -Pbench test -Dtest=BenchOnExternalClusterTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class BenchOnExternalClusterTest {
    static final List<String> SCENARIOS = List.of("latency", "ingest", "sqs", "cron", "scale", "soak");

    @Test
    void everyScenarioRunsReportsTheOperatorsCostAndLeavesNothingBehind(@TempDir Path dir) throws Exception {
        try (MockCluster cluster = MockCluster.start()) {
            Path kubeconfig = BenchEnv.writeKubeconfig(cluster.client().getMasterUrl().toString(), dir.resolve("kubeconfig"));
            // A namespace someone else made is never used nor deleted by the benchmark.
            cluster.namespace("bench-latency-not");
            while (cluster.server().takeRequest(0, TimeUnit.SECONDS) != null) {
                // forget what setting up the cluster sent (the CRDs)
            }

            Report report = Benchmarks.run(new String[] {"--kubeconfig", kubeconfig.toString(), "--scenarios", String.join(",", SCENARIOS),
                    "--size", "10", "--fires", "3", "--seconds", "2", "--messages", "40", "--warmup", "0",
                    "--out", dir.resolve("results.json").toString()}, new AtomicReference<>());

            assertThat(report.rows()).noneMatch(r -> r.figure().startsWith("FAILED"));
            for (String scenario : SCENARIOS) {
                assertThat(value(report, scenario, "operator: threads started")).as(scenario + ": threads started").isPositive();
                assertThat(value(report, scenario, "operator: API requests per Trigger")).as(scenario + ": API requests per Trigger").isPositive();
            }
            assertThat(value(report, "scale", "API requests per Trigger to Ready (operator's client)")).isPositive();

            // Every collection anything was created in (by the benchmark or by the operator) is empty again.
            Set<String> collections = new TreeSet<>();
            for (RecordedRequest r; (r = cluster.server().takeRequest(0, TimeUnit.SECONDS)) != null; ) {
                if (r.method() == HttpMethod.POST) collections.add(r.getPath().replaceAll("\\?.*", "").replaceAll("/namespaces/[^/]+/", "/"));
            }
            assertThat(collections).contains("/api/v1/namespaces", "/apis/triggers.dev/v1alpha1/triggers", "/apis/apps/v1/deployments",
                    "/api/v1/secrets", "/api/v1/events");
            ObjectMapper json = new ObjectMapper();
            for (String collection : collections) {
                JsonNode items = json.readTree(cluster.client().raw(collection)).path("items");
                List<String> left = new java.util.ArrayList<>();
                items.forEach(i -> left.add(i.path("metadata").path("namespace").asText() + "/" + i.path("metadata").path("name").asText()));
                if (collection.equals("/api/v1/namespaces")) assertThat(left).as(collection).containsExactly("/bench-latency-not");
                else assertThat(left).as(collection).isEmpty();
            }
        }
    }

    @Test
    void kubeconfigFromTheOptionThePropertyOrTheEnvironmentRelativeToWhereMavenRan(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("kc"), "apiVersion: v1\nkind: Config\n");
        Path other = Files.writeString(dir.resolve("other"), "apiVersion: v1\nkind: Config\n");
        assertThat(BenchEnv.kubeconfig(null, null, null, null)).isNull();
        assertThat(BenchEnv.kubeconfig(null, "", " ", dir.toString())).isNull();
        // mvn -Dbench.kubeconfig=kc, started in dir: the property, resolved against bench.cwd
        assertThat(BenchEnv.kubeconfig(null, "kc", null, dir.toString())).isEqualTo(file);
        // BENCH_KUBECONFIG=kc (the property is blank when -Dbench.kubeconfig is not given)
        assertThat(BenchEnv.kubeconfig(null, "", "kc", dir.toString())).isEqualTo(file);
        assertThat(BenchEnv.kubeconfig(null, "other", "kc", dir.toString())).isEqualTo(other);
        assertThat(BenchEnv.kubeconfig(file.toString(), "other", "other", null)).isEqualTo(file);
        assertThatThrownBy(() -> BenchEnv.kubeconfig(null, "missing", null, dir.toString()))
                .hasMessageContaining("no kubeconfig at " + dir.resolve("missing"));
    }

    /** The benchmark runs in a JVM Maven forks: -Dbench.kubeconfig reaches it only if the profile passes it on. */
    @Test
    void theBenchProfilePassesTheKubeconfigPropertyToTheBenchmarkJvm() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        String profile = pom.substring(pom.indexOf("<id>bench</id>"));
        profile = profile.substring(0, profile.indexOf("</profile>"));
        assertThat(profile).contains("<bench.kubeconfig></bench.kubeconfig>");
        String commandLine = profile.substring(profile.indexOf("<commandlineArgs>"), profile.indexOf("</commandlineArgs>"));
        assertThat(commandLine).contains("\"-Dbench.kubeconfig=${bench.kubeconfig}\"", "\"-Dbench.cwd=${user.dir}\"");
    }

    private static double value(Report report, String scenario, String figurePrefix) {
        return report.rows().stream().filter(r -> r.scenario().equals(scenario) && r.figure().startsWith(figurePrefix))
                .mapToDouble(Report.Row::value).findFirst().orElse(Double.NaN);
    }
}
