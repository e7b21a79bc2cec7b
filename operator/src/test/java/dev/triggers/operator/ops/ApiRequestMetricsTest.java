package dev.triggers.operator.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The operator's own API requests, counted by verb and resource as the API server names them. */
class ApiRequestMetricsTest {

    @Test
    void namesVerbAndResourceAsTheApiServerDoes() {
        assertThat(tags("GET", "/apis/triggers.dev/v1alpha1/namespaces/shop/triggers/web")).containsExactly("get", "triggers");
        assertThat(tags("GET", "/apis/triggers.dev/v1alpha1/triggers?resourceVersion=0")).containsExactly("list", "triggers");
        assertThat(tags("GET", "/apis/triggers.dev/v1alpha1/triggers?allowWatchBookmarks=true&watch=true")).containsExactly("watch", "triggers");
        assertThat(tags("PATCH", "/apis/triggers.dev/v1alpha1/namespaces/shop/triggers/web/status")).containsExactly("patch", "triggers/status");
        assertThat(tags("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale")).containsExactly("patch", "deployments/scale");
        assertThat(tags("POST", "/api/v1/namespaces/shop/events")).containsExactly("create", "events");
        assertThat(tags("PUT", "/api/v1/namespaces/shop/secrets/web-webhook")).containsExactly("update", "secrets");
        assertThat(tags("DELETE", "/api/v1/namespaces/shop/secrets/web-webhook")).containsExactly("delete", "secrets");
        assertThat(tags("DELETE", "/api/v1/namespaces/shop/secrets")).containsExactly("deletecollection", "secrets");
        assertThat(tags("GET", "/api/v1/namespaces/shop")).containsExactly("get", "namespaces");
        assertThat(tags("GET", "/api/v1/namespaces")).containsExactly("list", "namespaces");
        assertThat(tags("GET", "/version")).containsExactly("get", "nonresource");
        assertThat(tags("GET", "/apis/triggers.dev/v1alpha1")).containsExactly("get", "nonresource");
    }

    @Test
    void countsEveryRequestOfAClientBuiltWithIt() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MockCluster cluster = MockCluster.start();
             KubernetesClient client = ApiRequestMetrics.instrument(
                     new KubernetesClientBuilder().withConfig(cluster.client().getConfiguration()), registry).build()) {
            cluster.namespace("shop");
            Trigger t = client.resource(Triggers.redeploy("shop", "web", "web")).create();
            client.resources(Trigger.class).inNamespace("shop").withName("web").get();
            client.resources(Trigger.class).inNamespace("shop").list();
            client.resources(Trigger.class).resource(t).patchStatus();
            client.resources(Trigger.class).inNamespace("shop").resource(t)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
            try (var watch = client.resources(Trigger.class).inNamespace("shop").watch(new Watcher<Trigger>() {
                @Override
                public void eventReceived(Action action, Trigger resource) {}

                @Override
                public void onClose(WatcherException cause) {}
            })) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> count(registry, "watch", "triggers") == 1);
            }
            client.resources(Trigger.class).inNamespace("shop").withName("web").delete();

            assertThat(count(registry, "create", "triggers")).isEqualTo(1);
            assertThat(count(registry, "get", "triggers")).isEqualTo(1);
            assertThat(count(registry, "list", "triggers")).isEqualTo(1);
            assertThat(count(registry, "patch", "triggers/status")).isEqualTo(1);
            assertThat(count(registry, "patch", "triggers")).isEqualTo(1);
            assertThat(count(registry, "delete", "triggers")).isEqualTo(1);
            // The namespace was made by another client: not counted.
            assertThat(registry.find(ApiRequestMetrics.METER).tag("resource", "namespaces").counters()).isEmpty();
            assertThat(registry.scrape()).contains("trigger_operator_api_requests_total{resource=\"triggers\",verb=\"create\"} 1.0");
        }
    }

    private static String[] tags(String method, String uri) {
        return ApiRequestMetrics.tags(method, URI.create("https://10.0.0.1:6443" + uri));
    }

    private static double count(PrometheusMeterRegistry registry, String verb, String resource) {
        var counter = registry.find(ApiRequestMetrics.METER).tag("verb", verb).tag("resource", resource).counter();
        return counter == null ? 0 : counter.count();
    }
}
