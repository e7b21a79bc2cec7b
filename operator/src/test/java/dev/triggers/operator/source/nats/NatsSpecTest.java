package dev.triggers.operator.source.nats;

import static dev.triggers.operator.source.nats.NatsTestSupport.core;
import static dev.triggers.operator.source.nats.NatsTestSupport.jetStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggers.operator.api.v1alpha1.NatsSource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checks the schema cannot make, and the credentials Secret's keys: pure functions, no server. */
class NatsSpecTest {

    @Test
    void validSpecsHaveNoProblems() {
        assertThat(NatsSourceFactory.problems(core("nats://nats.messaging:4222", "deploy.web"))).isEmpty();
        assertThat(NatsSourceFactory.problems(core("nats.messaging:4222", "deploy.*.prod"))).isEmpty();
        assertThat(NatsSourceFactory.problems(core("tls://nats.messaging", "deploy.>"))).isEmpty();
        assertThat(NatsSourceFactory.problems(jetStream("nats://n:4222", "deploys.web", "DEPLOYS", "web-restarter"))).isEmpty();
    }

    @Test
    void unparsableServerUrlIsNamed() {
        assertThat(NatsSourceFactory.problems(core("nats://", "a"))).singleElement().asString()
                .contains("spec.source.nats.servers: 'nats://'").contains("is not a URL");
        assertThat(NatsSourceFactory.problems(core("http://nats:4222", "a"))).singleElement().asString().contains("scheme 'http'");
        assertThat(NatsSourceFactory.problems(core("nats://host:99999", "a"))).singleElement().asString().contains("port");
        NatsSource none = core("x", "a");
        none.setServers(List.of());
        assertThat(NatsSourceFactory.problems(none)).singleElement().asString().contains("servers is empty");
    }

    @Test
    void emptyOrMalformedSubjectIsNamed() {
        assertThat(NatsSourceFactory.problems(core("nats://n", ""))).singleElement().asString().contains("spec.source.nats.subject is empty");
        assertThat(NatsSourceFactory.problems(core("nats://n", "a..b"))).singleElement().asString().contains("empty token");
        assertThat(NatsSourceFactory.problems(core("nats://n", "a.>.b"))).singleElement().asString().contains("'>' before the last token");
        assertThat(NatsSourceFactory.problems(core("nats://n", "a b"))).singleElement().asString().contains("spaces");
    }

    @Test
    void jetStreamNeedsStreamAndDurableAndNoQueueGroup() {
        assertThat(NatsSourceFactory.problems(jetStream("nats://n", "a", "", null)))
                .anySatisfy(p -> assertThat(p).contains("jetStream.stream is empty"))
                .anySatisfy(p -> assertThat(p).contains("jetStream.durable is empty"));
        assertThat(NatsSourceFactory.problems(jetStream("nats://n", "a", "S", "bad.name"))).singleElement().asString().contains("durable 'bad.name'");
        NatsSource queued = jetStream("nats://n", "a", "S", "d");
        queued.setQueueGroup("g");
        assertThat(NatsSourceFactory.problems(queued)).singleElement().asString().contains("queueGroup is for core NATS only");
    }

    @Test
    void lengthsAndCountsOverTheSchemaBoundsAreNamed() {
        NatsSource many = core("nats://n:4222", "a");
        many.setServers(java.util.Collections.nCopies(17, "nats://n:4222"));
        assertThat(NatsSourceFactory.problems(many)).singleElement().asString().contains("has 17 servers: list at most 16");
        assertThat(NatsSourceFactory.problems(core("nats://" + "n".repeat(600), "a"))).singleElement().asString().contains("over 512");
        assertThat(NatsSourceFactory.problems(core("nats://n", "a.".repeat(200) + "b"))).singleElement().asString()
                .contains("spec.source.nats.subject is 401 characters long, over 256");
        NatsSource queued = core("nats://n", "a");
        queued.setQueueGroup("q".repeat(129));
        assertThat(NatsSourceFactory.problems(queued)).singleElement().asString().contains("queueGroup is 129 characters long");
        assertThat(NatsSourceFactory.problems(jetStream("nats://n", "a", "S".repeat(129), "d".repeat(129))))
                .anySatisfy(p -> assertThat(p).contains("jetStream.stream is 129"))
                .anySatisfy(p -> assertThat(p).contains("jetStream.durable is 129"));
        assertThat(NatsSourceFactory.problems(jetStream("nats://n", "a", "S".repeat(128), "d".repeat(128)))).isEmpty();
    }

    /** The same bounds in the generated CRD, for a real API server to enforce (the mock does not). */
    @Test
    void theCrdBoundsTheNatsFields() throws Exception {
        java.util.Map<?, ?> nats;
        try (var in = getClass().getClassLoader().getResourceAsStream(dev.triggers.operator.testing.MockCluster.CRD_RESOURCE)) {
            var crd = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in,
                    io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class);
            var spec = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
            var source = spec.getProperties().get("source").getProperties().get("nats");
            assertThat(source.getProperties().get("servers").getMaxItems()).isEqualTo(16L);
            assertThat(source.getProperties().get("servers").getItems().getSchema().getMaxLength()).isEqualTo(512L);
            assertThat(source.getProperties().get("subject").getMaxLength()).isEqualTo(256L);
            assertThat(source.getProperties().get("queueGroup").getMaxLength()).isEqualTo(128L);
            var js = source.getProperties().get("jetStream").getProperties();
            assertThat(js.get("stream").getMaxLength()).isEqualTo(128L);
            assertThat(js.get("durable").getMaxLength()).isEqualTo(128L);
        }
    }

    @Test
    void secretKeysAreUserPasswordOrTokenOrCreds() {
        assertThat(NatsCredentials.fromSecret(secret(Map.of("user", "u", "password", "p"))).toString()).doesNotContain("p]").contains("user");
        assertThat(NatsCredentials.fromSecret(secret(Map.of("token", "t"))).fingerprint()).isNotEqualTo(NatsCredentials.NONE.fingerprint());
        assertThat(NatsCredentials.fromSecret(secret(Map.of("token", "t"))).fingerprint())
                .isEqualTo(NatsCredentials.fromSecret(secret(Map.of("token", "t"))).fingerprint())
                .isNotEqualTo(NatsCredentials.fromSecret(secret(Map.of("token", "u"))).fingerprint());
        assertThatThrownBy(() -> NatsCredentials.fromSecret(secret(Map.of("user", "u")))).hasMessageContaining("both keys user and password");
        assertThatThrownBy(() -> NatsCredentials.fromSecret(secret(Map.of("user", "u", "password", "p", "token", "t")))).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> NatsCredentials.fromSecret(secret(Map.of("other", "x")))).hasMessageContaining("none of the keys");
        assertThatThrownBy(() -> NatsCredentials.fromSecret(secret(Map.of("token", "t", "ca.crt", "not a pem")))).hasMessageContaining("ca.crt is not a PEM certificate");
    }

    @Test
    void reconnectBackoffGrowsAndIsCapped() {
        assertThat(SharedConnection.reconnectDelay(0)).isBetween(Duration.ofMillis(250), Duration.ofMillis(300));
        assertThat(SharedConnection.reconnectDelay(3)).isBetween(Duration.ofMillis(2000), Duration.ofMillis(2400));
        assertThat(SharedConnection.reconnectDelay(100)).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(12));
    }

    @Test
    void theServerSideDurableIsNamespacedAndOneToken() {
        assertThat(JetStreamConsumer.serverDurable("team-a", "web-restarter")).isEqualTo("team-a_web-restarter");
        // No namespace holds '_' (DNS labels), so a durable named "b_x" in namespace "a" can never be namespace "a_b"'s "x".
        assertThat(JetStreamConsumer.serverDurable("a", "b_x")).isEqualTo("a_b_x");
        assertThat(NatsSourceFactory.problems(jetStream("nats://n", "a", "S", "x.y"))).singleElement().asString().contains("durable 'x.y'");
    }

    static Secret secret(Map<String, String> data) {
        return new SecretBuilder().withNewMetadata().withName("nats-creds").endMetadata().withStringData(data).build();
    }
}
