package dev.triggers.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A CRD that only exists in the API (as one added to crds/ by someone else would) is served to kubectl
 * with no code change: discovery, OpenAPI, Tables with its printer columns.
 */
class KubectlDispatcherTest {
    static final String GRANT_CRD = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: grants.example.dev}
            spec:
              group: example.dev
              scope: Namespaced
              names: {kind: Grant, plural: grants, singular: grant, shortNames: [gr], categories: [triggers]}
              versions:
              - name: v1
                served: true
                storage: true
                subresources: {status: {}}
                additionalPrinterColumns:
                - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
                - {name: Replicas, type: integer, jsonPath: .spec.replicas}
                - {name: Since, type: date, jsonPath: .status.since}
                - {name: Wide, type: string, jsonPath: .spec.note, priority: 1}
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          replicas: {type: integer}
                          note: {type: string, description: A note.}
                      status:
                        type: object
                        x-kubernetes-preserve-unknown-fields: true
            """;

    MockCluster cluster;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        cluster = MockCluster.start();
        cluster.client().resource(cluster.client().getKubernetesSerialization().unmarshal(GRANT_CRD, CustomResourceDefinition.class)).create();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    JsonNode get(String path, String accept) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(cluster.client().getMasterUrl() + path.substring(1)))
                .header("Accept", accept).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return ApiCatalog.JSON.readTree(response.body());
    }

    @Test
    void aNewCrdIsInDiscoveryAndOpenApi() throws Exception {
        assertThat(get("/apis", "application/json").findValuesAsText("name")).contains("apps", "triggers.dev", "example.dev");
        JsonNode resources = get("/apis/example.dev/v1", "application/json").path("resources");
        assertThat(resources.findValuesAsText("name")).containsExactly("grants", "grants/status");
        assertThat(resources.get(0).path("shortNames").get(0).asText()).isEqualTo("gr");
        assertThat(resources.get(0).path("categories").get(0).asText()).isEqualTo("triggers");
        assertThat(get("/openapi/v3", "application/json").path("paths").has("apis/example.dev/v1")).isTrue();
        JsonNode schema = get("/openapi/v3/apis/example.dev/v1", "application/json").path("components").path("schemas").path("dev.example.v1.Grant");
        assertThat(schema.path("properties").path("spec").path("properties").path("note").path("description").asText()).isEqualTo("A note.");
        assertThat(schema.path("x-kubernetes-group-version-kind").get(0).path("kind").asText()).isEqualTo("Grant");
        // And the CRDs from crds/ (Trigger, TriggerGrant), with their short names.
        JsonNode triggersDev = get("/apis/triggers.dev/v1alpha1", "application/json").path("resources");
        assertThat(triggersDev.findValues("shortNames").stream().map(n -> n.get(0).asText()).toList()).contains("trg", "trggrant");
    }

    @Test
    void aTableHasTheCrdsPrinterColumnsEvaluatedOnTheObject() throws Exception {
        String since = Instant.now().minus(Duration.ofMinutes(3)).toString();
        var grant = cluster.client().getKubernetesSerialization().unmarshal("""
                apiVersion: example.dev/v1
                kind: Grant
                metadata: {name: g1, namespace: demo}
                spec: {replicas: 3, note: hello}
                status:
                  since: "%s"
                  conditions: [{type: Synced, status: "False"}, {type: Ready, status: "True"}]
                """.formatted(since), GenericKubernetesResource.class);
        var grants = cluster.client().genericKubernetesResources("example.dev/v1", "Grant").inNamespace("demo");
        // With a status subresource, create drops the status (as a real server does): write it there.
        grant.getMetadata().setResourceVersion(grants.resource(grant).create().getMetadata().getResourceVersion());
        grants.resource(grant).updateStatus();
        JsonNode table = get("/apis/example.dev/v1/namespaces/demo/grants", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        assertThat(table.path("kind").asText()).isEqualTo("Table");
        List<String> columns = new ArrayList<>();
        table.path("columnDefinitions").forEach(c -> columns.add(c.path("name").asText() + "/" + c.path("priority").asInt()));
        assertThat(columns).containsExactly("Name/0", "Ready/0", "Replicas/0", "Since/0", "Wide/1");
        JsonNode cells = table.path("rows").get(0).path("cells");
        assertThat(cells.get(0).asText()).isEqualTo("g1");
        assertThat(cells.get(1).asText()).isEqualTo("True");
        assertThat(cells.get(2).asInt()).isEqualTo(3);
        assertThat(cells.get(3).asText()).matches("3m\\d*s?");
        assertThat(cells.get(4).asText()).isEqualTo("hello");
        assertThat(table.path("rows").get(0).path("object").path("kind").asText()).isEqualTo("Grant");
    }

    /** The ages kubectl shows, as apimachinery's HumanDuration writes them. */
    @Test
    void agesReadAsKubectlWritesThem() {
        assertThat(KubectlTables.humanDuration(Duration.ofSeconds(-5))).isEqualTo("<invalid>");
        assertThat(KubectlTables.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
        assertThat(KubectlTables.humanDuration(Duration.ofSeconds(125))).isEqualTo("2m5s");
        assertThat(KubectlTables.humanDuration(Duration.ofMinutes(15))).isEqualTo("15m");
        assertThat(KubectlTables.humanDuration(Duration.ofMinutes(200))).isEqualTo("3h20m");
        assertThat(KubectlTables.humanDuration(Duration.ofHours(30))).isEqualTo("30h");
        assertThat(KubectlTables.humanDuration(Duration.ofHours(50))).isEqualTo("2d2h");
        assertThat(KubectlTables.humanDuration(Duration.ofDays(400))).isEqualTo("400d");
        assertThat(KubectlTables.humanDuration(Duration.ofDays(800))).isEqualTo("2y70d");
    }
}
