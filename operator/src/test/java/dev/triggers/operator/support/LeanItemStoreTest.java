package dev.triggers.operator.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerGrant;
import dev.triggers.operator.api.v1alpha1.TriggerGrantSpec;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.tenancy.Grants;
import dev.triggers.operator.testing.IdleSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's caches keep no managedFields nor last-applied annotation, while the API server's objects keep
 * them through every write of the operator (label patch, status patch, fire record).
 */
class LeanItemStoreTest {
    static final String NS = "shop";
    static final String LAST_APPLIED_VALUE = "{\"apiVersion\":\"triggers.dev/v1alpha1\",\"kind\":\"Trigger\"}";
    final List<String> triggerWrites = new CopyOnWriteArrayList<>();
    MockCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void cachedTriggersAreSlimAndTheServersCopyKeepsWhatTheOperatorDoesNotRead() {
        TriggerOperator operator = start(MockCluster.testConfig());
        cluster.deployment(NS, "web");
        cluster.create(realShaped(Triggers.redeploy(NS, "restart-web", "web")));
        ResourceID id = new ResourceID("restart-web", NS);

        // The operator's writes: its labels and Ready status, then a fire and its record.
        awaitServer(t -> assertThat(t.getStatus().getStatus()).isEqualTo(TriggerStatus.READY));
        cluster.client().resources(Trigger.class).inNamespace(NS).withName("restart-web").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + Trigger.ANNOTATION_FIRE_REQUEST + "\":\"now\"}}}");
        awaitServer(t -> assertThat(t.getStatus().getFireCount()).isEqualTo(1L));

        Trigger server = cluster.trigger(NS, "restart-web");
        assertThat(server.getMetadata().getManagedFields()).extracting(ManagedFieldsEntry::getManager).containsExactly("kubectl-client-side-apply");
        assertThat(server.getMetadata().getAnnotations()).containsEntry(LeanItemStore.LAST_APPLIED, LAST_APPLIED_VALUE)
                .containsEntry("team.example/owner", "web");
        assertThat(server.getMetadata().getLabels()).containsEntry(Trigger.LABEL_SOURCE_TYPE, SourceSpec.WEBHOOK);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(operator.sources().trigger(id).orElseThrow().getMetadata().getResourceVersion())
                        .isEqualTo(cluster.trigger(NS, "restart-web").getMetadata().getResourceVersion()));
        Trigger cached = operator.sources().trigger(id).orElseThrow();
        assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(cached.getMetadata().getAnnotations()).doesNotContainKey(LeanItemStore.LAST_APPLIED)
                .containsEntry("team.example/owner", "web").containsEntry(Trigger.ANNOTATION_FIRE_REQUEST, "now");
        assertThat(cached.getStatus().getFireCount()).isEqualTo(1L);

        // No write of the operator sent the whole object, nor touched what the cache lacks.
        assertThat(triggerWrites).as("the operator's writes to the Trigger").isNotEmpty()
                .allSatisfy(w -> assertThat(w).startsWith("PATCH ").doesNotContain("managedFields").doesNotContain("last-applied-configuration"));
    }

    /** JOSDK gives one item store to the informers of all watched namespaces: with several, none is used. */
    @Test
    void severalWatchedNamespacesStillSeeEveryTrigger() {
        OperatorConfig config = MockCluster.testConfig().with(c -> c.watchNamespaces = Set.of(NS, "other"));
        TriggerOperator operator = start(config);
        cluster.namespace("other");
        cluster.deployment(NS, "web");
        cluster.deployment("other", "web");
        cluster.create(realShaped(Triggers.redeploy(NS, "restart-web", "web")));
        cluster.create(realShaped(Triggers.redeploy("other", "restart-web", "web")));
        for (String ns : List.of(NS, "other")) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(cluster.trigger(ns, "restart-web").getStatus())
                    .extracting(TriggerStatus::getStatus).isEqualTo(TriggerStatus.READY));
            assertThat(operator.sources().trigger(new ResourceID("restart-web", ns))).isPresent();
        }
    }

    @Test
    void cachedGrantsAreSlim() {
        cluster = MockCluster.start();
        cluster.namespace("payments");
        TriggerGrant grant = new TriggerGrant();
        grant.setMetadata(realShaped(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace("payments").withName("from-shop").build()));
        TriggerGrantSpec spec = new TriggerGrantSpec();
        spec.setFrom(List.of(new TriggerGrantSpec.From(NS)));
        grant.setSpec(spec);
        cluster.client().resource(grant).create();
        for (Set<String> namespaces : List.of(Set.<String>of(), Set.of("payments", NS))) {
            try (Grants grants = new Grants(cluster.client(), namespaces, ns -> {})) {
                assertThat(grants.in("payments")).singleElement().satisfies(g -> {
                    assertThat(g.getMetadata().getManagedFields()).isNullOrEmpty();
                    assertThat(g.getMetadata().getAnnotations()).doesNotContainKey(LeanItemStore.LAST_APPLIED);
                });
            }
        }
        assertThat(cluster.client().resources(TriggerGrant.class).inNamespace("payments").withName("from-shop").get().getMetadata().getManagedFields())
                .hasSize(1);
    }

    TriggerOperator start(OperatorConfig config) {
        cluster = MockCluster.start(0, this::recordTriggerWrite);
        cluster.namespace(NS);
        return cluster.startOperator(config, Clock.systemUTC(), List.of(new IdleSourceFactory(SourceSpec.WEBHOOK)));
    }

    /** Keeps the method, path and body of every write to a Trigger but its creation (which the test makes). */
    RecordedRequest recordTriggerWrite(RecordedRequest request) {
        String method = request.getMethod();
        if (!request.getPath().contains("/triggers/") || method.equals("GET") || method.equals("DELETE")) return request;
        byte[] body = request.getBody() == null ? new byte[0] : request.getBody().readByteArray();
        triggerWrites.add(method + " " + request.getPath() + " " + new String(body, java.nio.charset.StandardCharsets.UTF_8));
        return new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(), request.getHeaders(), new Buffer(body));
    }

    void awaitServer(java.util.function.Consumer<Trigger> check) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Trigger t = cluster.trigger(NS, "restart-web");
            assertThat(t.getStatus()).isNotNull();
            check.accept(t);
        });
    }

    /** As a real API server keeps it after {@code kubectl apply}: managedFields and the last-applied annotation. */
    static <T extends HasMetadata> T realShaped(T object) {
        realShaped(object.getMetadata());
        return object;
    }

    static io.fabric8.kubernetes.api.model.ObjectMeta realShaped(io.fabric8.kubernetes.api.model.ObjectMeta meta) {
        FieldsV1 fields = new FieldsV1();
        fields.setAdditionalProperty("f:spec", Map.of("f:target", Map.of(".", Map.of(), "f:name", Map.of())));
        meta.setManagedFields(List.of(new ManagedFieldsEntryBuilder().withManager("kubectl-client-side-apply").withOperation("Update")
                .withApiVersion("triggers.dev/v1alpha1").withFieldsType("FieldsV1").withFieldsV1(fields).withTime("2026-11-29T10:00:00Z").build()));
        Map<String, String> annotations = new HashMap<>();
        annotations.put(LeanItemStore.LAST_APPLIED, LAST_APPLIED_VALUE);
        annotations.put("team.example/owner", "web");
        meta.setAnnotations(annotations);
        return meta;
    }
}
