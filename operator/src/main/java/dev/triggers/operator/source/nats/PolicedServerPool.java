package dev.triggers.operator.source.nats;

import io.nats.client.Options;
import io.nats.client.ServerPool;
import io.nats.client.impl.NatsServerPool;
import io.nats.client.support.NatsUri;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * jnats's own server pool, but each server is checked against the {@link ServerRules} when the client
 * is about to connect to it (first connect and every reconnect), and the addresses it connects to
 * are the ones checked: a name that later resolves to a refused address is skipped, and a pool with
 * only refused servers is empty, so the client closes and the connection reopens later, checked
 * again. Servers the NATS cluster announces are not used (the client is built with
 * ignoreDiscoveredServers): a tenant's server could announce any address.
 */
final class PolicedServerPool implements ServerPool {
    /** A host that never resolves (RFC 6761): what a refused name is rewritten to, so nothing is dialled. */
    static final String NOWHERE = "refused.invalid";

    private final NatsServerPool pool = new NatsServerPool();
    private final ServerRules rules;
    private final Consumer<String> refused;
    private volatile Options options;

    PolicedServerPool(ServerRules rules, Consumer<String> refused) {
        this.rules = rules;
        this.refused = refused;
    }

    @Override
    public void initialize(Options opts) {
        options = opts;
        pool.initialize(opts);
    }

    @Override
    public boolean acceptDiscoveredUrls(List<String> discoveredServers) {
        return pool.acceptDiscoveredUrls(discoveredServers);
    }

    @Override
    public NatsUri peekNextServer() {
        return skipRefused();
    }

    @Override
    public NatsUri nextServer() {
        return skipRefused() == null ? null : pool.nextServer();
    }

    /** Rotates refused servers to the back; the first allowed one is next, or none if all are refused. */
    private NatsUri skipRefused() {
        int servers = pool.getServerList().size();
        for (int i = 0; i < servers; i++) {
            NatsUri next = pool.peekNextServer();
            if (next == null) return null;
            String problem = rules.problem(next.getHost(), secretInClear(next));
            if (problem == null) return next;
            refused.accept(problem);
            pool.nextServer();
        }
        return null;
    }

    private boolean secretInClear(NatsUri server) {
        Options o = options;
        boolean secret = o != null && (o.getUsernameChars() != null || o.getTokenChars() != null);
        return secret && ServerRules.cleartext(server.getScheme(), o.isTLSRequired());
    }

    /** Only addresses the rules allow: the client dials exactly what was checked. */
    @Override
    public List<String> resolveHostToIps(String host) {
        return resolveHostToIps(host, false, true);
    }

    @Override
    public List<String> resolveHostToIps(String host, boolean maxOneResult, boolean includeIPV6) {
        List<String> ips = pool.resolveHostToIps(host, maxOneResult, includeIPV6);
        if (ips == null) return List.of(NOWHERE);
        List<String> allowed = new ArrayList<>();
        for (String ip : ips) {
            String problem = rules.problem(ip, false);
            if (problem == null) allowed.add(ip);
            else refused.accept(problem.replace("'" + ip + "'", "'" + host + "' (" + ip + ")"));
        }
        return allowed.isEmpty() ? List.of(NOWHERE) : allowed;
    }

    @Override
    public void connectSucceeded(NatsUri nuri) {
        pool.connectSucceeded(nuri);
    }

    @Override
    public void connectFailed(NatsUri nuri) {
        pool.connectFailed(nuri);
    }

    @Override
    public List<String> getServerList() {
        return pool.getServerList();
    }

    @Override
    public boolean hasSecureServer() {
        return pool.hasSecureServer();
    }
}
