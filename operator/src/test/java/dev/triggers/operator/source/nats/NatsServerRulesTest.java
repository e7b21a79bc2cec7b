package dev.triggers.operator.source.nats;

import static dev.triggers.operator.source.nats.NatsTestSupport.NS;
import static dev.triggers.operator.source.nats.NatsTestSupport.core;
import static dev.triggers.operator.source.nats.NatsTestSupport.withSecret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.NatsServer;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.nats.client.Options;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which servers a Trigger may reach: the cluster admin's address policy, checked when the source
 * starts and before every dial, and no password or token in clear to a public address.
 */
class NatsServerRulesTest {
    static final String FIELD = "spec.source.nats.servers";
    /** As production runs by default: nothing private allowed (loopback, link-local, the Service range). */
    static final TenantPolicy CLOSED = TenantPolicy.closed();
    static final TenantPolicy LOOPBACK_ALLOWED = TenantPolicy.fromEnv(Map.of(TenantPolicy.ENV_ALLOWED_NETWORKS, "127.0.0.0/8")::get);
    static final NatsCredentials TOKEN = credentials(Map.of("token", "t0ken"));
    static final NatsCredentials CREDS_FILE = credentials(Map.of("creds", "-----BEGIN NATS USER JWT-----"));

    /** A self-signed CA (a public certificate, no key): what a Secret's ca.crt holds. */
    static final String CA = String.join("\n",
            "-----BEGIN CERTIFICATE-----",
            "MIIBezCCASGgAwIBAgIUf2nyVIF9V7muTiqmsh18iVpTpjUwCgYIKoZIzj0EAwIw",
            "EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjkwNTIxMzhaGA8yMTI2MTEwNTA1",
            "MjEzOFowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH",
            "A0IABELXOhvw2zBu7zyAWEPiEez3jChxhZENTSIhXKUHj2EtCdZWzyIJhhiRS3e7",
            "SfYFPmTD84pqxtoAvWEfNUDhr0ejUzBRMB0GA1UdDgQWBBRtI62QUu8KiJVVGDL7",
            "QApqkFA5PjAfBgNVHSMEGDAWgBRtI62QUu8KiJVVGDL7QApqkFA5PjAPBgNVHRMB",
            "Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIAk0UlNq33l/5EPFCnI/yxkgSfdj",
            "zdjL4UQqC1d6IY2rAiEA0/ZZqN0+NSMsswZkEDR9C75oFSwkk023EIhX+CoiQKY=",
            "-----END CERTIFICATE-----");

    MockCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void privateAndMetadataAddressesAreRefusedUnlessTheAdminAllowsThem() {
        ServerRules rules = new ServerRules(CLOSED);
        assertThat(rules.startProblem(List.of("nats://127.0.0.1:4222"), NatsCredentials.NONE))
                .startsWith(FIELD + " host '127.0.0.1' resolves to 127.0.0.1, a loopback address");
        assertThat(rules.startProblem(List.of("nats://10.1.2.3:4222", "169.254.169.254:4222"), NatsCredentials.NONE))
                .as("every server is checked, not only the first").contains("'169.254.169.254'").contains("link-local");
        assertThat(rules.startProblem(List.of("nats://10.96.0.10:4222"), NatsCredentials.NONE)).contains("cluster Service");
        assertThat(rules.startProblem(List.of("nats://[::1]:4222"), NatsCredentials.NONE)).contains("loopback");
        assertThat(rules.startProblem(List.of("nats://0.0.0.0:4222"), NatsCredentials.NONE)).contains("wildcard");
        assertThat(rules.startProblem(List.of("nats://10.1.2.3:4222"), NatsCredentials.NONE)).isNull();
        assertThat(new ServerRules(LOOPBACK_ALLOWED).startProblem(List.of("nats://127.0.0.1:4222"), NatsCredentials.NONE)).isNull();
    }

    @Test
    void aNameThatDoesNotResolveYetIsLeftToTheConnection() {
        // A Service may be created after its Trigger: the connection reports "cannot connect" and retries.
        assertThat(new ServerRules(CLOSED).startProblem(List.of("nats://nats.not-yet.invalid:4222"), NatsCredentials.NONE)).isNull();
        assertThat(new ServerRules(CLOSED).problem("nats.not-yet.invalid", false)).contains("does not resolve");
    }

    @Test
    void passwordOrTokenInClearGoesToPrivateAddressesOnly() {
        ServerRules rules = new ServerRules(CLOSED);
        assertThat(rules.startProblem(List.of("nats://8.8.8.8:4222"), TOKEN))
                .contains("'8.8.8.8' is a public address").contains("use a tls:// URL").doesNotContain("t0ken");
        assertThat(rules.startProblem(List.of("ws://8.8.8.8:80"), TOKEN)).contains("public address");
        assertThat(rules.startProblem(List.of("tls://8.8.8.8:4222"), TOKEN)).isNull();
        assertThat(rules.startProblem(List.of("wss://8.8.8.8:443"), TOKEN)).isNull();
        assertThat(rules.startProblem(List.of("nats://8.8.8.8:4222"), credentials(Map.of("token", "t", "ca.crt", CA))))
                .as("a ca.crt makes jnats encrypt whatever the scheme").isNull();
        assertThat(rules.startProblem(List.of("nats://8.8.8.8:4222"), CREDS_FILE)).as("a creds file only signs a nonce").isNull();
        assertThat(rules.startProblem(List.of("nats://8.8.8.8:4222"), NatsCredentials.NONE)).isNull();
        // Private, in clear: allowed (a service mesh may encrypt it), and said.
        assertThat(rules.startProblem(List.of("nats://10.1.2.3:4222", "nats://100.64.0.9:4222", "nats://192.168.1.1:4222"), TOKEN)).isNull();
        assertThat(ServerRules.sendsSecretInClear(List.of("nats://10.1.2.3:4222"), TOKEN)).isTrue();
        assertThat(ServerRules.sendsSecretInClear(List.of("tls://10.1.2.3:4222"), TOKEN)).isFalse();
        assertThat(ServerRules.sendsSecretInClear(List.of("nats://127.0.0.1:4222"), TOKEN)).as("loopback never leaves the pod").isFalse();
    }

    @Test
    void thePoolSkipsRefusedServersAndIsEmptyWhenAllAreRefused() {
        List<String> refusals = new CopyOnWriteArrayList<>();
        PolicedServerPool pool = new PolicedServerPool(new ServerRules(CLOSED), refusals::add);
        pool.initialize(new Options.Builder().servers(new String[] {"nats://127.0.0.1:4222", "nats://10.1.2.3:4222"}).noRandomize()
                .ignoreDiscoveredServers().build());
        assertThat(pool.peekNextServer().getHost()).isEqualTo("10.1.2.3");
        assertThat(pool.nextServer().getHost()).isEqualTo("10.1.2.3");
        assertThat(pool.nextServer().getHost()).as("the refused one is skipped on every round").isEqualTo("10.1.2.3");
        assertThat(refusals).anySatisfy(r -> assertThat(r).contains("'127.0.0.1'").contains("loopback"));
        assertThat(pool.resolveHostToIps("localhost", false, true)).as("a name is dialled only at addresses that passed")
                .containsExactly(PolicedServerPool.NOWHERE);

        PolicedServerPool token = new PolicedServerPool(new ServerRules(CLOSED), refusals::add);
        token.initialize(new Options.Builder().server("nats://8.8.8.8:4222").token("t0ken".toCharArray()).build());
        assertThat(token.peekNextServer()).isNull();
        assertThat(token.nextServer()).isNull();
        assertThat(refusals).anySatisfy(r -> assertThat(r).contains("public address"));
        assertThat(refusals).noneSatisfy(r -> assertThat(r).contains("t0ken"));
    }

    @Test
    void aConnectionNeverDialsARefusedServerOnAnyAttempt() throws Exception {
        // A plain TCP listener stands in for the server: it counts whoever connects.
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger dialled = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try (Socket s = listener.accept()) {
                        dialled.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            try (NatsConnections connections = new NatsConnections()) {
                List<String> errors = new CopyOnWriteArrayList<>();
                connections.acquire(NS, List.of("nats://127.0.0.1:" + listener.getLocalPort()), NatsCredentials.NONE, new ServerRules(CLOSED),
                        c -> { if (c.lastError() != null) errors.add(c.lastError()); });
                await().untilAsserted(() -> assertThat(errors).anySatisfy(e -> assertThat(e).contains("loopback")));
                assertThat(dialled.get()).isZero();
            }
        }
    }

    @Test
    void aTriggerNamingALoopbackServerIsAnErrorUntilTheAdminAllowsIt() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            NatsSourceFactory factory = new NatsSourceFactory();
            cluster = MockCluster.start();
            cluster.namespace(NS);
            cluster.deployment(NS, "web");
            cluster.startOperator(MockCluster.testConfig().with(c -> c.tenancy = CLOSED), Clock.systemUTC(), List.of(factory));
            NatsTestSupport given = new NatsTestSupport(cluster);
            given.secret("nats-creds", Map.of("token", "t0ken"));
            given.create("web-on-deploy", "web", withSecret(core(nats.url(), "deploy.web"), "nats-creds"));

            given.awaitStatus("web-on-deploy", TriggerStatus.ERROR);
            assertThat(given.sourceReady("web-on-deploy").getReason()).isEqualTo("ServerNotAllowed");
            assertThat(given.status("web-on-deploy").getErrorMessage())
                    .startsWith(FIELD + " host '127.0.0.1' resolves to 127.0.0.1, a loopback address that tenants may not reach")
                    .contains(TenantPolicy.ENV_ALLOWED_NETWORKS).doesNotContain("t0ken");
            assertThat(factory.connections().size()).as("nothing dialled").isZero();
        }
    }

    @Test
    void theSameTriggerIsReadyWhereTheAdminAllowsLoopback() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            cluster = MockCluster.start();
            cluster.namespace(NS);
            cluster.deployment(NS, "web");
            cluster.startOperator(MockCluster.testConfig().with(c -> c.tenancy = LOOPBACK_ALLOWED), Clock.systemUTC(), List.of(new NatsSourceFactory()));
            NatsTestSupport given = new NatsTestSupport(cluster);
            given.create("web-on-deploy", "web", core(nats.url(), "deploy.web"));
            given.awaitStatus("web-on-deploy", TriggerStatus.READY);
            NatsCoreTest.publish(nats.url(), "deploy.web", Map.of());
            await().untilAsserted(() -> assertThat(given.fireCount("web-on-deploy")).isEqualTo(1));
        }
    }

    static NatsCredentials credentials(Map<String, String> data) {
        return NatsCredentials.fromSecret(new SecretBuilder().withNewMetadata().withName("s").endMetadata().withStringData(data).build());
    }
}
