package dev.triggers.operator.source.nats;

import dev.triggers.operator.api.v1alpha1.SpecObject;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.triggers.operator.api.v1alpha1.NatsSource;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.TriggerSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * NATS sources: a core subscription (at most once) or, with spec.source.nats.jetStream, a durable pull
 * consumer acked after the action (at least once). All share the connections of one
 * {@link NatsConnections}. Sources only run where the reconciler runs, i.e. on the leader.
 */
public final class NatsSourceFactory implements SourceFactory {
    private static final Set<String> SCHEMES = Set.of("nats", "tls", "opentls", "ws", "wss");

    private final NatsConnections connections;

    public NatsSourceFactory() {
        this(new SimpleMeterRegistry());
    }

    public NatsSourceFactory(MeterRegistry metrics) {
        this.connections = new NatsConnections(metrics);
    }

    @Override
    public String type() {
        return SourceSpec.NATS;
    }

    public NatsConnections connections() {
        return connections;
    }

    @Override
    public Map<String, SpecObject> specParts(SourceSpec source) {
        Map<String, SpecObject> parts = new LinkedHashMap<>();
        parts.put("spec.source.nats", source.getNats());
        if (source.getNats() != null) {
            parts.put("spec.source.nats.jetStream", source.getNats().getJetStream());
            parts.put("spec.source.nats.credentialsSecretRef", source.getNats().getCredentialsSecretRef());
        }
        return parts;
    }

    @Override
    public List<String> validate(Trigger trigger) {
        return problems(trigger.getSpec().getSource().getNats());
    }

    /** The spec checks the schema cannot make, each a message a person can act on. Pure. */
    public static List<String> problems(NatsSource nats) {
        List<String> problems = new ArrayList<>();
        if (nats.getServers() == null || nats.getServers().isEmpty()) {
            problems.add("spec.source.nats.servers is empty: give at least one server URL, e.g. nats://nats.messaging:4222");
        } else if (nats.getServers().size() > NatsSource.MAX_SERVERS) {
            problems.add("spec.source.nats.servers has " + nats.getServers().size() + " servers: list at most " + NatsSource.MAX_SERVERS);
        } else {
            for (String server : nats.getServers()) {
                if (server != null && server.length() > NatsSource.MAX_SERVER_LENGTH) {
                    problems.add("spec.source.nats.servers: a server URL is " + server.length() + " characters long, over " + NatsSource.MAX_SERVER_LENGTH);
                    continue;
                }
                String problem = serverProblem(server);
                if (problem != null) problems.add("spec.source.nats.servers: '" + server + "' " + problem);
            }
        }
        String subject = nats.getSubject();
        if (subject == null || subject.isBlank()) {
            problems.add("spec.source.nats.subject is empty: name the subject to listen on, e.g. deploy.web (wildcards * and > allowed)");
        } else if (subject.length() > NatsSource.MAX_SUBJECT_LENGTH) {
            problems.add("spec.source.nats.subject is " + subject.length() + " characters long, over " + NatsSource.MAX_SUBJECT_LENGTH);
        } else {
            String problem = subjectProblem(subject);
            if (problem != null) problems.add("spec.source.nats.subject '" + subject + "' " + problem);
        }
        String queue = nats.getQueueGroup();
        tooLong(problems, "spec.source.nats.queueGroup", queue);
        if (queue != null && (queue.isBlank() || queue.chars().anyMatch(Character::isWhitespace))) {
            problems.add("spec.source.nats.queueGroup '" + queue + "' must be a name without spaces");
        }
        NatsSource.JetStreamSpec js = nats.getJetStream();
        if (js != null) {
            tooLong(problems, "spec.source.nats.jetStream.stream", js.getStream());
            tooLong(problems, "spec.source.nats.jetStream.durable", js.getDurable());
            if (js.getStream() == null || js.getStream().isBlank()) {
                problems.add("spec.source.nats.jetStream.stream is empty: name the stream that holds the subject");
            } else if (!isName(js.getStream())) {
                problems.add("spec.source.nats.jetStream.stream '" + js.getStream() + "' must not contain spaces, '.', '*', '>', '/' or '\\'");
            }
            if (js.getDurable() == null || js.getDurable().isBlank()) {
                problems.add("spec.source.nats.jetStream.durable is empty: name the durable consumer (the operator creates it if missing)");
            } else if (!isName(js.getDurable())) {
                problems.add("spec.source.nats.jetStream.durable '" + js.getDurable() + "' must not contain spaces, '.', '*', '>', '/' or '\\'");
            }
            if (queue != null && !queue.isBlank()) {
                problems.add("spec.source.nats.queueGroup is for core NATS only: with jetStream, the durable consumer already hands each message to one receiver; remove it");
            }
        }
        if (nats.getCredentialsSecretRef() != null && (nats.getCredentialsSecretRef().getName() == null || nats.getCredentialsSecretRef().getName().isBlank())) {
            problems.add("spec.source.nats.credentialsSecretRef.name is empty: name a Secret in the Trigger's namespace");
        }
        return problems;
    }

    private static void tooLong(List<String> problems, String field, String value) {
        if (value != null && value.length() > NatsSource.MAX_NAME_LENGTH) {
            problems.add(field + " is " + value.length() + " characters long, over " + NatsSource.MAX_NAME_LENGTH);
        }
    }

    static String serverProblem(String server) {
        if (server == null || server.isBlank()) return "is empty";
        String url = server.trim().contains("://") ? server.trim() : "nats://" + server.trim();
        try {
            URI uri = new URI(url);
            if (uri.getScheme() == null || !SCHEMES.contains(uri.getScheme().toLowerCase(java.util.Locale.ROOT))) {
                return "has scheme '" + uri.getScheme() + "': use nats://, tls://, ws:// or wss://";
            }
            if (uri.getHost() == null || uri.getHost().isBlank()) return "is not a URL with a host, e.g. nats://nats.messaging:4222";
            if (uri.getPort() > 65535) return "has port " + uri.getPort() + ", above 65535";
            return null;
        } catch (URISyntaxException e) {
            return "is not a URL: " + e.getMessage();
        }
    }

    static String subjectProblem(String subject) {
        if (subject.chars().anyMatch(Character::isWhitespace)) return "must not contain spaces";
        String[] tokens = subject.split("\\.", -1);
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (t.isEmpty()) return "has an empty token (a leading, trailing or double '.')";
            if (t.equals(">") && i != tokens.length - 1) return "uses '>' before the last token: '>' matches the rest of the subject, so it must come last";
            if (t.length() > 1 && (t.contains("*") || t.contains(">"))) return "uses a wildcard inside a token ('" + t + "'): '*' and '>' stand alone between dots";
        }
        return null;
    }

    private static boolean isName(String name) {
        return name.chars().noneMatch(c -> Character.isWhitespace(c) || c == '.' || c == '*' || c == '>' || c == '/' || c == '\\');
    }

    @Override
    public TriggerSource start(Trigger trigger, SourceContext context) {
        NatsSource nats = trigger.getSpec().getSource().getNats();
        return nats.getJetStream() != null
                ? new JetStreamConsumer(trigger, context, connections)
                : new NatsSubscription(trigger, context, connections);
    }

    @Override
    public void close() {
        connections.close();
    }
}
