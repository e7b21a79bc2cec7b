package dev.triggers.operator.source.nats;

import static dev.triggers.operator.source.nats.NatsTestSupport.NS;
import static dev.triggers.operator.source.nats.NatsTestSupport.core;
import static dev.triggers.operator.source.nats.NatsTestSupport.withSecret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.NatsSource;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Given a NATS Trigger and a Deployment, when a message is published on core NATS, then the Deployment restarts. */
class NatsCoreTest {
    MockCluster cluster;
    NatsServer nats;
    NatsSourceFactory factory;
    NatsTestSupport given;

    @BeforeEach
    void start() {
        nats = NatsServer.start();
        cluster = MockCluster.start();
        cluster.namespace(NS);
        factory = new NatsSourceFactory();
        cluster.startOperator(MockCluster.testConfig(), Clock.systemUTC(), List.of(factory));
        given = new NatsTestSupport(cluster);
    }

    @AfterEach
    void stop() {
        cluster.close();
        nats.close();
    }

    @Test
    void corePublishRestartsTheDeploymentAndSaysAtMostOnce() throws Exception {
        cluster.deployment(NS, "web");
        given.create("web-on-deploy", "web", core(nats.url(), "deploy.web"));
        given.awaitStatus("web-on-deploy", TriggerStatus.READY);
        assertThat(given.sourceReady("web-on-deploy").getMessage()).contains("deploy.web").contains("at most once");

        publish(nats.url(), "deploy.web", Map.of());

        await().untilAsserted(() -> assertThat(given.fireCount("web-on-deploy")).isEqualTo(1));
        Map<String, String> template = given.template("web");
        assertThat(template).containsKey(RedeployAction.RESTARTED_AT).containsEntry(RedeployAction.EVENT_SOURCE, "nats");
        TriggerStatus status = given.status("web-on-deploy");
        assertThat(status.getLastEvent().getSource()).isEqualTo("nats");
        assertThat(status.getLastEvent().getId()).isNotBlank().isEqualTo(template.get(RedeployAction.EVENT_ID));
    }

    @Test
    void wildcardSubjectFiresOnEveryMatchingSubject() throws Exception {
        cluster.deployment(NS, "web");
        given.create("web-on-any", "web", core(nats.url(), "deploy.*.prod"));
        given.awaitStatus("web-on-any", TriggerStatus.READY);

        publish(nats.url(), "deploy.web.prod", Map.of());
        await().untilAsserted(() -> assertThat(given.fireCount("web-on-any")).isEqualTo(1));
        publish(nats.url(), "deploy.api.prod", Map.of());
        await().untilAsserted(() -> assertThat(given.fireCount("web-on-any")).isEqualTo(2));
    }

    @Test
    void queueGroupGivesOneFirePerMessageAcrossTwoSubscriptions() throws Exception {
        cluster.deployment(NS, "web-a");
        cluster.deployment(NS, "web-b");
        NatsSource a = core(nats.url(), "deploy.web");
        a.setQueueGroup("restarters");
        NatsSource b = core(nats.url(), "deploy.web");
        b.setQueueGroup("restarters");
        given.create("restart-a", "web-a", a);
        given.create("restart-b", "web-b", b);
        given.awaitStatus("restart-a", TriggerStatus.READY);
        given.awaitStatus("restart-b", TriggerStatus.READY);
        assertThat(factory.connections().size()).as("both Triggers share one connection").isEqualTo(1);

        for (int i = 1; i <= 6; i++) {
            publish(nats.url(), "deploy.web", Map.of());
            long expected = i;
            await().until(() -> given.fireCount("restart-a") + given.fireCount("restart-b") >= expected);
            assertThat(given.fireCount("restart-a") + given.fireCount("restart-b")).isEqualTo(expected);
        }
    }

    @Test
    void triggersOfTwoNamespacesNeverShareAConnection() throws Exception {
        for (String ns : List.of("team-a", "team-b")) {
            cluster.namespace(ns);
            cluster.deployment(ns, "web");
            given.create(ns, "web-on-deploy", "web", core(nats.url(), "deploy.web"));
        }
        given.awaitStatus("team-a", "web-on-deploy", TriggerStatus.READY);
        given.awaitStatus("team-b", "web-on-deploy", TriggerStatus.READY);
        assertThat(factory.connections().size()).isEqualTo(2);

        publish(nats.url(), "deploy.web", Map.of());
        await().untilAsserted(() -> assertThat(given.fireCount("team-a", "web-on-deploy")).isEqualTo(1));
        await().untilAsserted(() -> assertThat(given.fireCount("team-b", "web-on-deploy")).isEqualTo(1));
    }

    @Test
    void serverStoppedIsAnErrorWithTheReasonAndRecoversOnItsOwn() throws Exception {
        cluster.deployment(NS, "web");
        given.create("web-on-deploy", "web", core(nats.url(), "deploy.web"));
        given.awaitStatus("web-on-deploy", TriggerStatus.READY);

        nats.stop();
        given.awaitStatus("web-on-deploy", TriggerStatus.ERROR);
        assertThat(given.status("web-on-deploy").getErrorMessage()).contains("disconnected from NATS at " + nats.url());
        assertThat(given.sourceReady("web-on-deploy").getStatus()).isEqualTo("False");
        assertThat(given.sourceReady("web-on-deploy").getReason()).isEqualTo("Disconnected");

        nats.startAgain();
        given.awaitStatus("web-on-deploy", TriggerStatus.READY);
        publish(nats.url(), "deploy.web", Map.of());
        await().untilAsserted(() -> assertThat(given.fireCount("web-on-deploy")).isEqualTo(1));
    }

    @Test
    void unreachableServerAtStartIsAnError() {
        cluster.deployment(NS, "web");
        given.create("web-on-deploy", "web", core("nats://127.0.0.1:" + NatsServer.freePort(), "deploy.web"));
        given.awaitStatus("web-on-deploy", TriggerStatus.ERROR);
        assertThat(given.status("web-on-deploy").getErrorMessage()).contains("cannot connect to NATS at nats://127.0.0.1:");
    }

    @Test
    void wrongCredentialsAreAnErrorUntilTheSecretIsFixed() throws Exception {
        try (NatsServer secured = NatsServer.start("--user", "operator", "--pass", "s3cret")) {
            cluster.deployment(NS, "web");
            given.secret("nats-creds", Map.of("user", "operator", "password", "wrong"));
            given.create("web-on-deploy", "web", withSecret(core(secured.url(), "deploy.web"), "nats-creds"));

            given.awaitStatus("web-on-deploy", TriggerStatus.ERROR);
            assertThat(given.sourceReady("web-on-deploy").getReason()).isEqualTo("AuthorizationFailed");
            assertThat(given.status("web-on-deploy").getErrorMessage())
                    .contains("refused the credentials of Secret 'nats-creds'").contains("Authorization Violation")
                    .doesNotContain("wrong");

            given.secret("nats-creds", Map.of("user", "operator", "password", "s3cret"));
            given.awaitStatus("web-on-deploy", TriggerStatus.READY);
            try (Connection publisher = Nats.connect(new Options.Builder().server(secured.url()).userInfo("operator", "s3cret").build())) {
                publisher.publish("deploy.web", new byte[0]);
                publisher.flush(Duration.ofSeconds(5));
            }
            await().untilAsserted(() -> assertThat(given.fireCount("web-on-deploy")).isEqualTo(1));
        }
    }

    @Test
    void secretWithoutTheOptInLabelIsNeverUsedUntilLabelled() throws Exception {
        try (NatsServer secured = NatsServer.start("--user", "operator", "--pass", "s3cret")) {
            cluster.deployment(NS, "web");
            // The right credentials, but the Secret's owner did not mark it for Triggers.
            given.secret(NS, "app-db", Map.of("user", "operator", "password", "s3cret"), Map.of());
            given.create("web-on-deploy", "web", withSecret(core(secured.url(), "deploy.web"), "app-db"));

            given.awaitStatus("web-on-deploy", TriggerStatus.ERROR);
            assertThat(given.sourceReady("web-on-deploy").getReason()).isEqualTo("SecretNotOptedIn");
            assertThat(given.status("web-on-deploy").getErrorMessage())
                    .isEqualTo(CredentialsSecrets.notOptedInMessage("spec.source.nats.credentialsSecretRef", NS, "app-db"))
                    .doesNotContain("s3cret");
            assertThat(factory.connections().size()).as("no connection opened with the unlabelled Secret's credentials").isZero();

            given.secret(NS, "app-db", Map.of("user", "operator", "password", "s3cret"), Map.of(CredentialsSecrets.LABEL, "true"));
            given.awaitStatus("web-on-deploy", TriggerStatus.READY);
        }
    }

    @Test
    void missingSecretIsAnError() {
        cluster.deployment(NS, "web");
        given.create("web-on-deploy", "web", withSecret(core(nats.url(), "deploy.web"), "absent"));
        given.awaitStatus("web-on-deploy", TriggerStatus.ERROR);
        assertThat(given.status("web-on-deploy").getErrorMessage()).contains("Secret 'absent'").contains("not found in namespace demo");
    }

    @Test
    void suspendingUnsubscribesAndClosesTheLastConnection() {
        cluster.deployment(NS, "web");
        given.create("web-on-deploy", "web", core(nats.url(), "deploy.web"));
        given.awaitStatus("web-on-deploy", TriggerStatus.READY);
        assertThat(factory.connections().size()).isEqualTo(1);

        given.suspend("web-on-deploy");
        given.awaitStatus("web-on-deploy", TriggerStatus.SUSPENDED);
        assertThat(factory.connections().size()).isZero();
    }

    @Test
    void invalidSpecIsAnErrorNamingTheField() {
        cluster.deployment(NS, "web");
        given.create("bad", "web", core("nats://", " "));
        given.awaitStatus("bad", TriggerStatus.ERROR);
        assertThat(given.status("bad").getErrorMessage()).contains("spec.source.nats.servers").contains("spec.source.nats.subject");
    }

    static void publish(String url, String subject, Map<String, String> unused) throws Exception {
        try (Connection publisher = Nats.connect(url)) {
            publisher.publish(subject, "deploy".getBytes());
            publisher.flush(Duration.ofSeconds(5));
        }
    }
}
