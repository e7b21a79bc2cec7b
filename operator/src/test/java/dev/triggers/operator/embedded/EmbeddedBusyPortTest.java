package dev.triggers.operator.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.testing.NatsServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A busy port stops the embedded mode with one line that names the port and how to choose another. */
class EmbeddedBusyPortTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"embedded.apiPort", "embedded.webhookPort", "embedded.metricsPort"})
    void aBusyPortIsOneLineAndANonZeroExit(String property) throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(0));
            int busy = taken.getLocalPort();
            List<String> ports = new java.util.ArrayList<>();
            for (String p : List.of("embedded.apiPort", "embedded.webhookPort", "embedded.metricsPort")) {
                ports.add(p + "=" + (p.equals(property) ? busy : NatsServer.freePort()));
            }
            ports.add("embedded.kubeconfig=" + dir.resolve("kubeconfig"));
            EmbeddedProcess embedded = EmbeddedProcess.start(dir, ports.toArray(String[]::new));
            int exit = embedded.waitForExit();
            assertThat(exit).as("%s", embedded).isEqualTo(2);
            List<String> errors = embedded.stderr().lines().filter(l -> !l.isBlank()).toList();
            assertThat(errors).as("%s", embedded).containsExactly("error: port " + busy + " ("
                    + switch (property) {
                        case "embedded.apiPort" -> "the embedded Kubernetes API";
                        case "embedded.webhookPort" -> "webhooks";
                        default -> "metrics";
                    } + ") is already in use; stop what uses it, or choose another port with -D" + property + "=<port> (0 = any free port)");
            assertThat(embedded.stdout()).as("nothing started, nothing thrown").doesNotContain("Exception", "trigger-operator is running");
            assertThat(dir.resolve("kubeconfig")).doesNotExist();
        }
    }
}
