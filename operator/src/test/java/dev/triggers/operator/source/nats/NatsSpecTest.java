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

    static Secret secret(Map<String, String> data) {
        return new SecretBuilder().withNewMetadata().withName("nats-creds").endMetadata().withStringData(data).build();
    }
}
