package dev.triggers.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CRD generated from the Java model: what a real API server will enforce and show. */
class CrdTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final String FILE = "triggers.triggers.dev-v1.yml";

    static String generated() throws IOException {
        try (InputStream in = CrdTest.class.getClassLoader().getResourceAsStream(MockCluster.CRD_RESOURCE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static CustomResourceDefinitionVersion version() throws IOException {
        CustomResourceDefinition crd = new KubernetesSerialization().unmarshal(generated(), CustomResourceDefinition.class);
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("trg");
        return crd.getSpec().getVersions().get(0);
    }

    /**
     * The committed crds/ must equal what the build generates. The build copies the generated file into
     * crds/ (so a developer just commits it); this compares with the committed blob (git HEAD), which
     * the build never writes: a model change whose CRD was not committed fails here.
     */
    @Test
    void committedCrdEqualsTheGeneratedOne() throws Exception {
        String committed = committed("crds/" + FILE);
        assertThat(committed).as("crds/%s as committed (git HEAD)", FILE)
                .isEqualTo(generated());
        assertThat(Files.readString(REPO.resolve("crds").resolve(FILE))).isEqualTo(generated());
    }

    @Test
    void statusSubresourceAndPrinterColumns() throws IOException {
        CustomResourceDefinitionVersion v = version();
        assertThat(v.getSubresources().getStatus()).isNotNull();
        assertThat(v.getAdditionalPrinterColumns()).extracting(c -> c.getName() + "=" + c.getJsonPath())
                .containsExactlyInAnyOrder("Source=.spec.source.type", "Action=.spec.action.type", "Target=.spec.target.name",
                        "Status=.status.status", "Rollout=.status.lastRollout.state", "Last Fired=.status.lastFiredAt", "Age=.metadata.creationTimestamp");
    }

    @Test
    void everyCelRuleIsInTheSchema() throws IOException {
        JSONSchemaProps spec = version().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        Map<String, JSONSchemaProps> props = spec.getProperties();
        assertThat(rules(props.get("source"))).contains(
                "self.type == oldSelf.type",
                "has(self.cron) == (self.type == 'Cron')",
                "has(self.sqs) == (self.type == 'SQS')",
                "has(self.nats) == (self.type == 'NATS')",
                "!has(self.webhook) || self.type == 'Webhook'");
        assertThat(rules(props.get("action"))).contains("!has(self.scaleUp) || (has(self.type) && self.type == 'ScaleUp')");
        assertThat(rules(props.get("action").getProperties().get("scaleUp"))).contains("self.maxReplicas >= 1",
                "!has(self.revertAfterSeconds) || self.revertAfterSeconds >= 1");
        assertThat(props.get("suspendUntil").getPattern()).as("RFC 3339, as the operator parses it").startsWith("^[0-9]{4}-");
        assertThat(rules(props.get("windows").getItems().getSchema())).contains("duration(self.duration) > duration('0s')");
        assertThat(rules(props.get("action"))).contains("!has(self.maxConcurrent) || !has(self.type) || self.type == 'Redeploy'");
        assertThat(rules(spec)).contains("!has(self.action) || !has(self.action.maxConcurrent) || (has(self.target.kind) && self.target.kind == 'Application')");
        assertThat(rules(props.get("target"))).contains("!has(self.kind) || self.kind in ['Deployment', 'Application', 'Rollout']");
    }

    @Test
    void everyFieldIsDescribedForKubectlExplain() throws IOException {
        List<String> undocumented = new ArrayList<>();
        JSONSchemaProps root = version().getSchema().getOpenAPIV3Schema();
        walk("spec", root.getProperties().get("spec"), undocumented);
        walk("status", root.getProperties().get("status"), undocumented);
        assertThat(undocumented).isEmpty();
    }

    static void walk(String path, JSONSchemaProps props, List<String> undocumented) {
        if (props.getProperties() == null) return;
        props.getProperties().forEach((name, child) -> {
            String childPath = path + "." + name;
            if (!path.startsWith("status.conditions") && (child.getDescription() == null || child.getDescription().isBlank())) {
                undocumented.add(childPath);
            }
            if (!name.equals("conditions")) walk(childPath, child, undocumented);
            if (child.getItems() != null && child.getItems().getSchema() != null && !name.equals("conditions")) {
                walk(childPath + "[]", child.getItems().getSchema(), undocumented);
            }
        });
    }

    static List<String> rules(JSONSchemaProps props) {
        return props.getXKubernetesValidations().stream().map(ValidationRule::getRule).toList();
    }

    static String committed(String path) throws IOException, InterruptedException {
        Process git = new ProcessBuilder("git", "show", "HEAD:" + path).directory(REPO.toFile()).redirectErrorStream(true).start();
        String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (git.waitFor() != 0) {
            throw new AssertionError(path + " is not committed (git show HEAD:" + path + " said: " + out.trim()
                    + "); run the build and commit crds/");
        }
        return out;
    }
}
