package dev.triggers.operator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggers.operator.source.sqs.SqsSettings;
import dev.triggers.operator.source.webhook.WebhookSettings;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The settings catalogue: each kind of value, good and bad, and what a bad one says. */
class SettingsTest {

    /** A setting, a value given to it, and what it reads as. */
    static Stream<Arguments> goodValues() {
        return Stream.of(
                Arguments.of(Settings.WEBHOOK_PORT, "8443", 8443),
                Arguments.of(Settings.WEBHOOK_PORT, " 1 ", 1),
                Arguments.of(Settings.METRICS_PORT, "65535", 65535),
                Arguments.of(Settings.FIRE_THREADS, "1", 1),
                Arguments.of(Settings.FIRE_THREADS, "+12", 12),
                Arguments.of(Settings.LEADER_ELECTION, "true", true),
                Arguments.of(Settings.LEADER_ELECTION, "TRUE", true),
                Arguments.of(Settings.ALLOW_CROSS_NAMESPACE_TARGETS, "False", false),
                Arguments.of(Settings.RECHECK_SECONDS, "30", Duration.ofSeconds(30)),
                Arguments.of(Settings.WEBHOOK_ROTATION_GRACE_SECONDS, "0", Duration.ZERO),
                Arguments.of(Settings.WEBHOOK_HEADER_TIMEOUT_SECONDS, "86400", Duration.ofDays(1)),
                Arguments.of(Settings.WATCH_NAMESPACES, "shop, payments,,", List.of("shop", "payments")),
                Arguments.of(Settings.AWS_IDENTITY_NAMESPACES, "*", List.of("*")),
                Arguments.of(Settings.AWS_IDENTITY_NAMESPACES, "ops,team-1", List.of("ops", "team-1")),
                Arguments.of(Settings.SQS_ALLOWED_ENDPOINTS, "*.vpce.amazonaws.com, elasticmq.tools.svc.cluster.local,127.0.0.1",
                        List.of("*.vpce.amazonaws.com", "elasticmq.tools.svc.cluster.local", "127.0.0.1")),
                Arguments.of(Settings.ALLOWED_PRIVATE_NETWORKS, "10.96.0.0/12,localhost,::1/128", List.of("10.96.0.0/12", "localhost", "::1/128")),
                Arguments.of(Settings.AWS_STS_ENDPOINT, "https://sts.eu-west-1.amazonaws.com", URI.create("https://sts.eu-west-1.amazonaws.com")),
                Arguments.of(Settings.AWS_STS_ENDPOINT, "http://127.0.0.1:4566", URI.create("http://127.0.0.1:4566")),
                Arguments.of(Settings.WEBHOOK_BASE_URL, "https://hooks.example.com/", URI.create("https://hooks.example.com/")),
                Arguments.of(Settings.WEBHOOK_BIND_ADDRESS, "127.0.0.1", "127.0.0.1"),
                Arguments.of(Settings.WEBHOOK_BIND_ADDRESS, "::", "::"),
                Arguments.of(Settings.LEASE_NAMESPACE, "trigger-system", "trigger-system"),
                Arguments.of(Settings.POD_NAME, "triggers-trigger-operator-7d9f8-x2x4z", "triggers-trigger-operator-7d9f8-x2x4z"),
                Arguments.of(Settings.LOG_LEVEL, "debug", "DEBUG"),
                Arguments.of(Settings.LOG_FORMAT, "json", "json"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("goodValues")
    void aGoodValueReadsAsItsValue(Setting<?> setting, String given, Object expected) {
        assertThat((Object) setting.read(Map.of(setting.env(), given)::get)).isEqualTo(expected);
        assertThatCode(() -> Settings.check(Map.of(setting.env(), given))).doesNotThrowAnyException();
    }

    @Test
    void cidrsReadAsNetworks() {
        List<TenantPolicy.Cidr> cidrs = Settings.SERVICE_CIDRS.read(Map.of("SERVICE_CIDRS", "172.20.0.0/16, fd00::/108")::get);
        assertThat(cidrs).extracting(TenantPolicy.Cidr::prefix).containsExactly(16, 108);
    }

    /** A setting, a bad value, and the one line that refuses it. */
    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(Settings.WEBHOOK_PORT, "abc", "WEBHOOK_PORT=abc: expected a whole number from 1 to 65535"),
                Arguments.of(Settings.WEBHOOK_PORT, "0", "WEBHOOK_PORT=0: expected a whole number from 1 to 65535"),
                Arguments.of(Settings.WEBHOOK_PORT, "65536", "WEBHOOK_PORT=65536: expected a whole number from 1 to 65535"),
                Arguments.of(Settings.METRICS_PORT, "80.5", "METRICS_PORT=80.5: expected a whole number from 1 to 65535"),
                Arguments.of(Settings.METRICS_PORT, "99999999999", "METRICS_PORT=99999999999: expected a whole number from 1 to 65535"),
                Arguments.of(Settings.FIRE_THREADS, "0", "FIRE_THREADS=0: expected a whole number, at least 1"),
                Arguments.of(Settings.FIRE_THREADS, "-4", "FIRE_THREADS=-4: expected a whole number, at least 1"),
                Arguments.of(Settings.SQS_POLL_THREADS, "lots", "SQS_POLL_THREADS=lots: expected a whole number, at least 1"),
                Arguments.of(Settings.LEADER_ELECTION, "ture", "LEADER_ELECTION=ture: expected true or false"),
                Arguments.of(Settings.LEADER_ELECTION, "yes", "LEADER_ELECTION=yes: expected true or false"),
                Arguments.of(Settings.ALLOW_CROSS_NAMESPACE_TARGETS, "1", "ALLOW_CROSS_NAMESPACE_TARGETS=1: expected true or false"),
                Arguments.of(Settings.RECHECK_SECONDS, "10s", "RECHECK_SECONDS=10s: expected a whole number of seconds, at least 1"),
                Arguments.of(Settings.RECHECK_SECONDS, "0", "RECHECK_SECONDS=0: expected a whole number of seconds, at least 1"),
                Arguments.of(Settings.WEBHOOK_ROTATION_GRACE_SECONDS, "-1", "WEBHOOK_ROTATION_GRACE_SECONDS=-1: expected a whole number of seconds, at least 0"),
                Arguments.of(Settings.WEBHOOK_IDLE_TIMEOUT_SECONDS, "86401", "WEBHOOK_IDLE_TIMEOUT_SECONDS=86401: expected a whole number of seconds from 1 to 86400"),
                Arguments.of(Settings.WATCH_NAMESPACES, "shop,Payments", "WATCH_NAMESPACES=shop,Payments: expected namespace names, comma-separated (not 'Payments')"),
                Arguments.of(Settings.WATCH_NAMESPACES, "shop payments", "WATCH_NAMESPACES=shop payments: expected namespace names, comma-separated (not 'shop payments')"),
                Arguments.of(Settings.AWS_IDENTITY_NAMESPACES, "ops,**", "AWS_IDENTITY_NAMESPACES=ops,**: expected namespace names or *, comma-separated (not '**')"),
                Arguments.of(Settings.SQS_ALLOWED_ENDPOINTS, "https://elasticmq:9324", "SQS_ALLOWED_ENDPOINTS=https://elasticmq:9324: expected host names, *.suffix or *, comma-separated (not 'https://elasticmq:9324')"),
                Arguments.of(Settings.ALLOWED_PRIVATE_NETWORKS, "10.0.0.0/33", "ALLOWED_PRIVATE_NETWORKS=10.0.0.0/33: expected CIDRs such as 10.96.0.0/12 or host names, comma-separated (not '10.0.0.0/33')"),
                Arguments.of(Settings.SERVICE_CIDRS, "10.96.0.0/12,172.20.0.0", "SERVICE_CIDRS=10.96.0.0/12,172.20.0.0: expected CIDRs such as 10.96.0.0/12, comma-separated (not '172.20.0.0')"),
                Arguments.of(Settings.AWS_STS_ENDPOINT, "sts", "AWS_STS_ENDPOINT=sts: expected an http or https URL such as https://sts.eu-west-1.amazonaws.com"),
                Arguments.of(Settings.AWS_STS_ENDPOINT, "ftp://sts.example.com", "AWS_STS_ENDPOINT=ftp://sts.example.com: expected an http or https URL such as https://sts.eu-west-1.amazonaws.com"),
                Arguments.of(Settings.WEBHOOK_BASE_URL, "hooks.example.com", "WEBHOOK_BASE_URL=hooks.example.com: expected an http or https URL such as https://hooks.example.com"),
                Arguments.of(Settings.WEBHOOK_BIND_ADDRESS, "all interfaces", "WEBHOOK_BIND_ADDRESS=all interfaces: expected an IP address or a host name"),
                Arguments.of(Settings.LEASE_NAMESPACE, "Trigger_System", "LEASE_NAMESPACE=Trigger_System: expected a namespace name"),
                Arguments.of(Settings.LOG_LEVEL, "verbose", "LOG_LEVEL=verbose: expected one of TRACE, DEBUG, INFO, WARN, ERROR, OFF or ALL (any case)"),
                Arguments.of(Settings.LOG_FORMAT, "JSON", "LOG_FORMAT=JSON: expected text or json"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badValues")
    void aBadValueIsRefusedWithTheVariableTheValueAndWhatItAccepts(Setting<?> setting, String given, String message) {
        assertThatThrownBy(() -> setting.read(Map.of(setting.env(), given)::get))
                .isInstanceOf(BadSettingsException.class).hasMessage(message);
        assertThatThrownBy(() -> Settings.check(Map.of(setting.env(), given))).hasMessage(message);
    }

    /** Every kind refuses something: each appears in the table of bad values. */
    @Test
    void everyKindOfValueHasABadValueInTheTable() {
        Set<String> tested = new java.util.HashSet<>();
        badValues().forEach(a -> tested.add(((Setting<?>) a.get()[0]).kind().accepts()));
        List<String> untested = Settings.ALL.stream().filter(s -> !s.env().equals("POD_NAME")).map(s -> s.kind().accepts())
                .filter(a -> !tested.contains(a)).distinct().toList();
        assertThat(untested).as("kinds without a bad value in badValues()").isEmpty();
    }

    @Test
    void everyBadValueIsReportedAtOnceInTheCataloguesOrder() {
        Map<String, String> env = Map.of("WEBHOOK_PORT", "abc", "LEADER_ELECTION", "ture", "LOG_FORMAT", "yaml", "FIRE_THREADS", "8");
        assertThatThrownBy(() -> Settings.check(env)).isInstanceOfSatisfying(BadSettingsException.class, e -> {
            assertThat(e.problems()).containsExactly(
                    "LEADER_ELECTION=ture: expected true or false",
                    "WEBHOOK_PORT=abc: expected a whole number from 1 to 65535",
                    "LOG_FORMAT=yaml: expected text or json");
            assertThat(e.getMessage()).isEqualTo(String.join("; ", e.problems()));
        });
        // Each part reads its own settings through the same catalogue and refuses the same way.
        assertThatThrownBy(() -> OperatorConfig.fromEnv(Map.of("LEADER_ELECTION", "ture"))).hasMessage("LEADER_ELECTION=ture: expected true or false");
        assertThatThrownBy(() -> WebhookSettings.fromEnv(Map.of("WEBHOOK_THREADS", "many")))
                .hasMessage("WEBHOOK_THREADS=many: expected a whole number, at least 1");
        assertThatThrownBy(() -> SqsSettings.fromEnv(Map.of("SQS_MAX_IN_FLIGHT", "0")))
                .hasMessage("SQS_MAX_IN_FLIGHT=0: expected a whole number, at least 1");
        assertThatThrownBy(() -> TenantPolicy.fromEnv(Map.of("SERVICE_CIDRS", "10.96.0.0")::get))
                .hasMessage("SERVICE_CIDRS=10.96.0.0: expected CIDRs such as 10.96.0.0/12, comma-separated (not '10.96.0.0')");
    }

    /** Unset and blank (as the chart renders an empty list) both mean the default; every default is a good value. */
    @Test
    void unsetOrBlankIsTheDefaultAndEveryDefaultIsAccepted() {
        assertThatCode(() -> Settings.check(Map.of())).doesNotThrowAnyException();
        Map<String, String> blank = new HashMap<>();
        Settings.ALL.forEach(s -> blank.put(s.env(), "  "));
        assertThatCode(() -> Settings.check(blank)).doesNotThrowAnyException();
        for (Setting<?> s : Settings.ALL) {
            assertThat((Object) s.read(blank::get)).as(s.env()).usingRecursiveComparison().isEqualTo(s.read(Map.<String, String>of()::get));
        }
    }

    /** The defaults are what they were before the catalogue: behaviour unchanged for anyone who sets nothing. */
    @Test
    void theDefaultsAreUnchanged() {
        OperatorConfig config = OperatorConfig.defaults();
        assertThat(config.watchNamespaces()).isEmpty();
        assertThat(config.allowCrossNamespaceTargets()).isTrue();
        assertThat(config.webhookPort()).isEqualTo(8080);
        assertThat(config.metricsPort()).isEqualTo(8081);
        assertThat(config.webhookBaseUrl()).isEqualTo("http://localhost:8080");
        assertThat(config.webhookRateLimitPerMinute()).isEqualTo(60);
        assertThat(config.leaderElection()).isFalse();
        assertThat(config.leaseNamespace()).isNull();
        assertThat(config.recheckInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.fireThreads()).isEqualTo(8);
        assertThat(config.exitOnLostLeadership()).isTrue();
        TenantPolicy tenancy = config.tenancy();
        assertThat(tenancy.awsIdentityNamespaces()).isEmpty();
        assertThat(tenancy.sqsEndpointHosts()).isEmpty();
        assertThat(tenancy.allowedNetworks()).isEmpty();
        assertThat(tenancy.serviceNetworks()).hasSize(1);
        assertThat(tenancy.serviceNetworks().get(0).prefix()).isEqualTo(12);
        assertThat(tenancy.serviceNetworks().get(0).network()).containsExactly(10, 96, 0, 0);

        assertThat(WebhookSettings.defaults()).isEqualTo(new WebhookSettings("0.0.0.0", Duration.ofHours(1), 1024 * 1024,
                Duration.ofHours(24), 20_000, 16, 8, Duration.ofSeconds(1), Duration.ofMinutes(2), 120, Duration.ofSeconds(60),
                Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), 16 * 1024, 1024,
                Runtime.getRuntime().availableProcessors()));
        assertThat(SqsSettings.defaults()).isEqualTo(new SqsSettings(64, 4, 100, Duration.ofSeconds(1), Duration.ofSeconds(60),
                Duration.ofSeconds(1), null));
    }

    @Test
    void goodValuesMakeTheConfigTheyMean() {
        OperatorConfig config = OperatorConfig.fromEnv(Map.ofEntries(Map.entry("WATCH_NAMESPACES", "shop,payments"), Map.entry("ALLOW_CROSS_NAMESPACE_TARGETS", "false"),
                Map.entry("WEBHOOK_PORT", "9443"), Map.entry("METRICS_PORT", "9090"), Map.entry("WEBHOOK_BASE_URL", "https://hooks.example.com"),
                Map.entry("WEBHOOK_RATE_LIMIT_PER_MINUTE", "120"), Map.entry("LEADER_ELECTION", "true"), Map.entry("LEASE_NAMESPACE", "trigger-system"),
                Map.entry("RECHECK_SECONDS", "30"), Map.entry("FIRE_THREADS", "4"), Map.entry("FOLLOW_ROLLOUTS", "false"),
                Map.entry("ROLLOUTS_FOLLOWED_PER_NAMESPACE", "20")));
        assertThat(config).isEqualTo(new OperatorConfig(Set.of("shop", "payments"), false, 9443, 9090, "https://hooks.example.com", 120,
                true, "trigger-system", Duration.ofSeconds(30), 4, true, config.tenancy(),
                new dev.triggers.operator.config.RolloutFollowing(false, 20, 5000)));
        SqsSettings sqs = SqsSettings.fromEnv(Map.of("SQS_POLL_THREADS", "8", "SQS_ACK_THREADS", "2", "SQS_MAX_IN_FLIGHT", "10",
                "SQS_MAX_BACKOFF_SECONDS", "5", "AWS_STS_ENDPOINT", "https://sts.eu-west-1.amazonaws.com"));
        assertThat(sqs).isEqualTo(new SqsSettings(8, 2, 10, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(1),
                URI.create("https://sts.eu-west-1.amazonaws.com")));
        WebhookSettings webhook = WebhookSettings.fromEnv(Map.of("WEBHOOK_IO_THREADS", "3", "WEBHOOK_SECRET_RECHECK_SECONDS", "5",
                "WEBHOOK_ROTATION_GRACE_SECONDS", "0", "WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS", "64"));
        assertThat(webhook.ioThreads()).isEqualTo(3);
        assertThat(webhook.recheckInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(webhook.rotationGrace()).isZero();
        assertThat(webhook.maxConnectionsPerAddress()).isEqualTo(64);
    }

    /** with(...) copies every component and changes only those it is told to. */
    @Test
    void withCopiesEveryComponentAndChangesOnlyThoseNamed() {
        OperatorConfig config = OperatorConfig.fromEnv(Map.of("WATCH_NAMESPACES", "shop", "LEADER_ELECTION", "true", "LEASE_NAMESPACE", "ops",
                "SERVICE_CIDRS", "172.20.0.0/16"));
        assertThat(config.with(c -> {})).isEqualTo(config);
        OperatorConfig changed = config.with(c -> {
            c.recheckInterval = Duration.ofMillis(500);
            c.exitOnLostLeadership = false;
        });
        assertThat(changed).isEqualTo(new OperatorConfig(config.watchNamespaces(), true, 8080, 8081, "http://localhost:8080", 60, true, "ops",
                Duration.ofMillis(500), 8, false, config.tenancy(), config.rollouts()));
        WebhookSettings webhook = WebhookSettings.defaults();
        assertThat(webhook.with(s -> {})).isEqualTo(webhook);
        assertThat(webhook.with(s -> s.bindAddress = "127.0.0.1").bindAddress()).isEqualTo("127.0.0.1");
        SqsSettings sqs = SqsSettings.fromEnv(Map.of("AWS_STS_ENDPOINT", "https://sts.example.com"));
        assertThat(sqs.with(s -> {})).isEqualTo(sqs);
        assertThat(sqs.with(s -> s.pollThreads = 2)).isEqualTo(new SqsSettings(2, 4, 100, Duration.ofSeconds(1), Duration.ofSeconds(60),
                Duration.ofSeconds(1), URI.create("https://sts.example.com")));
    }

    /** The catalogue is complete and each entry is named after its variable: nothing declared outside ALL. */
    @Test
    void everySettingConstantIsInTheCatalogueUnderItsOwnName() throws IllegalAccessException {
        List<String> names = Settings.ALL.stream().map(Setting::env).toList();
        assertThat(names).doesNotHaveDuplicates();
        for (Field f : Settings.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != Setting.class) continue;
            assertThat(Modifier.isPublic(f.getModifiers())).as(f.getName()).isTrue();
            Setting<?> setting = (Setting<?>) f.get(null);
            assertThat(setting.env()).isEqualTo(f.getName());
            assertThat(Settings.ALL).as("Settings.ALL has %s", f.getName()).contains(setting);
        }
        assertThat(Arrays.stream(Settings.class.getDeclaredFields()).filter(f -> f.getType() == Setting.class)).hasSameSizeAs(names);
    }
}
