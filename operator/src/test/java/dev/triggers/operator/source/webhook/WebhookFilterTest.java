package dev.triggers.operator.source.webhook;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static dev.triggers.operator.source.webhook.WebhookFixture.eventId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.Triggers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Webhook filters over real HTTP: matched calls fire, others answer 202 matched:false and fire nothing; a bad expression is an Error. */
class WebhookFilterTest {
    WebhookFixture f;

    @BeforeEach
    void start() {
        f = new WebhookFixture();
        f.cluster.deployment(NS, "web");
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void onlyCallsTheFilterMatchesFire() {
        String token = create("main-only", "body.ref == 'refs/heads/main' && headers['x-github-event'] == 'push'");
        String path = "/hooks/" + NS + "/main-only/" + token;

        HttpResponse<String> other = post(path, Map.of("X-GitHub-Event", "push"), "{\"ref\":\"refs/heads/feature\"}");
        assertThat(other.statusCode()).isEqualTo(202);
        assertThat(other.body()).isEqualTo("{\"matched\":false}");
        assertThat(post(path, Map.of("X-GitHub-Event", "ping"), "{\"ref\":\"refs/heads/main\"}").body())
                .as("a header the filter looks at").isEqualTo("{\"matched\":false}");
        assertThat(post(path, Map.of("X-GitHub-Event", "ping"), "{\"zen\":\"hi\"}").body()).as("a missing field").isEqualTo("{\"matched\":false}");
        assertThat(post(path, Map.of("X-GitHub-Event", "push"), "not json").body()).as("not JSON").isEqualTo("{\"matched\":false}");
        assertThat(post(path, Map.of("X-GitHub-Event", "push"), "").body()).as("no body").isEqualTo("{\"matched\":false}");

        eventId(post(path, Map.of("X-GitHub-Event", "push"), "{\"ref\":\"refs/heads/main\",\"commits\":[{\"id\":1}],\"size\":1.5,\"x\":null}"));
        await().untilAsserted(() -> assertThat(f.fireCount("main-only")).isEqualTo(1L));
        assertThat(f.counter("trigger_events_received_total", "trigger", "main-only")).as("only the matched call became an event").isEqualTo(1.0);
    }

    @Test
    void numbersListsAndNestedFieldsAreJsonValues() {
        String token = create("nested", "body.repository.name == 'shop' && size(body.commits) > 1 && body.commits[0].count >= 2");
        String path = "/hooks/" + NS + "/nested/" + token;
        assertThat(post(path, Map.of(), "{\"repository\":{\"name\":\"shop\"},\"commits\":[{\"count\":1},{}]}").body()).isEqualTo("{\"matched\":false}");
        eventId(post(path, Map.of(), "{\"repository\":{\"name\":\"shop\"},\"commits\":[{\"count\":2},{}]}"));
    }

    @Test
    void aBadExpressionIsAnErrorWithTheCompilersMessage() {
        Trigger bad = Triggers.redeploy(NS, "bad-filter", "web");
        bad.getSpec().getSource().getWebhook().setFilter("body.ref == ");
        f.cluster.create(bad);
        Trigger notBool = Triggers.redeploy(NS, "unknown-var", "web");
        notBool.getSpec().getSource().getWebhook().setFilter("payload.ref == 'x'");
        f.cluster.create(notBool);
        await().untilAsserted(() -> {
            TriggerStatus s = f.status("bad-filter");
            assertThat(s.getStatus()).isEqualTo(TriggerStatus.ERROR);
            assertThat(s.getErrorMessage()).contains("spec.source.webhook.filter").contains("mismatched input");
        });
        await().untilAsserted(() -> assertThat(f.status("unknown-var").getErrorMessage()).contains("undeclared reference to 'payload'"));
        // Fixed: the Trigger becomes Ready.
        f.patchTrigger("bad-filter", "{\"spec\":{\"source\":{\"webhook\":{\"filter\":\"body.ref == 'refs/heads/main'\"}}}}");
        f.awaitReady("bad-filter");
    }

    String create(String name, String filter) {
        Trigger t = Triggers.redeploy(NS, name, "web");
        t.getSpec().getSource().getWebhook().setFilter(filter);
        f.cluster.create(t);
        f.awaitReady(name);
        String token = f.token(name);
        f.awaitAccepted(name, token);
        return token;
    }

    HttpResponse<String> post(String path, Map<String, String> headers, String body) {
        return f.post(f.factory.port(), path, headers, HttpRequest.BodyPublishers.ofString(body));
    }
}
