package dev.triggers.operator.helm;

import static dev.triggers.operator.helm.HelmChartTest.CHART;
import static dev.triggers.operator.helm.HelmChartTest.FULLNAME;
import static dev.triggers.operator.helm.HelmChartTest.YAML;
import static dev.triggers.operator.helm.HelmChartTest.kinds;
import static dev.triggers.operator.helm.HelmChartTest.one;
import static dev.triggers.operator.helm.HelmChartTest.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** values.schema.json, enforced by a real Helm: typos and wrong types fail with the schema's message. */
class ChartValuesSchemaTest {
    static final Path SCHEMA = CHART.resolve("values.schema.json");
    static final Path ALL_OPTIONS = CHART.resolve("ci/all-options-values.yaml");
    static final String SCHEMA_FAILURE = "values don't meet the specifications of the schema";
    static final ObjectMapper JSON = new ObjectMapper();
    static final java.util.Set<String> KUBERNETES_SHAPES = java.util.Set.of("resources");

    @TempDir
    Path tmp;

    @Test
    void everyValueOfValuesYamlIsInTheSchemaAndNothingElse() throws IOException {
        JsonNode values = YAML.readTree(CHART.resolve("values.yaml").toFile());
        JsonNode schema = JSON.readTree(SCHEMA.toFile());
        assertThat(schema.at("/$schema").asText()).isEqualTo("http://json-schema.org/draft-07/schema#");
        List<String> missing = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        compare("", values, schema, schema, missing, stale);
        assertThat(missing).as("values.yaml keys the schema does not describe").isEmpty();
        assertThat(stale).as("schema properties values.yaml does not have").isEmpty();
    }

    /** Walks values.yaml and the schema together, down to the schema's free-form objects (Kubernetes types). */
    private static void compare(String path, JsonNode value, JsonNode node, JsonNode root, List<String> missing, List<String> stale) {
        JsonNode schema = resolve(node, root);
        if (!value.isObject() || !schema.has("properties")) return;
        assertThat(schema.at("/additionalProperties").isBoolean() && !schema.at("/additionalProperties").asBoolean())
                .as("%s: a chart-owned object refuses unknown keys (additionalProperties: false)", path.isEmpty() ? "(root)" : path).isTrue();
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            JsonNode property = schema.at("/properties").get(field.getKey());
            if (property == null) missing.add(at);
            else compare(at, field.getValue(), property, root, missing, stale);
        }
        // Kubernetes shapes (a label selector, resources) list keys a default may leave out; chart-owned ones
        // must not describe a value values.yaml lacks. global: Helm's, for when the chart is a dependency.
        if (node.has("$ref") || KUBERNETES_SHAPES.contains(path)) return;
        schema.at("/properties").fieldNames().forEachRemaining(name -> {
            if (!value.has(name) && !(path.isEmpty() && name.equals("global"))) stale.add(path.isEmpty() ? name : path + "." + name);
        });
    }

    private static JsonNode resolve(JsonNode schema, JsonNode root) {
        return schema.has("$ref") ? root.at(schema.get("$ref").asText().substring(1)) : schema;
    }

    @Test
    void lintsStrictAndRendersWithEveryDocumentedOption() throws IOException {
        LintResult lint = new Helm(chartWithValues(ALL_OPTIONS)).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict with ci/all-options-values.yaml: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));

        List<JsonNode> docs = render(t -> t.withValuesFile(ALL_OPTIONS));
        // The options took effect (the file was read, not ignored).
        assertThat(kinds(docs)).contains("Ingress", "NetworkPolicy", "ServiceMonitor", "PrometheusRule", "ConfigMap");
        assertThat(one(docs, "Deployment", "triggers").at("/spec/template/spec/containers/0/image").asText())
                .isEqualTo("registry.example.com/trigger-operator:0.1.0-custom");
    }

    @Test
    void aStringWhereAnIntegerBelongsFails() {
        assertSchemaFailure(t -> t.set("replicaCount", "two"), "replicaCount", "integer");
    }

    @Test
    void anUnknownKeyFailsAtTheTopAndInside() {
        assertSchemaFailure(t -> t.set("webhok.port", "8080"), "webhok");
        assertSchemaFailure(t -> t.set("webhook.ingres.enabled", "true"), "ingres");
        assertSchemaFailure(t -> t.set("metrics.prometheusRule.enable", "true"), "enable");
    }

    @Test
    void aValueOutsideItsEnumFails() {
        assertSchemaFailure(t -> t.set("logging.level", "info"), "logging", "INFO");
        assertSchemaFailure(t -> t.set("logging.format", "yaml"), "format", "json");
        assertSchemaFailure(t -> t.set("image.pullPolicy", "Sometimes"), "pullPolicy", "IfNotPresent");
        assertSchemaFailure(t -> t.set("webhook.service.type", "Ingress"), "type", "LoadBalancer");
    }

    @Test
    void aBadValueFailsHelmLintToo() throws IOException {
        Path values = tmp.resolve("bad.yaml");
        Files.writeString(values, "replicaCount: two\nwebhok:\n  port: 8080\n");
        LintResult lint = new Helm(chartWithValues(values)).lint().strict().call();
        assertThat(lint.isFailed()).isTrue();
        assertThat(String.join("\n", lint.getMessages())).contains(SCHEMA_FAILURE).contains("replicaCount").contains("webhok");
    }

    @Test
    void theDefaultsPassAndTheCheckIsNotAnAccident() {
        // The same key with a right value renders: the failures above are the schema's, not the key's.
        assertThat(one(render(t -> t.set("replicaCount", "3")), "Deployment", FULLNAME).at("/spec/replicas").asInt()).isEqualTo(3);
        assertThat(kinds(render(t -> t.set("logging.level", "DEBUG")))).contains("Deployment");
    }

    static void assertSchemaFailure(UnaryOperator<TemplateCommand> values, String... mentions) {
        assertThatThrownBy(() -> render(values)).hasMessageContaining(SCHEMA_FAILURE).satisfies(e -> {
            for (String mention : mentions) assertThat(e.getMessage()).contains(mention);
        });
    }

    /** A copy of the chart whose values.yaml is the chart's own, overlaid with the given file (lint reads only values.yaml). */
    Path chartWithValues(Path overlay) throws IOException {
        Path copy = tmp.resolve("trigger-operator");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = copy.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) Files.createDirectories(target);
                else Files.copy(file, target);
            }
        }
        ObjectNode values = (ObjectNode) YAML.readTree(CHART.resolve("values.yaml").toFile());
        merge(values, YAML.readTree(overlay.toFile()));
        YAML.writeValue(copy.resolve("values.yaml").toFile(), values);
        return copy;
    }

    private static void merge(ObjectNode base, JsonNode overlay) {
        overlay.fields().forEachRemaining(f -> {
            if (f.getValue().isObject() && base.get(f.getKey()) instanceof ObjectNode nested) merge(nested, f.getValue());
            else base.set(f.getKey(), f.getValue());
        });
    }
}
