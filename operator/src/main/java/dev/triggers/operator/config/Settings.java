package dev.triggers.operator.config;

import static dev.triggers.operator.config.Setting.Kind.bool;
import static dev.triggers.operator.config.Setting.Kind.list;
import static dev.triggers.operator.config.Setting.Kind.oneOf;
import static dev.triggers.operator.config.Setting.Kind.seconds;
import static dev.triggers.operator.config.Setting.Kind.text;
import static dev.triggers.operator.config.Setting.Kind.url;
import static dev.triggers.operator.config.Setting.Kind.wholeNumber;
import static dev.triggers.operator.config.Setting.Kind.word;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Every setting the operator reads from its environment, in one place: variable, chart value, default,
 * meaning and accepted values. {@link OperatorConfig}, {@link TenantPolicy}, the webhook and SQS settings
 * read their parts through these; {@link #check} reads them all at start and reports every bad value at
 * once. README's settings table lists exactly these (SettingsReadmeTest), and the chart sets each chart
 * value's variable (HelmChartTest).
 */
public final class Settings {
    private Settings() {}

    /** A Kubernetes namespace name (RFC 1123 label), as the chart's schema has it. */
    private static final String NAMESPACE = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    /** Host names and IP addresses; checked for their characters only (resolving them is for later). */
    private static final String HOST = "[A-Za-z0-9_.:%\\[\\]-]+";
    private static final int MAX = Integer.MAX_VALUE;
    private static final int ONE_DAY = 86_400;

    private static Setting.Kind<List<String>> words(String accepts, String pattern) {
        return list(accepts, s -> {
            if (!s.matches(pattern)) throw new IllegalArgumentException();
            return s;
        });
    }

    // --- what the operator watches, and leadership

    public static final Setting<List<String>> WATCH_NAMESPACES = Setting.of("WATCH_NAMESPACES", "watchNamespaces", "",
            "namespaces whose Triggers are watched, comma-separated; none: all namespaces",
            words("namespace names, comma-separated", NAMESPACE));
    public static final Setting<Boolean> ALLOW_CROSS_NAMESPACE_TARGETS = Setting.of("ALLOW_CROSS_NAMESPACE_TARGETS",
            "allowCrossNamespaceTargets", "true",
            "honour TriggerGrants; `false` refuses every cross-namespace target whatever the grants say", bool());
    public static final Setting<Boolean> LEADER_ELECTION = Setting.of("LEADER_ELECTION", "leaderElection.enabled", "false",
            "elect a leader with a Lease (only the leader reconciles and fires); the chart turns it on", bool());
    public static final Setting<String> LEASE_NAMESPACE = Setting.of("LEASE_NAMESPACE", null, "",
            "namespace of the Lease `" + OperatorConfig.LEASE_NAME + "`; none: the client's namespace (the chart sets the pod's)",
            word("a namespace name", NAMESPACE));
    public static final Setting<String> POD_NAME = Setting.of("POD_NAME", null, "",
            "the Lease holder's name (plus a random suffix); none: `HOSTNAME` (the chart sets the pod's name)", text("any text"));
    public static final Setting<Duration> RECHECK_SECONDS = Setting.of("RECHECK_SECONDS", "recheckSeconds", "10",
            "how often a Trigger whose target or source is not ready is looked at again", seconds(1, MAX));
    public static final Setting<Integer> FIRE_THREADS = Setting.of("FIRE_THREADS", "fireThreads", "8",
            "threads that patch targets (fires of one Trigger never run in parallel)", wholeNumber(1, MAX));
    public static final Setting<Integer> METRICS_PORT = Setting.of("METRICS_PORT", "metrics.port", "8081",
            "port of `/metrics`, `/healthz` and `/readyz` (never exposed with the webhooks)", wholeNumber(1, 65535));

    public static final Setting<Boolean> FOLLOW_ROLLOUTS = Setting.of("FOLLOW_ROLLOUTS", null, "true",
            "follow each fire's rollout to its end (`status.lastRollout`); `false`: a fire ends at its patch and no event waits for a rollout",
            bool());
    public static final Setting<Integer> ROLLOUTS_FOLLOWED_PER_NAMESPACE = Setting.of("ROLLOUTS_FOLLOWED_PER_NAMESPACE", null, "200",
            "workloads whose rollouts are followed at once for the Triggers of one namespace; more are `NotFollowed`", wholeNumber(1, MAX));
    public static final Setting<Integer> ROLLOUTS_FOLLOWED_MAX = Setting.of("ROLLOUTS_FOLLOWED_MAX", null, "5000",
            "workloads whose rollouts are followed at once in all; more are `NotFollowed`", wholeNumber(1, MAX));

    // --- webhooks

    public static final Setting<Integer> WEBHOOK_PORT = Setting.of("WEBHOOK_PORT", "webhook.port", "8080",
            "port of the webhook server (`POST /hooks/{namespace}/{name}`)", wholeNumber(1, 65535));
    public static final Setting<String> WEBHOOK_BIND_ADDRESS = Setting.of("WEBHOOK_BIND_ADDRESS", null, "0.0.0.0",
            "address the webhook server listens on; `0.0.0.0`: every interface", word("an IP address or a host name", HOST));
    public static final Setting<URI> WEBHOOK_BASE_URL = Setting.of("WEBHOOK_BASE_URL", "webhook.publicBaseUrl", "http://localhost:8080",
            "public base URL that `status.url` is built on; the chart's default: the Ingress host, else the in-cluster Service URL",
            url("https://hooks.example.com"));
    public static final Setting<Integer> WEBHOOK_RATE_LIMIT_PER_MINUTE = Setting.of("WEBHOOK_RATE_LIMIT_PER_MINUTE",
            "webhook.rateLimitPerMinute", "60",
            "accepted webhook calls per minute per Trigger whose spec sets no `rateLimitPerMinute`; more answer 429", wholeNumber(1, MAX));
    public static final Setting<Duration> WEBHOOK_SECRET_RECHECK_SECONDS = Setting.of("WEBHOOK_SECRET_RECHECK_SECONDS",
            "webhook.secretRecheckSeconds", "60",
            "how often the leader GETs each webhook Trigger's token Secret: deleting it revokes its token within this", seconds(1, MAX));
    public static final Setting<Duration> WEBHOOK_ROTATION_GRACE_SECONDS = Setting.of("WEBHOOK_ROTATION_GRACE_SECONDS", null, "3600",
            "how long the previous token keeps working after a rotation", seconds(0, MAX));
    public static final Setting<Integer> WEBHOOK_FIRE_ATTEMPTS = Setting.of("WEBHOOK_FIRE_ATTEMPTS", null, "8",
            "attempts in all for an accepted webhook event whose fire fails (the delay doubles from 1 s up to 2 min)", wholeNumber(1, MAX));
    public static final Setting<Integer> WEBHOOK_FAILED_CALLS_PER_MINUTE = Setting.of("WEBHOOK_FAILED_CALLS_PER_MINUTE", null, "120",
            "refused calls (wrong token, unknown Trigger) one client address may make per minute; more answer 429 instead of 404",
            wholeNumber(1, MAX));
    public static final Setting<Integer> WEBHOOK_THREADS = Setting.of("WEBHOOK_THREADS", null, "16",
            "threads for hand-overs to the leader (one PATCH each), signing-Secret reads and filters", wholeNumber(1, MAX));
    public static final Setting<Integer> WEBHOOK_IO_THREADS = new Setting<>("WEBHOOK_IO_THREADS", null, "the number of CPUs",
            () -> String.valueOf(Runtime.getRuntime().availableProcessors()),
            "the webhook server's non-blocking I/O threads", wholeNumber(1, MAX));
    public static final Setting<Duration> WEBHOOK_HEADER_TIMEOUT_SECONDS = Setting.of("WEBHOOK_HEADER_TIMEOUT_SECONDS", null, "5",
            "a request's line and headers must arrive within this, else the connection is closed", seconds(1, ONE_DAY));
    public static final Setting<Duration> WEBHOOK_BODY_TIMEOUT_SECONDS = Setting.of("WEBHOOK_BODY_TIMEOUT_SECONDS", null, "10",
            "a body (of a call with the right token) must arrive within this", seconds(1, ONE_DAY));
    public static final Setting<Duration> WEBHOOK_IDLE_TIMEOUT_SECONDS = Setting.of("WEBHOOK_IDLE_TIMEOUT_SECONDS", null, "30",
            "a connection with no request under way is closed after this", seconds(1, ONE_DAY));
    public static final Setting<Integer> WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS = Setting.of("WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS", null, "1024",
            "open connections one client address may hold; more are closed as soon as accepted", wholeNumber(1, MAX));

    // --- what tenants may reach (the chart's tenancy values)

    public static final Setting<List<String>> AWS_IDENTITY_NAMESPACES = Setting.of("AWS_IDENTITY_NAMESPACES",
            "tenancy.awsIdentityNamespaces", "",
            "namespaces whose SQS Triggers may use the operator's own AWS identity, comma-separated; `*`: all",
            words("namespace names or *, comma-separated", NAMESPACE + "|\\*"));
    public static final Setting<List<String>> SQS_ALLOWED_ENDPOINTS = Setting.of("SQS_ALLOWED_ENDPOINTS", "tenancy.sqsAllowedEndpoints", "",
            "hosts an SQS `endpoint` may name besides AWS's own: host names or `*.suffix`, comma-separated",
            words("host names, *.suffix or *, comma-separated", "\\*|(\\*\\.)?" + HOST));
    public static final Setting<List<String>> ALLOWED_PRIVATE_NETWORKS = Setting.of("ALLOWED_PRIVATE_NETWORKS",
            "tenancy.allowedPrivateNetworks", "",
            "loopback, link-local or Service-range addresses tenants may reach anyway: CIDRs or host names, comma-separated",
            list("CIDRs such as 10.96.0.0/12 or host names, comma-separated", s -> {
                if (s.contains("/")) TenantPolicy.Cidr.parse(s);
                else if (!s.matches(HOST)) throw new IllegalArgumentException();
                return s;
            }));
    public static final Setting<List<TenantPolicy.Cidr>> SERVICE_CIDRS = Setting.of("SERVICE_CIDRS", "tenancy.serviceCIDRs", "10.96.0.0/12",
            "the cluster's Service IP ranges, comma-separated: refused as endpoints unless allowed",
            list("CIDRs such as 10.96.0.0/12, comma-separated", TenantPolicy.Cidr::parse));
    public static final Setting<URI> AWS_STS_ENDPOINT = Setting.of("AWS_STS_ENDPOINT", "tenancy.awsStsEndpoint", "",
            "STS endpoint for SQS Triggers with `roleArn`; none: AWS's regional endpoint of the queue's region",
            url("https://sts.eu-west-1.amazonaws.com"));

    // --- SQS

    public static final Setting<Integer> SQS_POLL_THREADS = Setting.of("SQS_POLL_THREADS", null, "64",
            "threads that long-poll, shared by every SQS Trigger (with more Triggers each wait is shortened)", wholeNumber(1, MAX));
    public static final Setting<Integer> SQS_ACK_THREADS = Setting.of("SQS_ACK_THREADS", null, "4",
            "threads for SQS deletes and visibility changes", wholeNumber(1, MAX));
    public static final Setting<Integer> SQS_MAX_IN_FLIGHT = Setting.of("SQS_MAX_IN_FLIGHT", null, "100",
            "received but not yet deleted messages per Trigger; its poller pauses above it", wholeNumber(1, MAX));
    public static final Setting<Duration> SQS_MAX_BACKOFF_SECONDS = Setting.of("SQS_MAX_BACKOFF_SECONDS", null, "60",
            "longest delay between retries after SQS errors (it doubles from 1 s)", seconds(1, MAX));

    // --- logs (read by logback.xml; checked here so a typo stops the operator instead of silencing it)

    public static final Setting<String> LOG_LEVEL = Setting.of("LOG_LEVEL", "logging.level", "INFO",
            "level of the operator's own logs", oneOf(true, "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "ALL"));
    public static final Setting<String> LOG_FORMAT = Setting.of("LOG_FORMAT", "logging.format", "text",
            "`text` (human-readable) or `json` (one JSON object per line)", oneOf(false, "text", "json"));

    /** Every setting, in README's order. */
    public static final List<Setting<?>> ALL = List.of(
            WATCH_NAMESPACES, ALLOW_CROSS_NAMESPACE_TARGETS, LEADER_ELECTION, LEASE_NAMESPACE, POD_NAME, RECHECK_SECONDS,
            FIRE_THREADS, METRICS_PORT, FOLLOW_ROLLOUTS, ROLLOUTS_FOLLOWED_PER_NAMESPACE, ROLLOUTS_FOLLOWED_MAX,
            WEBHOOK_PORT, WEBHOOK_BIND_ADDRESS, WEBHOOK_BASE_URL, WEBHOOK_RATE_LIMIT_PER_MINUTE, WEBHOOK_SECRET_RECHECK_SECONDS,
            WEBHOOK_ROTATION_GRACE_SECONDS, WEBHOOK_FIRE_ATTEMPTS, WEBHOOK_FAILED_CALLS_PER_MINUTE, WEBHOOK_THREADS,
            WEBHOOK_IO_THREADS, WEBHOOK_HEADER_TIMEOUT_SECONDS, WEBHOOK_BODY_TIMEOUT_SECONDS, WEBHOOK_IDLE_TIMEOUT_SECONDS,
            WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS,
            AWS_IDENTITY_NAMESPACES, SQS_ALLOWED_ENDPOINTS, ALLOWED_PRIVATE_NETWORKS, SERVICE_CIDRS, AWS_STS_ENDPOINT,
            SQS_POLL_THREADS, SQS_ACK_THREADS, SQS_MAX_IN_FLIGHT, SQS_MAX_BACKOFF_SECONDS,
            LOG_LEVEL, LOG_FORMAT);

    /** Reads every setting; throws one BadSettingsException listing each bad value, if any. */
    public static void check(Map<String, String> env) {
        check(env::get);
    }

    public static void check(Function<String, String> env) {
        List<String> problems = new ArrayList<>();
        for (Setting<?> setting : ALL) {
            try {
                setting.read(env);
            } catch (BadSettingsException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) throw new BadSettingsException(problems);
    }
}
