package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** A NATS subject (at most once) or a JetStream durable consumer (acked after the action succeeded). */
public class NatsSource extends SpecObject {
    @Required
    @Size(min = 1, max = 16)
    @JsonPropertyDescription("NATS server URLs, e.g. nats://nats.messaging:4222.")
    private List<@Size(max = 512) String> servers;

    @Required
    @Size(max = 256)
    @JsonPropertyDescription("The subject to subscribe to; wildcards (* and >) allowed.")
    private String subject;

    @Size(max = 128)
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
        @Size(max = 128)
        @JsonPropertyDescription("The stream that holds the subject.")
        private String stream;

        @Required
        @Size(max = 128)
        @JsonPropertyDescription("The durable consumer's name; the operator creates it if missing.")
        private String durable;

        public String getStream() { return stream; }
        public void setStream(String stream) { this.stream = stream; }
        public String getDurable() { return durable; }
        public void setDurable(String durable) { this.durable = durable; }
    }
}
