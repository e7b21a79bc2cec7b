package dev.triggers.operator.source.nats;

import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.NatsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerSource;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Objects;

/**
 * What core and JetStream sources share: the credentials Secret, a lease on the shared connection,
 * and a health that follows the connection (connecting, disconnected with the reason, refused
 * credentials), announced to the reconciler only when it changes.
 */
abstract class NatsSourceBase implements TriggerSource, SharedConnection.Listener {
    static final String CREDENTIALS_FIELD = "spec.source.nats.credentialsSecretRef";
    protected final NatsSource spec;
    protected final SourceContext context;
    protected final String name;
    protected final String namespace;
    private final NatsConnections connections;
    private NatsConnections.Lease lease;
    private String fingerprint;
    private volatile SharedConnection connection;
    /** Why the source did not start: a credentials Secret it may not use, a server it may not reach. */
    private volatile SourceHealth startProblem;
    private volatile String cleartextNote = "";
    private volatile SourceHealth reported;
    protected volatile boolean closed;

    NatsSourceBase(Trigger trigger, SourceContext context, NatsConnections connections) {
        this.spec = trigger.getSpec().getSource().getNats();
        this.context = context;
        this.connections = connections;
        this.namespace = trigger.getMetadata().getNamespace();
        this.name = namespace + "/" + trigger.getMetadata().getName();
    }

    /** Subscribes when the connection is (again, or anew) connected; called on a NATS thread. */
    protected abstract void connected(SharedConnection connection);

    /** Stops receiving on the connection it is about to leave. */
    protected abstract void detached();

    /** The health once connected. */
    protected abstract SourceHealth connectedHealth(SharedConnection connection);

    /**
     * Reads the credentials Secret and takes (or changes) the lease on the shared connection. While the
     * source is healthy the Secret is not read again; while it is not, a changed Secret is picked up on
     * the next reconcile (e.g. after fixing wrong credentials).
     */
    @Override
    public synchronized void observe(Trigger trigger) {
        if (closed || (lease != null && health().ready())) return;
        NatsCredentials credentials;
        ServerRules rules = new ServerRules(context.config().tenancy());
        try {
            credentials = credentials(trigger);
            String refused = rules.startProblem(spec.getServers(), credentials);
            if (refused != null) throw new StartProblem("ServerNotAllowed", refused);
            startProblem = null;
        } catch (StartProblem p) {
            startProblem = p.health;
            leave();
            reportHealth();
            return;
        }
        if (lease != null && credentials.fingerprint().equals(fingerprint)) return;
        leave();
        fingerprint = credentials.fingerprint();
        cleartextNote = ServerRules.sendsSecretInClear(spec.getServers(), credentials)
                ? ". The password or token of Secret '" + spec.getCredentialsSecretRef().getName() + "' crosses the network unencrypted"
                        + " (nats:// or ws://): use tls:// unless a service mesh encrypts this traffic"
                : "";
        lease = connections.acquire(namespace, spec.getServers(), credentials, rules, this);
        connection = lease.connection();
        connectionChanged(connection);
    }

    @Override
    public void connectionChanged(SharedConnection changed) {
        if (closed || changed != connection) return;
        if (changed.isConnected()) connected(changed);
        reportHealth();
    }

    /** Tells the reconciler, but only when the health really changed (1 000 Triggers share a connection). */
    protected void reportHealth() {
        SourceHealth now = health();
        if (Objects.equals(now, reported)) return;
        reported = now;
        context.healthChanged();
    }

    @Override
    public SourceHealth health() {
        SourceHealth problem = startProblem;
        if (problem != null) return problem;
        SharedConnection c = connection;
        if (c == null) return SourceHealth.starting("connecting to NATS at " + String.join(",", spec.getServers()));
        String error = c.lastError();
        return switch (c.state()) {
            case CONNECTED -> c.isConnected() ? withNote(connectedHealth(c)) : SourceHealth.starting("connecting to NATS at " + c.where());
            case CONNECTING, DISCONNECTED -> {
                if (!c.everConnected()) {
                    yield error == null
                            ? SourceHealth.starting("connecting to NATS at " + c.where())
                            : failure(c, "ConnectFailed", "cannot connect to NATS at " + c.where() + ": " + error + "; retrying with backoff");
                }
                yield failure(c, "Disconnected", "disconnected from NATS at " + c.where() + ": "
                        + (error == null ? "connection lost" : error) + "; reconnecting with backoff");
            }
            case CLOSED -> SourceHealth.error("Closed", "the connection to NATS at " + c.where() + " is closed");
        };
    }

    private SourceHealth withNote(SourceHealth health) {
        String note = cleartextNote;
        return health.ready() && !note.isEmpty() ? SourceHealth.ready(health.message() + note) : health;
    }

    private SourceHealth failure(SharedConnection c, String reason, String message) {
        String error = c.lastError();
        if (error != null && (error.contains("Authorization") || error.contains("Authentication") || error.contains("authorization"))) {
            String secret = spec.getCredentialsSecretRef() == null ? "no credentials (spec.source.nats.credentialsSecretRef is not set)"
                    : "the credentials of Secret '" + spec.getCredentialsSecretRef().getName() + "'";
            return SourceHealth.error("AuthorizationFailed", "NATS at " + c.where() + " refused " + secret + ": " + error
                    + "; fix the Secret, the operator retries with backoff");
        }
        return SourceHealth.error(reason, message);
    }

    private NatsCredentials credentials(Trigger trigger) throws StartProblem {
        if (spec.getCredentialsSecretRef() == null) return NatsCredentials.NONE;
        String secretName = spec.getCredentialsSecretRef().getName();
        String ns = trigger.getMetadata().getNamespace();
        Secret secret;
        try {
            secret = context.client().secrets().inNamespace(ns).withName(secretName).get();
        } catch (RuntimeException e) {
            throw new StartProblem("SecretUnreadable", KubernetesErrors.describe(e, "read", "Secret " + ns + "/" + secretName));
        }
        if (secret == null) {
            throw new StartProblem("SecretNotFound", "Secret '" + secretName + "' (spec.source.nats.credentialsSecretRef) not found in namespace "
                    + ns + ": create it with keys user and password, or token, or creds (and optionally ca.crt), labelled "
                    + CredentialsSecrets.LABEL + "=true");
        }
        // Without the opt-in, naming a Secret would be a way to send any Secret of the namespace to any server.
        if (!CredentialsSecrets.optedIn(secret)) {
            throw new StartProblem("SecretNotOptedIn", CredentialsSecrets.notOptedInMessage(CREDENTIALS_FIELD, ns, secretName));
        }
        try {
            return NatsCredentials.fromSecret(secret);
        } catch (IllegalArgumentException e) {
            throw new StartProblem("InvalidSecret", e.getMessage());
        }
    }

    private void leave() {
        if (lease == null) return;
        detached();
        lease.release();
        lease = null;
        connection = null;
        fingerprint = null;
    }

    @Override
    public synchronized void close() {
        closed = true;
        leave();
    }

    private static final class StartProblem extends Exception {
        final SourceHealth health;

        StartProblem(String reason, String message) {
            super(message, null, false, false);
            this.health = SourceHealth.error(reason, message);
        }
    }
}
