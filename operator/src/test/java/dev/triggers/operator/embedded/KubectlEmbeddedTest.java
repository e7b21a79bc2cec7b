package dev.triggers.operator.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.testing.Manifests;
import dev.triggers.operator.testing.NatsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's first command, then what a newcomer types with a real kubectl 1.31 against the embedded API
 * (the issue "A newcomer's kubectl works"): every command the embedded mode prints, get with the CRD's
 * printer columns, describe with events, a manual fire by annotation, a validating apply of an example,
 * explain, wait.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubectlEmbeddedTest {
    Path dir;
    EmbeddedProcess embedded;
    Kubectl kubectl;
    Path kubeconfig;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        Kubectl.locate(); // fail at once, with the install hint, when kubectl is missing
        kubeconfig = dir.resolve("kubeconfig");
        embedded = EmbeddedProcess.start(dir, "embedded.apiPort=" + NatsServer.freePort(), "embedded.webhookPort=" + NatsServer.freePort(),
                "embedded.metricsPort=" + NatsServer.freePort(), "embedded.kubeconfig=" + kubeconfig).awaitBanner();
        kubectl = new Kubectl(kubeconfig, Files.createDirectories(dir.resolve("kube-cache")));
        // Every example reaches Ready (the operator started after the banner): kubectl wait over the HTTP watch.
        Kubectl.Result ready = kubectl.run("wait", "-n", "demo", "--for=condition=Ready", "trg", "--all", "--timeout=120s");
        assertThat(ready.exitCode()).as("%s", ready).isZero();
        assertThat(ready.out()).contains("trigger.triggers.dev/web-on-release condition met", "trigger.triggers.dev/redeploy-on-sqs condition met");
    }

    @AfterAll
    void stop() throws Exception {
        if (embedded != null) embedded.close();
    }

    @Test
    void everyCommandTheEmbeddedModePrintsWorksWhenPasted() throws Exception {
        String banner = embedded.stdout();
        List<String> commands = banner.lines().map(String::strip)
                .filter(l -> l.startsWith("export KUBECONFIG=") || l.startsWith("kubectl ")).toList();
        assertThat(commands).hasSizeGreaterThanOrEqualTo(4).first().asString().startsWith("export KUBECONFIG=" + kubeconfig.toAbsolutePath());
        String exportLine = commands.get(0);
        for (String command : commands.subList(1, commands.size())) {
            // The shell runs it as pasted after the export line; KUBECONFIG comes from that line only. The fire the
            // annotate line asks for lands a moment later: the line after it is tried again until it shows.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Kubectl.Result result = kubectl.sh(exportLine + "\n" + command, Map.of("KUBECONFIG", "/nonexistent"));
                assertThat(result.exitCode()).as("%s\n%s", command, result).isZero();
                assertThat(result.out()).as(command).isNotBlank();
            });
        }
    }

    @Test
    void getTriggersShowsThePrinterColumns() throws Exception {
        Kubectl.Result get = kubectl.run("get", "trg", "-n", "demo");
        assertThat(get.exitCode()).as("%s", get).isZero();
        List<String> lines = get.out().lines().toList();
        assertThat(lines.get(0).split("\\s{2,}")).containsExactly("NAME", "AGE", "ACTION", "SOURCE", "TARGET", "LAST FIRED", "ROLLOUT", "STATUS");
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("nightly-restart\\s+\\d+[smh]\\S*\\s+Redeploy\\s+Cron\\s+web\\s+Ready\\s*"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("redeploy-on-sqs\\s+\\S+\\s+Redeploy\\s+SQS\\s+web\\s+(\\S+\\s+)?Ready\\s*"));
        assertThat(lines).hasSize(1 + ExamplesTest.EXAMPLES.size());
        // The resources the issue found unmapped.
        for (String resource : List.of("deploy", "ns", "secrets", "sts", "leases", "crd")) {
            Kubectl.Result other = kubectl.run("get", resource, "-A");
            assertThat(other.exitCode()).as("get %s: %s", resource, other).isZero();
        }
        assertThat(kubectl.run("get", "deploy", "-n", "demo").out()).contains("NAME", "READY", "web", "worker");
        assertThat(kubectl.run("get", "ns").out()).contains("demo", "Active");
        assertThat(kubectl.run("get", "trg", "-n", "demo", "-l", "triggers.dev/source-type=SQS", "-o", "name").out().strip())
                .isEqualTo("trigger.triggers.dev/redeploy-on-sqs");
    }

    @Test
    void describeShowsTheStatusAndTheTriggersEvents() throws Exception {
        // A new Trigger's first token is named by its status, without an Event: a fire gives it one.
        Kubectl.Result annotate = kubectl.run("annotate", "trg", "-n", "demo", "restart-shop", "--overwrite",
                "triggers.dev/fire-request=describe-" + System.nanoTime());
        assertThat(annotate.exitCode()).as("%s", annotate).isZero();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Kubectl.Result describe = kubectl.run("describe", "trg", "-n", "demo", "restart-shop");
            assertThat(describe.exitCode()).as("%s", describe).isZero();
            assertThat(describe.out()).contains("Name:", "restart-shop", "Webhook Secret Name:", "restart-shop-webhook", "Events:", "Fired");
            assertThat(describe.out()).doesNotContain("Events:                    <none>");
        });
    }

    @Test
    void annotatingFiresAndTheDeploymentTemplateChanges() throws Exception {
        String value = "kubectl-" + System.nanoTime();
        Kubectl.Result annotate = kubectl.run("annotate", "trg", "-n", "demo", "restart-web", "--overwrite", "triggers.dev/fire-request=" + value);
        assertThat(annotate.exitCode()).as("%s", annotate).isZero();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(kubectl.run("get", "deploy", "web", "-n", "demo", "-o",
                "jsonpath={.spec.template.metadata.annotations.triggers\\.dev/event-id}").out()).isEqualTo(value));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(kubectl.run("get", "events", "-n", "demo").out())
                .containsPattern("Normal\\s+Fired\\s+trigger/restart-web\\s+Fired on manual event " + value));
        // The LAST FIRED column: a date printer column, shown as an age.
        assertThat(kubectl.run("get", "trg", "restart-web", "-n", "demo").out())
                .containsPattern("restart-web\\s+\\S+\\s+Redeploy\\s+Webhook\\s+web\\s+\\d+[smhd]\\S*\\s+Ready");
        assertThat(kubectl.run("get", "events", "-n", "demo").out().lines().findFirst().orElseThrow().split("\\s{2,}"))
                .containsExactly("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
    }

    /** examples/webhook-maintenance-window.yaml's commands, as written there: heldUntil, then fire-now. */
    @Test
    void aHeldEventShowsHeldUntilAndFireNowFiresAtOnce() throws Exception {
        var example = new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal(
                Files.readString(Manifests.examplesDir().resolve("webhook-maintenance-window.yaml")), dev.triggers.operator.api.v1alpha1.Trigger.class);
        java.time.Instant now = java.time.Instant.now();
        java.time.Instant opens = dev.triggers.operator.schedule.MaintenanceWindows.of(example.getSpec().getWindows()).opensAt(now).orElseThrow();
        String request = "held-" + System.nanoTime();
        assertThat(kubectl.run("annotate", "trg", "restart-web-in-window", "-n", "demo", "--overwrite", "triggers.dev/fire-request=" + request)
                .exitCode()).isZero();
        if (opens.isAfter(now.plusSeconds(60))) {
            // Outside the example's windows (nearly always): held until the next one opens.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(kubectl.run("get", "trg", "restart-web-in-window", "-n", "demo",
                    "-o", "jsonpath={.status.heldUntil}").out()).isEqualTo(opens.toString()));
        }
        String value = "now-" + System.nanoTime();
        Kubectl.Result annotate = kubectl.run("annotate", "trg", "restart-web-in-window", "-n", "demo", "--overwrite",
                "triggers.dev/fire-now=" + value);
        assertThat(annotate.exitCode()).as("%s", annotate).isZero();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(kubectl.run("get", "events", "-n", "demo").out())
                .containsPattern("Normal\\s+FireNow\\s+trigger/restart-web-in-window\\s+fire-now override \\(triggers.dev/fire-now: " + value + "\\)"));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(kubectl.run("get", "trg", "restart-web-in-window", "-n", "demo",
                "-o", "jsonpath={.status.lastFireRequest}/{.status.heldUntil}").out()).isEqualTo(value + "/"));
    }

    @Test
    void applyValidatesOnTheServerAndWaitSeesTheNewTriggerReady() throws Exception {
        Path example = Manifests.examplesDir().resolve("webhook-redeploy.yaml");
        assertThat(kubectl.run("delete", "trg", "-n", "demo", "deploy-web").exitCode()).isZero();
        Kubectl.Result apply = kubectl.run("apply", "-f", example.toString());
        assertThat(apply.exitCode()).as("%s", apply).isZero();
        assertThat(apply.out()).contains("trigger.triggers.dev/deploy-web created");
        Kubectl.Result wait = kubectl.run("wait", "-n", "demo", "--for=condition=Ready", "trg/deploy-web", "--timeout=60s");
        assertThat(wait.exitCode()).as("%s", wait).isZero();
        assertThat(wait.out()).contains("condition met");

        Path typo = dir.resolve("typo.yaml");
        Files.writeString(typo, Files.readString(example).replace("cooldownSeconds: 60", "cooldownSecond: 60"));
        Kubectl.Result rejected = kubectl.run("apply", "-f", typo.toString());
        assertThat(rejected.exitCode()).as("%s", rejected).isNotZero();
        assertThat(rejected.err()).contains("strict decoding error: unknown field \"spec.cooldownSecond\"");
        Path outOfRange = dir.resolve("range.yaml");
        Files.writeString(outOfRange, Files.readString(example).replace("cooldownSeconds: 60", "cooldownSeconds: 100000"));
        Kubectl.Result invalid = kubectl.run("apply", "-f", outOfRange.toString());
        assertThat(invalid.exitCode()).as("%s", invalid).isNotZero();
        assertThat(invalid.err()).contains("spec.cooldownSeconds", "less than or equal to 86400");
    }

    @Test
    void explainReadsTheCrdSchema() throws Exception {
        Kubectl.Result explain = kubectl.run("explain", "trigger.spec.source.cron");
        assertThat(explain.exitCode()).as("%s", explain).isZero();
        assertThat(explain.out()).contains("KIND:       Trigger", "VERSION:    v1alpha1", "FIELD: cron <Object>",
                "schedule\t<string> -required-", "timeZone\t<string>", "IANA time zone");
        assertThat(kubectl.run("explain", "trg.spec.nosuchfield").exitCode()).isNotZero();
    }

    /** The kubectl-trigger plugin (operator/src/main/kubectl), found on the PATH as kubectl finds plugins. */
    private Kubectl.Result plugin(String args) throws Exception {
        Path pluginDir = Manifests.examplesDir().resolveSibling("operator").resolve("src/main/kubectl");
        assertThat(pluginDir.resolve("kubectl-trigger")).isExecutable();
        return kubectl.sh("kubectl trigger " + args, Map.of("PATH",
                pluginDir + ":" + kubectl.binary().getParent() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin")));
    }

    @Test
    void pluginFiresAndPrintsTheResult() throws Exception {
        long before = fireCount("restart-shop");
        Kubectl.Result fire = plugin("fire restart-shop -n demo");
        assertThat(fire.exitCode()).as("%s", fire).isZero();
        assertThat(fire.out()).containsPattern("fire requested: triggers.dev/fire-request=\\S+")
                .containsPattern("fired at \\S+: .*web.* \\(fireCount " + (before + 1) + "\\)");
        assertThat(fireCount("restart-shop")).isEqualTo(before + 1);
    }

    @Test
    void pluginSuspendsAndResumes() throws Exception {
        Kubectl.Result suspend = plugin("suspend scale-worker -n demo");
        assertThat(suspend.exitCode()).as("%s", suspend).isZero();
        assertThat(kubectl.run("get", "trg", "scale-worker", "-n", "demo", "-o", "jsonpath={.spec.suspend}").out()).isEqualTo("true");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(plugin("status scale-worker -n demo").out())
                .contains("status:       Suspended"));
        Kubectl.Result resume = plugin("resume scale-worker -n demo");
        assertThat(resume.exitCode()).as("%s", resume).isZero();
        assertThat(kubectl.run("get", "trg", "scale-worker", "-n", "demo", "-o", "jsonpath={.spec.suspend}").out()).isEqualTo("false");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(plugin("status scale-worker -n demo").out())
                .contains("status:       Ready"));
    }

    @Test
    void pluginPrintsTheWebhookUrlThatWorksAndRotatesIt() throws Exception {
        Kubectl.Result url = plugin("url restart-web -n demo");
        assertThat(url.exitCode()).as("%s", url).isZero();
        List<String> lines = url.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("http://localhost:\\d+/hooks/demo/restart-web/\\S+");
        assertThat(lines.get(1)).isEqualTo("curl -fsS -X POST '" + lines.get(0) + "'");
        assertThat(post(lines.get(0))).isEqualTo(202);

        Kubectl.Result rotate = plugin("rotate restart-web -n demo");
        assertThat(rotate.exitCode()).as("%s", rotate).isZero();
        assertThat(rotate.out()).startsWith("rotated: the previous token works until 20");
        String rotated = rotate.out().lines().toList().get(1);
        assertThat(rotated).startsWith("http://localhost:").isNotEqualTo(lines.get(0));
        assertThat(post(rotated)).isEqualTo(202);
        assertThat(post(lines.get(0))).as("the previous token, within its grace period").isEqualTo(202);
    }

    @Test
    void pluginRevokesTheWebhookToken() throws Exception {
        Kubectl.Result url = plugin("url restart-shop -n demo");
        assertThat(url.exitCode()).as("%s", url).isZero();
        String before = url.out().lines().findFirst().orElseThrow();
        assertThat(post(before)).isEqualTo(202);

        Kubectl.Result revoke = plugin("revoke restart-shop -n demo");
        assertThat(revoke.exitCode()).as("%s", revoke).isZero();
        assertThat(revoke.out()).startsWith("revoked: earlier tokens of restart-shop no longer work");
        String after = revoke.out().lines().toList().get(1);
        assertThat(after).startsWith("http://localhost:").isNotEqualTo(before);
        // The new token's digest reaches the webhook server through the Trigger's status: wait for it.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(post(after)).isEqualTo(202));
        assertThat(post(before)).as("the revoked token").isEqualTo(404);
    }

    @Test
    void pluginStatusShowsOneTriggerOrTheList() throws Exception {
        Kubectl.Result one = plugin("status nightly-restart -n demo");
        assertThat(one.exitCode()).as("%s", one).isZero();
        assertThat(one.out()).contains("status:       Ready", "source:       Cron", "target:       web").containsPattern("next fire:    20\\d\\d-");
        Kubectl.Result all = plugin("status -A");
        assertThat(all.exitCode()).as("%s", all).isZero();
        assertThat(all.out().lines().findFirst().orElseThrow()).startsWith("NAMESPACE").contains("LAST FIRED");
        assertThat(plugin("fire").exitCode()).as("a name is required").isEqualTo(2);
    }

    private long fireCount(String name) throws Exception {
        String count = kubectl.run("get", "trg", name, "-n", "demo", "-o", "jsonpath={.status.fireCount}").out().strip();
        return count.isEmpty() ? 0 : Long.parseLong(count);
    }

    private static int post(String url) throws Exception {
        var client = java.net.http.HttpClient.newHttpClient();
        return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
