package dev.triggers.operator.source.webhook;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static dev.triggers.operator.source.webhook.WebhookFixture.eventId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.Triggers;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Over a whole webhook scenario, no token reaches the logs, the status or the Events. */
class WebhookLogsTest {
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final List<String> julLogs = new ArrayList<>();
    final Handler julHandler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (julLogs) {
                julLogs.add(r.getLoggerName() + " " + r.getMessage() + " " + java.util.Arrays.toString(r.getParameters())
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    WebhookFixture f;

    @BeforeEach
    void start() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        logs.setContext(context);
        logs.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
        java.util.logging.Logger.getLogger("").addHandler(julHandler);
        f = new WebhookFixture();
    }

    @AfterEach
    void stop() {
        f.close();
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(logs);
        java.util.logging.Logger.getLogger("").removeHandler(julHandler);
    }

    @Test
    void noTokenInLogsStatusOrEvents() {
        Set<String> tokens = new LinkedHashSet<>();
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        // No Deployment yet: the Trigger is in Error, but its URL already works.
        await().untilAsserted(() -> assertThat(f.secret("deploy-web")).isNotNull());
        String first = f.token("deploy-web");
        tokens.add(first);
        f.awaitAccepted("deploy-web", first);

        // A fire that fails (no Deployment yet), then succeeds on retry.
        eventId(f.bearer("deploy-web", first));
        await().untilAsserted(() -> assertThat(f.status("deploy-web").getStatus()).isEqualTo(TriggerStatus.ERROR));
        f.cluster.deployment(NS, "web");
        String viaPath = eventId(f.inPath("deploy-web", first));
        await().untilAsserted(() -> assertThat(f.template("web")).containsEntry(RedeployAction.EVENT_ID, viaPath));

        // Refused calls of every kind.
        f.bearer("deploy-web", first.substring(2));
        f.inPath("deploy-web", first + "x");
        f.post("/hooks/" + NS + "/deploy-web/" + first + "/extra", Map.of());
        f.post("/hooks/" + first + "/deploy-web", Map.of());
        f.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + f.factory.port() + "/hooks/" + NS + "/deploy-web/" + first)).GET().build());
        try {
            f.post(f.factory.port(), "/hooks/" + NS + "/deploy-web/" + first, Map.of(), HttpRequest.BodyPublishers.ofByteArray(new byte[WebhookSettings.ONE_MIB + 1]));
        } catch (java.io.UncheckedIOException e) {
            // The server answers 413 without reading the body; a client still writing may see the reset.
        }
        f.post("/hooks/" + NS + "/deploy-web", Map.of("Authorization", "Bearer " + first, "Idempotency-Key", "k1"));
        f.post("/hooks/" + NS + "/deploy-web", Map.of("Authorization", "Bearer " + first, "Idempotency-Key", "k1"));

        // Rotation, then revocation, then a call through a standby replica.
        f.annotate("deploy-web", WebhookTokens.ANNOTATION_ROTATE, "r1");
        await().untilAsserted(() -> assertThat(f.token("deploy-web")).isNotEqualTo(first));
        String rotated = f.token("deploy-web");
        tokens.add(rotated);
        f.awaitAccepted("deploy-web", rotated);
        eventId(f.bearer("deploy-web", rotated));
        f.cluster.client().secrets().inNamespace(NS).withName("deploy-web-webhook").delete();
        await().untilAsserted(() -> assertThat(f.secret("deploy-web")).isNotNull());
        String minted = f.token("deploy-web");
        tokens.add(minted);
        WebhookSourceFactory standby = f.standby();
        await().until(() -> standby.tokens().verify(NS, "deploy-web", minted).isPresent());
        eventId(f.post(standby.port(), "/hooks/" + NS + "/deploy-web/" + minted, Map.of(), HttpRequest.BodyPublishers.noBody()));
        f.patchTrigger("deploy-web", "{\"spec\":{\"suspend\":true}}");
        await().untilAsserted(() -> assertThat(f.bearer("deploy-web", minted).statusCode()).isEqualTo(409));
        assertThat(tokens).hasSize(3);

        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            lines.add(e.getFormattedMessage());
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) lines.add(t.getClassName() + ": " + t.getMessage());
        }
        synchronized (julLogs) {
            lines.addAll(julLogs);
        }
        // A floor that shows the capture works, not a count to keep: the scenario logs about 20 lines, fewer
        // since refused calls are answered without waiting for their body (no request ends early any more).
        assertThat(lines).as("captured log lines").hasSizeGreaterThan(10);
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("minted a webhook token"));
        String status = f.cluster.client().getKubernetesSerialization().asJson(f.cluster.trigger(NS, "deploy-web"));
        String events = f.cluster.client().getKubernetesSerialization().asJson(f.cluster.client().v1().events().inNamespace(NS).list());
        assertThat(events).contains("WebhookTokenRotated", "WebhookTokenMinted");
        for (String token : tokens) {
            assertThat(lines).noneSatisfy(l -> assertThat(l).contains(token));
            assertThat(status).doesNotContain(token);
            assertThat(events).doesNotContain(token);
        }
    }
}
