package dev.triggers.operator.helm;

import static dev.triggers.operator.helm.HelmChartTest.CHART;
import static dev.triggers.operator.helm.HelmChartTest.ROOT;
import static dev.triggers.operator.helm.HelmChartTest.YAML;
import static dev.triggers.operator.helm.HelmChartTest.projectVersion;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What the release pushes is what the chart pulls: the chart's image and appVersion, the Jib configuration
 * (operator/pom.xml, profile "image"), the project version and the release workflow name the same things.
 */
class ReleaseConsistencyTest {
    static final String CHART_REPOSITORY = "oci://ghcr.io/triggers-dev/charts";
    static JsonNode values;
    static JsonNode chart;
    static JsonNode workflow;
    static Element jib;

    @BeforeAll
    static void read() throws Exception {
        values = YAML.readTree(CHART.resolve("values.yaml").toFile());
        chart = YAML.readTree(CHART.resolve("Chart.yaml").toFile());
        workflow = YAML.readTree(ROOT.resolve(".github/workflows/release.yml").toFile());
        var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("operator/pom.xml").toFile());
        for (Element profile : children(pom.getDocumentElement(), "profiles", "profile")) {
            if (!text(profile, "id").equals("image")) continue;
            for (Element plugin : children(profile, "build", "plugins", "plugin")) {
                if (text(plugin, "artifactId").equals("jib-maven-plugin")) jib = child(plugin, "configuration");
            }
        }
        assertThat(jib).as("jib-maven-plugin in the profile image of operator/pom.xml").isNotNull();
    }

    @Test
    void jibPushesTheImageAndTagTheChartPulls() {
        String repository = values.at("/image/repository").asText();
        assertThat(repository).isEqualTo("ghcr.io/triggers-dev/trigger-operator");
        assertThat(values.at("/image/tag").asText()).as("empty: the chart's appVersion").isEmpty();
        assertThat(text(child(jib, "to"), "image")).isEqualTo(repository + ":${project.version}");
        assertThat(chart.at("/appVersion").asText()).isEqualTo(projectVersion());
    }

    @Test
    void theWorkflowPushesThatImageAndTheChartOnAVersionTag() {
        String repository = values.at("/image/repository").asText();
        assertThat(workflow.at("/on/push/tags").toString()).isEqualTo("[\"v*\"]");
        assertThat(workflow.at("/env/IMAGE").asText()).isEqualTo(repository);
        assertThat(workflow.at("/env/CHART_REPOSITORY").asText()).isEqualTo(CHART_REPOSITORY);
        assertThat(workflow.at("/permissions/packages").asText()).isEqualTo("write");

        String jibStep = step("jib:build");
        assertThat(jibStep).contains("-Pimage").contains("-Djib.to.image=\"${IMAGE}:${VERSION}\"");
        String chartStep = step("helm push");
        assertThat(chartStep).contains("helm package helm/trigger-operator").contains("\"${CHART_REPOSITORY}\"");
        // The version the steps use is checked against the tag, pom.xml and Chart.yaml's appVersion first.
        String check = step("GITHUB_REF_NAME");
        assertThat(check).contains("pom.xml").contains("helm/trigger-operator/Chart.yaml").contains("appVersion");
        assertThat(steps().indexOf(check)).isLessThan(steps().indexOf(jibStep)).isLessThan(steps().indexOf(chartStep));
    }

    @Test
    void theReadmesInstallFromWhereTheWorkflowPushes() throws Exception {
        String ref = CHART_REPOSITORY + "/" + chart.at("/name").asText();
        assertThat(Files.readString(ROOT.resolve("README.md"))).contains(ref);
        assertThat(Files.readString(CHART.resolve("README.md"))).contains(ref);
    }

    /** The image runs as the chart runs it: its user, JVM options, ports and main class. */
    @Test
    void theImageMatchesTheChartsPod() throws Exception {
        assertThat(text(child(jib, "from"), "image")).isEqualTo("eclipse-temurin:17-jre");
        List<String> platforms = new ArrayList<>();
        for (Element p : children(jib, "from", "platforms", "platform")) platforms.add(text(p, "os") + "/" + text(p, "architecture"));
        assertThat(platforms).containsExactlyInAnyOrder("linux/amd64", "linux/arm64");

        Element container = child(jib, "container");
        assertThat(text(container, "user")).isEqualTo(values.at("/podSecurityContext/runAsUser").asInt() + ":"
                + values.at("/podSecurityContext/runAsGroup").asInt());
        // The chart's javaOptions replace the image's JAVA_TOOL_OPTIONS; no jvmFlags, which would override them.
        assertThat(text(child(container, "environment"), "JAVA_TOOL_OPTIONS")).isEqualTo(values.at("/javaOptions").asText());
        assertThat(child(container, "jvmFlags")).isNull();
        List<String> ports = new ArrayList<>();
        for (Element p : children(container, "ports", "port")) ports.add(p.getTextContent().trim());
        assertThat(ports).containsExactlyInAnyOrder(values.at("/webhook/port").asText(), values.at("/metrics/port").asText());
        assertThat(text(container, "mainClass")).isEqualTo("${main.class}");
        String pom = Files.readString(ROOT.resolve("operator/pom.xml"));
        assertThat(pom).contains("<main.class>dev.triggers.operator.Main</main.class>");
        assertThat(Class.forName("dev.triggers.operator.Main").getMethod("main", String[].class)).isNotNull();

        // operator/Dockerfile (for those who build with Docker) says the same.
        String dockerfile = Files.readString(ROOT.resolve("operator/Dockerfile"));
        assertThat(dockerfile).contains("FROM eclipse-temurin:17-jre").contains("USER " + text(container, "user"))
                .contains("ENV JAVA_TOOL_OPTIONS=\"" + values.at("/javaOptions").asText() + "\"");
    }

    // --- reading the workflow and the pom

    static List<String> steps() {
        List<String> runs = new ArrayList<>();
        workflow.at("/jobs").forEach(job -> job.get("steps").forEach(s -> runs.add(s.path("run").asText())));
        return runs;
    }

    static String step(String containing) {
        List<String> found = steps().stream().filter(r -> r.contains(containing)).toList();
        assertThat(found).as("one workflow step running %s", containing).hasSize(1);
        return found.get(0);
    }

    static List<Element> children(Element parent, String... path) {
        List<Element> level = List.of(parent);
        for (String name : path) {
            List<Element> next = new ArrayList<>();
            for (Element e : level) {
                NodeList nodes = e.getChildNodes();
                for (int i = 0; i < nodes.getLength(); i++) {
                    Node n = nodes.item(i);
                    if (n instanceof Element c && c.getTagName().equals(name)) next.add(c);
                }
            }
            level = next;
        }
        return level;
    }

    static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    static String text(Element parent, String name) {
        Element c = child(parent, name);
        return c == null ? "" : c.getTextContent().trim();
    }
}
