package dev.triggers.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.triggers.operator.config.Setting;
import dev.triggers.operator.config.Settings;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.source.sqs.SqsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The chart, linted and rendered by a real Helm (helm-java), its output parsed and checked. */
class HelmChartTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path CHART = ROOT.resolve("helm/trigger-operator");
    static final Path CHART_CRDS = CHART.resolve("files/crds");
    static final String NS = "trigger-system";
    static final String RELEASE = "triggers";
    static final String FULLNAME = "triggers-trigger-operator";
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Exactly what the operator uses where Triggers live, as "group/resource: verbs". */
    static final Set<String> TRIGGER_NAMESPACE_RULES = Set.of(
            "triggers.dev/triggers: get,list,watch,patch",
            "triggers.dev/triggers/status: patch",
            "triggers.dev/triggergrants: get,list,watch",
            "core/serviceaccounts/token: create",
            "apps/deployments: get,list,patch",
            "apps/statefulsets: get,list,patch",
            "apps/daemonsets: get,list,patch",
            "autoscaling/horizontalpodautoscalers: get,list,patch",
            "argoproj.io/rollouts: get,patch",
            "core/secrets: get,create,update",
            "core/events: create,patch");
    static final Set<String> LEADER_ELECTION_RULES = Set.of(
            "coordination.k8s.io/leases: create",
            "coordination.k8s.io/leases[trigger-operator-leader]: get,update,patch");

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void defaultValuesInstallForAllNamespacesWithAClusterRoleAndTwoReplicasUnderLeaderElection() {
        List<JsonNode> docs = render(t -> t);

        assertThat(kinds(docs)).containsExactlyInAnyOrder("ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                "Role", "RoleBinding", "Deployment", "Service", "Service", "PodDisruptionBudget");
        assertThat(rules(one(docs, "ClusterRole", FULLNAME))).isEqualTo(TRIGGER_NAMESPACE_RULES);
        JsonNode leaseRole = one(docs, "Role", FULLNAME + "-leader-election");
        assertThat(leaseRole.at("/metadata/namespace").asText()).isEqualTo(NS);
        assertThat(rules(leaseRole)).isEqualTo(LEADER_ELECTION_RULES);
        assertBoundToServiceAccount(one(docs, "ClusterRoleBinding", FULLNAME), "ClusterRole", FULLNAME);
        assertBoundToServiceAccount(one(docs, "RoleBinding", FULLNAME + "-leader-election"), "Role", FULLNAME + "-leader-election");

        JsonNode deployment = one(docs, "Deployment", FULLNAME);
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        JsonNode pod = deployment.at("/spec/template/spec");
        assertThat(pod.at("/serviceAccountName").asText()).isEqualTo(FULLNAME);
        JsonNode container = pod.at("/containers/0");
        assertThat(container.at("/image").asText()).isEqualTo("ghcr.io/triggers-dev/trigger-operator:" + projectVersion());
        Map<String, String> env = env(container);
        assertThat(env).containsEntry("LEADER_ELECTION", "true")
                .containsEntry("WATCH_NAMESPACES", "")
                .containsEntry("ALLOW_CROSS_NAMESPACE_TARGETS", "true")
                .containsEntry("WEBHOOK_PORT", "8080")
                .containsEntry("METRICS_PORT", "8081")
                .containsEntry("WEBHOOK_RATE_LIMIT_PER_MINUTE", "60")
                .containsEntry("WEBHOOK_SECRET_RECHECK_SECONDS", "60")
                .containsEntry("WEBHOOK_BASE_URL", "http://" + FULLNAME + "-webhook." + NS + ".svc")
                .containsEntry("LOG_LEVEL", "INFO")
                .containsEntry("LOG_FORMAT", "text")
                .containsEntry("RECHECK_SECONDS", "10")
                .containsEntry("FIRE_THREADS", "8");
        assertThat(container.at("/env").findValuesAsText("fieldPath")).containsExactly("metadata.namespace", "metadata.name");

        // Probes on the metrics port: liveness /healthz, readiness /readyz.
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("metrics");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
        assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("metrics");
        assertThat(container.at("/ports").findValuesAsText("name")).containsExactly("webhook", "metrics");

        // Security context: non-root, read-only root filesystem (a writable /tmp), no escalation, no capabilities, seccomp.
        JsonNode security = container.at("/securityContext");
        assertThat(security.at("/runAsNonRoot").asBoolean()).isTrue();
        assertThat(security.at("/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(security.at("/allowPrivilegeEscalation").isBoolean()).isTrue();
        assertThat(security.at("/allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(texts(security.at("/capabilities/drop"))).containsExactly("ALL");
        assertThat(security.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isPositive();
        assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        assertThat(container.at("/volumeMounts/0/mountPath").asText()).isEqualTo("/tmp");
        assertThat(pod.at("/volumes/0/emptyDir").isObject()).isTrue();

        // The webhook and metrics Services reach the named container ports.
        assertThat(one(docs, "Service", FULLNAME + "-webhook").at("/spec/ports/0/targetPort").asText()).isEqualTo("webhook");
        assertThat(one(docs, "Service", FULLNAME + "-metrics").at("/spec/ports/0/targetPort").asText()).isEqualTo("metrics");
        assertThat(one(docs, "PodDisruptionBudget", FULLNAME).at("/spec/minAvailable").asInt()).isEqualTo(1);
    }

    @Test
    void aListOfWatchedNamespacesGetsRolesThereAndNoClusterRole() {
        List<JsonNode> docs = render(t -> t.set("watchNamespaces[0]", "shop").set("watchNamespaces[1]", "payments"));

        assertThat(kinds(docs)).doesNotContain("ClusterRole", "ClusterRoleBinding");
        List<JsonNode> roles = all(docs, "Role").stream().filter(r -> r.at("/metadata/name").asText().equals(FULLNAME)).toList();
        assertThat(roles).extracting(r -> r.at("/metadata/namespace").asText()).containsExactlyInAnyOrder("shop", "payments");
        roles.forEach(role -> assertThat(rules(role)).isEqualTo(TRIGGER_NAMESPACE_RULES));
        List<JsonNode> bindings = all(docs, "RoleBinding").stream().filter(r -> r.at("/metadata/name").asText().equals(FULLNAME)).toList();
        assertThat(bindings).extracting(b -> b.at("/metadata/namespace").asText()).containsExactlyInAnyOrder("shop", "payments");
        bindings.forEach(b -> assertBoundToServiceAccount(b, "Role", FULLNAME));
        // The Lease stays in the operator's own namespace.
        assertThat(rules(one(docs, "Role", FULLNAME + "-leader-election"))).isEqualTo(LEADER_ELECTION_RULES);
        assertThat(one(docs, "Role", FULLNAME + "-leader-election").at("/metadata/namespace").asText()).isEqualTo(NS);

        assertThat(env(one(docs, "Deployment", FULLNAME).at("/spec/template/spec/containers/0")))
                .containsEntry("WATCH_NAMESPACES", "shop,payments");
    }

    /**
     * The webhook server faces the internet from the operator's JVM: nothing in the chart may let it read every
     * Secret. No rule grants list or watch (or "*") on secrets (or on "*" resources of the core group), in
     * either mode.
     */
    @Test
    void noRuleListsOrWatchesSecretsInEitherMode() {
        for (List<JsonNode> docs : List.of(render(t -> t), render(t -> t.set("watchNamespaces[0]", "shop").set("watchNamespaces[1]", "payments")))) {
            List<JsonNode> roles = docs.stream().filter(d -> Set.of("Role", "ClusterRole").contains(d.get("kind").asText())).toList();
            assertThat(roles).isNotEmpty();
            for (JsonNode role : roles) {
                for (JsonNode rule : role.get("rules")) {
                    List<String> groups = texts(rule.get("apiGroups"));
                    List<String> resources = texts(rule.get("resources"));
                    List<String> verbs = texts(rule.get("verbs"));
                    boolean secrets = (groups.contains("") || groups.contains("*")) && (resources.contains("secrets") || resources.contains("*"));
                    if (!secrets) continue;
                    assertThat(verbs).as("%s %s: %s", role.get("kind").asText(), role.at("/metadata/name").asText(), rule)
                            .doesNotContain("list", "watch", "*");
                }
            }
        }
    }

    @Test
    void networkPolicyOnlyWhenEnabledLetsInTheIngressControllerToWebhooksAndMonitoringToMetricsOnly() {
        assertThat(kinds(render(t -> t))).doesNotContain("NetworkPolicy");

        List<JsonNode> docs = render(t -> t.set("networkPolicy.enabled", "true")
                .set("networkPolicy.webhook.podSelector.matchLabels.app\\.kubernetes\\.io/name", "ingress-nginx"));
        JsonNode policy = one(docs, "NetworkPolicy", FULLNAME);
        // It selects exactly the operator's pods.
        JsonNode podLabels = one(docs, "Deployment", FULLNAME).at("/spec/template/metadata/labels");
        policy.at("/spec/podSelector/matchLabels").fields().forEachRemaining(l ->
                assertThat(podLabels.get(l.getKey()).asText()).isEqualTo(l.getValue().asText()));
        assertThat(policy.at("/spec/podSelector/matchLabels").size()).isPositive();
        // Inbound only: egress (API server, SQS, NATS) is not restricted.
        assertThat(texts(policy.at("/spec/policyTypes"))).containsExactly("Ingress");

        JsonNode ingress = policy.at("/spec/ingress");
        assertThat(ingress.size()).isEqualTo(2);
        JsonNode webhook = ingress.get(0);
        assertThat(webhook.at("/ports").size()).isEqualTo(1);
        assertThat(webhook.at("/ports/0/port").asInt()).isEqualTo(8080);
        assertThat(webhook.at("/from").size()).isEqualTo(1);
        assertThat(webhook.at("/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asText()).isEqualTo("ingress-nginx");
        assertThat(webhook.at("/from/0/podSelector/matchLabels/app.kubernetes.io~1name").asText()).isEqualTo("ingress-nginx");
        JsonNode metrics = ingress.get(1);
        assertThat(metrics.at("/ports").size()).isEqualTo(1);
        assertThat(metrics.at("/ports/0/port").asInt()).isEqualTo(8081);
        assertThat(metrics.at("/from").size()).isEqualTo(1);
        assertThat(metrics.at("/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asText()).isEqualTo("monitoring");
        assertThat(metrics.at("/from/0").has("podSelector")).as("empty podSelector: every pod of the namespace").isFalse();
        // Every rule names a port and a source: nothing is open to all.
        ingress.forEach(rule -> {
            assertThat(rule.has("ports") && rule.get("ports").size() > 0).isTrue();
            assertThat(rule.has("from") && rule.get("from").size() > 0).isTrue();
            rule.get("from").forEach(peer -> assertThat(peer.size()).isPositive());
        });

        // The ports follow the values.
        JsonNode moved = one(render(t -> t.set("networkPolicy.enabled", "true").set("webhook.port", "9443").set("metrics.port", "9090")),
                "NetworkPolicy", FULLNAME);
        assertThat(moved.at("/spec/ingress/0/ports/0/port").asInt()).isEqualTo(9443);
        assertThat(moved.at("/spec/ingress/1/ports/0/port").asInt()).isEqualTo(9090);
    }

    @Test
    void serviceMonitorOnlyWhenEnabled() {
        assertThat(kinds(render(t -> t))).doesNotContain("ServiceMonitor");

        List<JsonNode> docs = render(t -> t.set("metrics.serviceMonitor.enabled", "true").set("metrics.serviceMonitor.labels.release", "prom"));
        JsonNode monitor = one(docs, "ServiceMonitor", FULLNAME);
        assertThat(monitor.at("/apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.at("/metadata/labels/release").asText()).isEqualTo("prom");
        assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo("metrics");
        assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
        // It selects the metrics Service, not the webhook one.
        JsonNode metricsService = one(docs, "Service", FULLNAME + "-metrics");
        monitor.at("/spec/selector/matchLabels").fields().forEachRemaining(label ->
                assertThat(metricsService.at("/metadata/labels/" + label.getKey().replace("/", "~1")).asText()).isEqualTo(label.getValue().asText()));
        assertThat(one(docs, "Service", FULLNAME + "-webhook").at("/metadata/labels/app.kubernetes.io~1component").asText()).isEqualTo("webhook");
    }

    @Test
    void ingressExposesOnlyTheHookPathAndSetsThePublicBaseUrl() {
        List<JsonNode> docs = render(t -> t.set("webhook.ingress.enabled", "true").set("webhook.ingress.host", "hooks.example.com")
                .set("webhook.ingress.tls[0].secretName", "hooks-tls").set("webhook.ingress.tls[0].hosts[0]", "hooks.example.com"));
        JsonNode ingress = one(docs, "Ingress", FULLNAME + "-webhook");
        assertThat(ingress.at("/spec/rules/0/host").asText()).isEqualTo("hooks.example.com");
        assertThat(ingress.at("/spec/rules/0/http/paths").size()).isEqualTo(1);
        assertThat(ingress.at("/spec/rules/0/http/paths/0/path").asText()).isEqualTo("/hooks/");
        assertThat(ingress.at("/spec/rules/0/http/paths/0/backend/service/name").asText()).isEqualTo(FULLNAME + "-webhook");
        assertThat(env(one(docs, "Deployment", FULLNAME).at("/spec/template/spec/containers/0")))
                .containsEntry("WEBHOOK_BASE_URL", "https://hooks.example.com");

        assertThat(env(one(render(t -> t.set("webhook.service.port", "8080")), "Deployment", FULLNAME).at("/spec/template/spec/containers/0")))
                .containsEntry("WEBHOOK_BASE_URL", "http://" + FULLNAME + "-webhook." + NS + ".svc:8080");
        List<JsonNode> explicit = render(t -> t.set("webhook.publicBaseUrl", "https://triggers.example.org/"));
        assertThat(kinds(explicit)).doesNotContain("Ingress");
        assertThat(env(one(explicit, "Deployment", FULLNAME).at("/spec/template/spec/containers/0")))
                .containsEntry("WEBHOOK_BASE_URL", "https://triggers.example.org");
    }

    @Test
    void severalReplicasWithoutLeaderElectionAreRefused() {
        assertThatThrownBy(() -> render(t -> t.set("leaderElection.enabled", "false")))
                .hasMessageContaining("needs leaderElection.enabled=true");
        List<JsonNode> single = render(t -> t.set("leaderElection.enabled", "false").set("replicaCount", "1"));
        assertThat(kinds(single)).doesNotContain("PodDisruptionBudget");
        assertThat(all(single, "Role")).isEmpty();
        assertThat(env(one(single, "Deployment", FULLNAME).at("/spec/template/spec/containers/0"))).containsEntry("LEADER_ELECTION", "false");
    }

    @Test
    void tenancyValuesBecomeTheOperatorsPolicy() {
        Map<String, String> defaults = env(one(render(t -> t), "Deployment", FULLNAME).at("/spec/template/spec/containers/0"));
        assertThat(defaults).containsEntry("AWS_IDENTITY_NAMESPACES", "").containsEntry("SQS_ALLOWED_ENDPOINTS", "")
                .containsEntry("ALLOWED_PRIVATE_NETWORKS", "").containsEntry("SERVICE_CIDRS", "10.96.0.0/12").doesNotContainKey("AWS_STS_ENDPOINT");
        Map<String, String> set = env(one(render(t -> t.set("tenancy.awsIdentityNamespaces[0]", "ops").set("tenancy.awsIdentityNamespaces[1]", "shop")
                .set("tenancy.sqsAllowedEndpoints[0]", "*.vpce.amazonaws.com").set("tenancy.allowedPrivateNetworks[0]", "10.100.0.0/16")
                .set("tenancy.serviceCIDRs[0]", "172.20.0.0/16").set("tenancy.awsStsEndpoint", "https://sts.eu-west-1.amazonaws.com")),
                "Deployment", FULLNAME).at("/spec/template/spec/containers/0"));
        assertThat(set).containsEntry("AWS_IDENTITY_NAMESPACES", "ops,shop").containsEntry("SQS_ALLOWED_ENDPOINTS", "*.vpce.amazonaws.com")
                .containsEntry("ALLOWED_PRIVATE_NETWORKS", "10.100.0.0/16").containsEntry("SERVICE_CIDRS", "172.20.0.0/16")
                .containsEntry("AWS_STS_ENDPOINT", "https://sts.eu-west-1.amazonaws.com");
        // What the operator makes of them.
        TenantPolicy policy = TenantPolicy.fromEnv(set::get);
        assertThat(policy.mayUseOperatorAwsIdentity("shop")).isTrue();
        assertThat(policy.mayUseOperatorAwsIdentity("web")).isFalse();
        assertThat(SqsSettings.fromEnv(set).stsEndpoint()).hasToString("https://sts.eu-west-1.amazonaws.com");
    }

    /** For each setting with a chart value: values that set it, and the variable's value they render. */
    record Sample(Map<String, String> values, String env) {}

    static final Map<String, Sample> SAMPLES = Map.ofEntries(
            Map.entry("WATCH_NAMESPACES", new Sample(Map.of("watchNamespaces[0]", "shop", "watchNamespaces[1]", "payments"), "shop,payments")),
            Map.entry("ALLOW_CROSS_NAMESPACE_TARGETS", new Sample(Map.of("allowCrossNamespaceTargets", "false"), "false")),
            Map.entry("LEADER_ELECTION", new Sample(Map.of("leaderElection.enabled", "false", "replicaCount", "1"), "false")),
            Map.entry("RECHECK_SECONDS", new Sample(Map.of("recheckSeconds", "30"), "30")),
            Map.entry("FIRE_THREADS", new Sample(Map.of("fireThreads", "4"), "4")),
            Map.entry("METRICS_PORT", new Sample(Map.of("metrics.port", "9090"), "9090")),
            Map.entry("WEBHOOK_PORT", new Sample(Map.of("webhook.port", "9443"), "9443")),
            Map.entry("WEBHOOK_BASE_URL", new Sample(Map.of("webhook.publicBaseUrl", "https://hooks.example.org"), "https://hooks.example.org")),
            Map.entry("WEBHOOK_RATE_LIMIT_PER_MINUTE", new Sample(Map.of("webhook.rateLimitPerMinute", "120"), "120")),
            Map.entry("WEBHOOK_SECRET_RECHECK_SECONDS", new Sample(Map.of("webhook.secretRecheckSeconds", "30"), "30")),
            Map.entry("AWS_IDENTITY_NAMESPACES", new Sample(Map.of("tenancy.awsIdentityNamespaces[0]", "ops", "tenancy.awsIdentityNamespaces[1]", "shop"), "ops,shop")),
            Map.entry("SQS_ALLOWED_ENDPOINTS", new Sample(Map.of("tenancy.sqsAllowedEndpoints[0]", "*.vpce.amazonaws.com"), "*.vpce.amazonaws.com")),
            Map.entry("ALLOWED_PRIVATE_NETWORKS", new Sample(Map.of("tenancy.allowedPrivateNetworks[0]", "10.100.0.0/16"), "10.100.0.0/16")),
            Map.entry("SERVICE_CIDRS", new Sample(Map.of("tenancy.serviceCIDRs[0]", "172.20.0.0/16"), "172.20.0.0/16")),
            Map.entry("AWS_STS_ENDPOINT", new Sample(Map.of("tenancy.awsStsEndpoint", "https://sts.eu-west-1.amazonaws.com"), "https://sts.eu-west-1.amazonaws.com")),
            Map.entry("LOG_LEVEL", new Sample(Map.of("logging.level", "DEBUG"), "DEBUG")),
            Map.entry("LOG_FORMAT", new Sample(Map.of("logging.format", "json"), "json")));

    /**
     * The chart and the settings catalogue agree: each setting with a chart value is set from that value and
     * from nothing else, the chart sets no variable the operator does not read (but the JVM's own), and the
     * operator accepts every variable the chart renders, with its defaults and with every documented option.
     */
    @Test
    void everySettingWithAChartValueIsSetFromThatValue() {
        JsonNode container = one(render(t -> t), "Deployment", FULLNAME).at("/spec/template/spec/containers/0");
        Map<String, String> defaults = env(container);
        Set<String> settings = Settings.ALL.stream().map(Setting::env).collect(Collectors.toSet());
        List<String> rendered = new ArrayList<>();
        container.get("env").forEach(e -> rendered.add(e.get("name").asText()));
        assertThat(rendered).as("variables the chart sets").filteredOn(n -> !n.equals("JAVA_TOOL_OPTIONS")).allMatch(settings::contains);
        Settings.check(defaults::get);
        Settings.check(env(one(render(t -> t.withValuesFile(ChartValuesSchemaTest.ALL_OPTIONS)), "Deployment", "triggers")
                .at("/spec/template/spec/containers/0"))::get);

        List<Setting<?>> charted = Settings.ALL.stream().filter(s -> s.chartValue() != null).toList();
        assertThat(SAMPLES.keySet()).as("a sample for each setting with a chart value")
                .isEqualTo(charted.stream().map(Setting::env).collect(Collectors.toSet()));
        for (Setting<?> setting : charted) {
            Sample sample = SAMPLES.get(setting.env());
            assertThat(sample.values().keySet()).as("%s's sample sets %s", setting.env(), setting.chartValue())
                    .anyMatch(k -> k.equals(setting.chartValue()) || k.startsWith(setting.chartValue() + "["));
            Map<String, String> env = env(one(render(t -> {
                sample.values().forEach(t::set);
                return t;
            }), "Deployment", FULLNAME).at("/spec/template/spec/containers/0"));
            assertThat(env.get(setting.env())).as("%s from %s", setting.env(), sample.values()).isEqualTo(sample.env());
            Map<String, String> others = new LinkedHashMap<>(env);
            Map<String, String> before = new LinkedHashMap<>(defaults);
            others.remove(setting.env());
            before.remove(setting.env());
            assertThat(others).as("only %s changes with %s", setting.env(), sample.values()).isEqualTo(before);
            Settings.check(env::get);
        }
    }

    /** The chart templates the CRDs from files/crds/, a byte-for-byte copy of the generated top-level crds/. */
    @Test
    void chartCrdsAreTheTopLevelCrds() throws IOException {
        List<String> top = fileNames(ROOT.resolve("crds"));
        assertThat(top).containsExactly("triggergrants.triggers.dev-v1.yml", "triggers.triggers.dev-v1.yml");
        assertThat(fileNames(CHART_CRDS)).isEqualTo(top);
        for (String name : top) {
            assertThat(Files.mismatch(ROOT.resolve("crds").resolve(name), CHART_CRDS.resolve(name)))
                    .as("helm/trigger-operator/files/crds/%s differs from crds/%s: run mvn process-classes", name, name).isEqualTo(-1L);
        }
        // Helm's special crds/ directory would install them a second time, and never upgrade them.
        assertThat(CHART.resolve("crds")).doesNotExist();
    }

    static final java.util.Comparator<JsonNode> SAME_NUMBER = (a, b) -> a.isNumber() && b.isNumber()
            ? Double.compare(a.doubleValue(), b.doubleValue()) : (a.equals(b) ? 0 : 1);

    /** The rendered CRDs are the generated ones plus the release's labels and, by default, resource-policy keep. */
    @Test
    void crdsAreRenderedFromTheGeneratedFilesAndKeptOnUninstall() throws IOException {
        List<JsonNode> crds = all(render(t -> t), "CustomResourceDefinition");
        assertThat(crds).extracting(c -> c.at("/metadata/name").asText())
                .containsExactlyInAnyOrder("triggers.triggers.dev", "triggergrants.triggers.dev");
        for (JsonNode crd : crds) {
            String name = crd.at("/metadata/name").asText();
            assertThat(crd.at("/metadata/annotations/helm.sh~1resource-policy").asText()).as(name).isEqualTo("keep");
            assertThat(crd.at("/metadata/labels/app.kubernetes.io~1managed-by").asText()).as(name).isEqualTo("Helm");
            JsonNode generated = YAML.readTree(ROOT.resolve("crds").resolve(name + "-v1.yml").toFile());
            JsonNode rendered = crd.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) rendered.get("metadata")).remove(List.of("labels", "annotations"));
            // Helm's fromYaml/toYaml turns 10000.0 into 10000: the same JSON number for the API server.
            assertThat(rendered.equals(SAME_NUMBER, generated)).as("%s rendered differs from crds/%s-v1.yml:%n%s", name, name, rendered).isTrue();
        }
        assertThat(all(render(t -> t.set("crds.keep", "false")), "CustomResourceDefinition"))
                .hasSize(2).allSatisfy(c -> assertThat(c.at("/metadata/annotations").has("helm.sh/resource-policy")).isFalse());
        assertThat(all(render(t -> t.set("crds.install", "false")), "CustomResourceDefinition")).isEmpty();
    }

    @Test
    void appVersionIsTheProjectVersion() throws IOException {
        JsonNode chart = YAML.readTree(CHART.resolve("Chart.yaml").toFile());
        assertThat(chart.at("/appVersion").asText()).isEqualTo(projectVersion());
    }

    /** Every value has a comment: on its own line above it, or on the block it belongs to. */
    @Test
    void everyValueIsCommented() throws IOException {
        List<String> undocumented = new ArrayList<>();
        List<String> lines = Files.readAllLines(CHART.resolve("values.yaml"));
        // (indent, documented) of the enclosing keys
        List<int[]> stack = new ArrayList<>();
        Pattern key = Pattern.compile("^( *)([A-Za-z0-9_.-]+):(.*)$");
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = key.matcher(lines.get(i));
            if (!m.matches()) continue;
            int indent = m.group(1).length();
            while (!stack.isEmpty() && stack.get(stack.size() - 1)[0] >= indent) stack.remove(stack.size() - 1);
            boolean commented = i > 0 && lines.get(i - 1).trim().startsWith("#") || m.group(3).contains(" # ");
            boolean inherited = stack.stream().anyMatch(s -> s[1] == 1);
            boolean leaf = !m.group(3).isBlank();
            if (leaf && !commented && !inherited) undocumented.add(lines.get(i).trim());
            stack.add(new int[] {indent, commented || inherited ? 1 : 0});
        }
        assertThat(undocumented).as("values.yaml keys without a comment").isEmpty();
    }

    // --- rendering and reading the output

    static List<JsonNode> render(UnaryOperator<TemplateCommand> values) {
        String out = values.apply(new Helm(CHART).template().withName(RELEASE).withNamespace(NS)
                // helm-java renders for Kubernetes v1.20.0 unless told otherwise; the chart needs >= 1.25.
                .withKubeVersion("1.30.0")).call();
        try (var parser = YAML.getFactory().createParser(out)) {
            List<JsonNode> docs = new ArrayList<>();
            YAML.readValues(parser, JsonNode.class).forEachRemaining(d -> {
                if (d != null && d.isObject() && d.has("kind")) docs.add(d);
            });
            return docs;
        } catch (IOException e) {
            throw new AssertionError("helm template output is not YAML:\n" + out, e);
        }
    }

    static List<String> kinds(List<JsonNode> docs) {
        return docs.stream().map(d -> d.get("kind").asText()).filter(k -> !k.equals("CustomResourceDefinition")).toList();
    }

    static List<JsonNode> all(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.get("kind").asText().equals(kind)).toList();
    }

    static JsonNode one(List<JsonNode> docs, String kind, String name) {
        List<JsonNode> found = all(docs, kind).stream().filter(d -> d.at("/metadata/name").asText().equals(name)).toList();
        assertThat(found).as("%s %s", kind, name).hasSize(1);
        return found.get(0);
    }

    /** A role's rules flattened to "group/resource[names]: verbs", one entry per group and resource. */
    static Set<String> rules(JsonNode role) {
        Set<String> rules = new TreeSet<>();
        for (JsonNode rule : role.get("rules")) {
            String names = rule.has("resourceNames") ? "[" + String.join(",", texts(rule.get("resourceNames"))) + "]" : "";
            String verbs = String.join(",", texts(rule.get("verbs")));
            for (String group : texts(rule.get("apiGroups"))) {
                for (String resource : texts(rule.get("resources"))) {
                    String entry = (group.isEmpty() ? "core" : group) + "/" + resource + names + ": " + verbs;
                    assertThat(rules.add(entry)).as("duplicate rule %s", entry).isTrue();
                }
            }
        }
        return rules;
    }

    static void assertBoundToServiceAccount(JsonNode binding, String roleKind, String roleName) {
        assertThat(binding.at("/roleRef/kind").asText()).isEqualTo(roleKind);
        assertThat(binding.at("/roleRef/name").asText()).isEqualTo(roleName);
        assertThat(binding.at("/subjects").size()).isEqualTo(1);
        assertThat(binding.at("/subjects/0/kind").asText()).isEqualTo("ServiceAccount");
        assertThat(binding.at("/subjects/0/name").asText()).isEqualTo(FULLNAME);
        assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo(NS);
    }

    static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.get("env")) {
            if (e.has("value")) env.put(e.get("name").asText(), e.get("value").asText());
        }
        return env;
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** The Maven project version, from the parent pom. */
    static String projectVersion() {
        try {
            String pom = Files.readString(ROOT.resolve("pom.xml"));
            Matcher m = Pattern.compile("<artifactId>trigger-operator-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
            assertThat(m.find()).as("version in pom.xml").isTrue();
            return m.group(1);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
