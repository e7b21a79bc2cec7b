package dev.triggers.operator.embedded;

import dev.triggers.operator.api.v1alpha1.NatsSource;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.source.sqs.ElasticMq;
import dev.triggers.operator.testing.NatsServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real servers behind the SQS and NATS examples in the embedded mode, so every example is Ready:
 * ElasticMQ inside this JVM, and Debian's nats-server when it is installed. The examples stay as a user
 * applies them to a real cluster; on load their endpoints are pointed here (queueUrl and endpoint, NATS
 * servers). Without nats-server, a loopback stand-in answers every NATS connection with an -ERR that
 * says what to install, so the NATS examples' status tells the user.
 */
public final class LocalBackends implements AutoCloseable {
    static final String NATS_MISSING = "nats-server is not installed: apt-get install -y nats-server (or set NATS_SERVER), then start the embedded mode again";

    private final ElasticMq sqs;
    private final NatsServer nats;
    private final ServerSocket natsStandIn;
    private final String natsUrl;

    private LocalBackends(ElasticMq sqs, NatsServer nats, ServerSocket natsStandIn, String natsUrl) {
        this.sqs = sqs;
        this.nats = nats;
        this.natsStandIn = natsStandIn;
        this.natsUrl = natsUrl;
    }

    public static LocalBackends start() throws IOException {
        return start(natsServerInstalled());
    }

    /** withNats false: the stand-in, as on a machine without nats-server. */
    static LocalBackends start(boolean withNats) throws IOException {
        ElasticMq sqs = ElasticMq.start();
        if (withNats) {
            NatsServer nats = NatsServer.start();
            return new LocalBackends(sqs, nats, null, nats.url());
        }
        ServerSocket standIn = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread answer = new Thread(() -> answerMissing(standIn), "nats-stand-in");
        answer.setDaemon(true);
        answer.start();
        return new LocalBackends(sqs, null, standIn, "nats://127.0.0.1:" + standIn.getLocalPort());
    }

    /** As NatsServer chooses its binary: $NATS_SERVER, /usr/sbin/nats-server, else nats-server on the PATH. */
    static boolean natsServerInstalled() {
        String binary = NatsServer.BINARY;
        if (binary.contains("/")) return Files.isExecutable(Path.of(binary));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) return true;
        }
        return false;
    }

    private static void answerMissing(ServerSocket standIn) {
        while (!standIn.isClosed()) {
            try {
                Socket s = standIn.accept();
                Thread answer = new Thread(() -> answerMissing(s), "nats-stand-in-client");
                answer.setDaemon(true);
                answer.start();
            } catch (IOException e) {
                // closed: the loop ends
            }
        }
    }

    private static void answerMissing(Socket client) {
        try (Socket s = client; OutputStream out = s.getOutputStream()) {
            // jnats shows the text of an -ERR that answers its CONNECT (an -ERR instead of INFO is "non-info").
            out.write("INFO {\"server_id\":\"embedded-stand-in\",\"version\":\"0.0.0\",\"proto\":1,\"max_payload\":1048576}\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.setSoTimeout(5000);
            new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            out.write(("-ERR '" + NATS_MISSING + "'\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // a client gone: nothing to tell it
        }
    }

    public boolean natsInstalled() {
        return nats != null;
    }

    public String natsUrl() {
        return natsUrl;
    }

    public String sqsEndpoint() {
        return sqs.endpoint();
    }

    /**
     * Points every SQS and NATS Trigger of the namespace at these servers (creating the queues and
     * JetStream streams they name), and opts their credentials Secrets in as Triggers' credentials.
     */
    public void rewire(KubernetesClient client, String namespace) throws Exception {
        for (Trigger trigger : client.resources(Trigger.class).inNamespace(namespace).list().getItems()) {
            var source = trigger.getSpec().getSource();
            List<String> secrets = new ArrayList<>();
            if (source.getSqs() != null) {
                SqsSource s = source.getSqs();
                String queue = URI.create(s.getQueueUrl()).getPath().replaceAll(".*/", "");
                s.setQueueUrl(sqs.createQueue(queue, s.getVisibilityTimeoutSeconds() == null ? 30 : s.getVisibilityTimeoutSeconds()));
                s.setEndpoint(sqs.endpoint());
                if (s.getCredentialsSecretRef() != null) secrets.add(s.getCredentialsSecretRef().getName());
            } else if (source.getNats() != null) {
                NatsSource n = source.getNats();
                n.setServers(List.of(natsUrl));
                if (n.getJetStream() != null && nats != null) createStream(n.getJetStream().getStream(), n.getSubject());
                if (n.getCredentialsSecretRef() != null) secrets.add(n.getCredentialsSecretRef().getName());
            } else {
                continue;
            }
            client.resource(trigger).update();
            for (String secret : secrets) {
                client.secrets().inNamespace(namespace).withName(secret)
                        .edit(s -> new io.fabric8.kubernetes.api.model.SecretBuilder(s).editMetadata()
                                .addToLabels(CredentialsSecrets.LABEL, "true").endMetadata().build());
            }
        }
    }

    private void createStream(String stream, String subject) throws Exception {
        try (Connection admin = Nats.connect(natsUrl)) {
            var jsm = admin.jetStreamManagement();
            if (!jsm.getStreamNames().contains(stream)) {
                jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.File).build());
            }
        }
    }

    @Override
    public void close() {
        if (nats != null) nats.close();
        if (natsStandIn != null) {
            try {
                natsStandIn.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        sqs.close();
    }
}
