package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** A NATS subject (at most once) or a JetStream durable consumer (acked after the action succeeded). */
public class NatsSource extends SpecObject {
    /** Bounds a real API server enforces (the reconciler checks the same, see NatsSourceFactory.problems). */
    public static final int MAX_SERVERS = 16;
    public static final int MAX_SERVER_LENGTH = 512;
    public static final int MAX_SUBJECT_LENGTH = 256;
    public static final int MAX_NAME_LENGTH = 128;

    @Required
    @Size(min = 1, max = MAX_SERVERS)
    @JsonPropertyDescription("NATS server URLs, e.g. nats://nats.messaging:4222 (at most 16). Checked against the cluster admin's"
            + " address rules; servers the NATS cluster announces are not used.")
    private List<@Size(max = MAX_SERVER_LENGTH) String> servers;

    @Required
    @Size(max = MAX_SUBJECT_LENGTH)
    @JsonPropertyDescription("The subject to subscribe to; wildcards (* and >) allowed.")
    private String subject;

    @Size(max = MAX_NAME_LENGTH)
    @JsonPropertyDescription("Core NATS: a queue group, so that only one subscriber of the group receives each message.")
    private String queueGroup;

    @JsonPropertyDescription("Consume through a JetStream durable pull consumer with explicit acks (at least once) instead of core NATS (at most once).")
    private JetStreamSpec jetStream;

    @JsonPropertyDescription("A Secret in the Trigger's namespace with user and password, or token, or creds (a .creds file), and optionally ca.crt for TLS.")
    private SecretRef credentialsSecretRef;

    public List<String> getServers() { return servers; }
    public void setServers(List<String> servers) { this.servers = servers; }
    public String getSubject() { return subject; }
    public void setSubject(String subject) { this.subject = subject; }
    public String getQueueGroup() { return queueGroup; }
    public void setQueueGroup(String queueGroup) { this.queueGroup = queueGroup; }
    public JetStreamSpec getJetStream() { return jetStream; }
    public void setJetStream(JetStreamSpec jetStream) { this.jetStream = jetStream; }
    public SecretRef getCredentialsSecretRef() { return credentialsSecretRef; }
    public void setCredentialsSecretRef(SecretRef credentialsSecretRef) { this.credentialsSecretRef = credentialsSecretRef; }

    /** A JetStream stream and the durable consumer name the operator creates or binds to. */
    public static class JetStreamSpec extends SpecObject {
        @Required
        @Size(max = MAX_NAME_LENGTH)
        @JsonPropertyDescription("The stream that holds the subject.")
        private String stream;

        @Required
        @Size(max = MAX_NAME_LENGTH)
        @JsonPropertyDescription("The durable consumer's name; the operator creates it if missing, named <namespace>_<durable> on the server.")
        private String durable;

        public String getStream() { return stream; }
        public void setStream(String stream) { this.stream = stream; }
        public String getDurable() { return durable; }
        public void setDurable(String durable) { this.durable = durable; }
    }
}
