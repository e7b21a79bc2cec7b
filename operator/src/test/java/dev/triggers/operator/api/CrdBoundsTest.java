package dev.triggers.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every string, list and map a tenant writes is bounded in the CRD's schema, so a real API server
 * refuses an oversized Trigger before the operator holds it (the mock does not enforce OpenAPI; the
 * reconciler checks the rules that matter on its own).
 */
class CrdBoundsTest {

    @ParameterizedTest
    @ValueSource(strings = {"triggers.triggers.dev-v1.yml", "triggergrants.triggers.dev-v1.yml"})
    void everySpecStringListAndMapIsBounded(String file) throws IOException {
        CustomResourceDefinition crd = new KubernetesSerialization().unmarshal(
                Files.readString(CrdTest.REPO.resolve("crds").resolve(file)), CustomResourceDefinition.class);
        JSONSchemaProps spec = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        List<String> unbounded = new ArrayList<>();
        walk("spec", spec, unbounded);
        assertThat(unbounded).as("fields without maxLength / maxItems / maxProperties / maximum").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cooldownSeconds", "source.webhook.rateLimitPerMinute", "source.cron.startingDeadlineSeconds",
            "action.scaleUp.maxReplicas", "action.scaleUp.step"})
    void numbersATenantCouldInflateAreCapped(String path) throws IOException {
        CustomResourceDefinition crd = new KubernetesSerialization().unmarshal(
                Files.readString(CrdTest.REPO.resolve("crds").resolve(CrdTest.FILE)), CustomResourceDefinition.class);
        JSONSchemaProps field = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        for (String part : path.split("\\.")) field = field.getProperties().get(part);
        assertThat(field.getMaximum()).as(path).isNotNull();
    }

    private static void walk(String path, JSONSchemaProps schema, List<String> unbounded) {
        String type = schema.getType();
        if ("string".equals(type) && schema.getMaxLength() == null && (schema.getEnum() == null || schema.getEnum().isEmpty())) unbounded.add(path);
        if ("integer".equals(type) && schema.getMaximum() == null) unbounded.add(path);
        if ("array".equals(type)) {
            if (schema.getMaxItems() == null) unbounded.add(path);
            if (schema.getItems() != null && schema.getItems().getSchema() != null) walk(path + "[]", schema.getItems().getSchema(), unbounded);
        }
        if ("object".equals(type)) {
            if (schema.getAdditionalProperties() != null && schema.getAdditionalProperties().getSchema() != null) {
                if (schema.getMaxProperties() == null) unbounded.add(path);
                walk(path + "{}", schema.getAdditionalProperties().getSchema(), unbounded);
            }
            if (schema.getProperties() != null) {
                for (Map.Entry<String, JSONSchemaProps> e : schema.getProperties().entrySet()) walk(path + "." + e.getKey(), e.getValue(), unbounded);
            }
        }
    }
}
