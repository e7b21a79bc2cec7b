package dev.triggers.operator.source.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** examples/webhook-redeploy.yaml, applied as a user would, does what its comments say. */
class WebhookExampleTest {
    static final Path EXAMPLE = Path.of("..", "examples", "webhook-redeploy.yaml");
    WebhookFixture f;

    @BeforeEach
    void start() {
        f = new WebhookFixture();
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void theWebhookExampleRestartsWebWhenItsSecretUrlIsPosted() throws Exception {
        Trigger trigger;
        try (InputStream in = Files.newInputStream(EXAMPLE)) {
            trigger = f.cluster.client().getKubernetesSerialization().unmarshal(in, Trigger.class);
        }
        String ns = trigger.getMetadata().getNamespace();
        assertThat(ns).isEqualTo("demo");
        f.cluster.namespace(ns);
        f.cluster.deployment(ns, "web");
        f.cluster.client().resource(trigger).create();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TriggerStatus s = f.cluster.trigger(ns, "deploy-web").getStatus();
            assertThat(s).isNotNull();
            assertThat(s.getStatus()).as("status: %s", s.getErrorMessage()).isEqualTo(TriggerStatus.READY);
        });
        // kubectl get secret deploy-web-webhook -n demo -o jsonpath='{.data.url}' | base64 -d
        String url = WebhookTokens.data(f.cluster.client().secrets().inNamespace(ns).withName("deploy-web-webhook").get(), WebhookTokens.KEY_URL);
        // curl -X POST "$URL"
        var response = f.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build());
        String id = WebhookFixture.eventId(response);
        await().untilAsserted(() -> assertThat(f.cluster.getDeployment(ns, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_ID, id));
    }
}
