package dev.triggers.operator.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.SourceFactories;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bad-input corpus (src/test/resources/bad-input, each file's first line `# expect: <fragment>`):
 * every manifest is applied to one running operator; each must end in status Error with its fragment,
 * while a good Trigger in the same namespace keeps firing throughout and the operator keeps running.
 */
class BadInputCorpusTest {
    static final String NS = "bad";
    static MockCluster cluster;

    @BeforeAll
    static void start() {
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        OperatorConfig config = MockCluster.testConfig();
        var metrics = new SimpleMeterRegistry();
        cluster.startOperator(config, Clock.systemUTC(), metrics, SourceFactories.all(cluster.client(), config, Clock.systemUTC(), metrics));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void everyBadManifestIsAnErrorWithItsMessageAndTheGoodTriggerKeepsFiring() throws Exception {
        cluster.create(Triggers.redeploy(NS, "good", "web"));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(cluster.trigger(NS, "good").getStatus().getStatus()).isEqualTo(TriggerStatus.READY));

        Map<String, String> expected = new LinkedHashMap<>();
        int fires = 0;
        for (Path file : corpus()) {
            List<String> lines = Files.readAllLines(file);
            assertThat(lines.get(0)).as(file.getFileName().toString()).startsWith("# expect: ");
            // A file may hold a Secret before its Trigger, as `kubectl apply -f` would take it.
            for (String doc : String.join("\n", lines).split("(?m)^---\\s*$")) {
                GenericKubernetesResource manifest = cluster.client().getKubernetesSerialization().unmarshal(doc, GenericKubernetesResource.class);
                cluster.client().resource(manifest).create();
                if ("Trigger".equals(manifest.getKind())) {
                    expected.put(manifest.getMetadata().getName(), lines.get(0).substring("# expect: ".length()));
                }
            }
            if (expected.size() % 5 == 0) fireGood(++fires);
        }
        // Generated: a 1 MiB description (too large to keep as a file).
        Trigger huge = Triggers.redeploy(NS, "huge-description", "web");
        huge.getSpec().setDescription("x".repeat(1024 * 1024));
        cluster.create(huge);
        expected.put("huge-description", "spec.description is 1048576 characters long");
        assertThat(expected).hasSizeGreaterThanOrEqualTo(20);

        List<String> wrong = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            wrong.clear();
            expected.forEach((name, fragment) -> {
                Trigger t = cluster.trigger(NS, name);
                TriggerStatus s = t == null ? null : t.getStatus();
                if (s == null || !TriggerStatus.ERROR.equals(s.getStatus()) || s.getErrorMessage() == null || !s.getErrorMessage().contains(fragment)) {
                    wrong.add(name + ": wanted Error with \"" + fragment + "\", got " + (s == null ? "no status" : s.getStatus() + " \"" + s.getErrorMessage() + "\""));
                }
            });
            assertThat(wrong).isEmpty();
        });
        fireGood(++fires);
        assertThat(cluster.trigger(NS, "good").getStatus().getStatus()).isEqualTo(TriggerStatus.READY);
    }

    void fireGood(int n) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("good").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"triggers.dev/fire-request\":\"good-" + n + "\"}}}");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(cluster.trigger(NS, "good").getStatus().getFireCount()).isEqualTo((long) n));
    }

    static List<Path> corpus() throws Exception {
        Path dir = Path.of(BadInputCorpusTest.class.getClassLoader().getResource("bad-input").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }
}
