package dev.triggers.operator.source.nats;

import dev.triggers.operator.config.TenantPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which NATS servers a Trigger may reach, checked when its source starts and again on every connect
 * attempt (see {@link PolicedServerPool}): the cluster admin's {@link TenantPolicy} (no loopback,
 * link-local, wildcard or Service-range address unless allowed), and no password or token sent
 * unencrypted to a public address. Unencrypted to a private address is allowed (an in-cluster NATS
 * behind a service mesh is encrypted by the mesh, which the operator cannot see) and said on the status.
 */
final class ServerRules {
    static final String FIELD = "spec.source.nats.servers";
    private static final Set<String> ENCRYPTED_SCHEMES = Set.of("tls", "opentls", "wss");
    private static final TenantPolicy.Cidr CARRIER_NAT = TenantPolicy.Cidr.parse("100.64.0.0/10");
    private static final TenantPolicy.Cidr UNIQUE_LOCAL_V6 = TenantPolicy.Cidr.parse("fc00::/7");

    private final TenantPolicy policy;

    ServerRules(TenantPolicy policy) {
        this.policy = policy;
    }

    /**
     * Null when every server may be used, else why not. A host that does not resolve (yet) is left to
     * the connection, which says so and retries: a Service may be created after its Trigger.
     */
    String startProblem(List<String> servers, NatsCredentials credentials) {
        boolean tls = credentials.hasCa() || servers.stream().map(ServerRules::scheme).anyMatch(ENCRYPTED_SCHEMES::contains);
        for (String server : servers) {
            String host = host(server);
            if (host == null || !resolves(host)) continue;
            String problem = problem(host, credentials.sendsSecret() && cleartext(scheme(server), tls));
            if (problem != null) return problem;
        }
        return null;
    }

    /** True when the password or token would cross the network unencrypted (to a private address: allowed, but said). */
    static boolean sendsSecretInClear(List<String> servers, NatsCredentials credentials) {
        if (!credentials.sendsSecret()) return false;
        boolean tls = credentials.hasCa() || servers.stream().map(ServerRules::scheme).anyMatch(ENCRYPTED_SCHEMES::contains);
        return servers.stream().anyMatch(s -> cleartext(scheme(s), tls) && !isLoopback(host(s)));
    }

    /** jnats encrypts every non-websocket connection once it has an SSL context; ws:// is never encrypted, wss:// always. */
    static boolean cleartext(String scheme, boolean tlsRequired) {
        if ("wss".equals(scheme)) return false;
        if ("ws".equals(scheme)) return true;
        return !tlsRequired;
    }

    /** Null when the host may be reached now (and, if the secret would go in clear, is not public), else why not. */
    String problem(String host, boolean secretInClear) {
        String problem = policy.addressProblem(FIELD, host);
        if (problem != null || !secretInClear) return problem;
        try {
            for (InetAddress a : InetAddress.getAllByName(unbracket(host))) {
                if (isPublic(a)) {
                    return FIELD + " host '" + host + "' is a public address (" + a.getHostAddress() + "): the operator does not send the"
                            + " password or token of the credentials Secret there unencrypted; use a tls:// URL (add ca.crt to the Secret"
                            + " if the server's certificate is not publicly trusted) or a creds file";
                }
            }
            return null;
        } catch (UnknownHostException e) {
            return FIELD + " host '" + host + "' does not resolve: check the name";
        }
    }

    private boolean isPublic(InetAddress a) {
        return !(a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || CARRIER_NAT.contains(a) || UNIQUE_LOCAL_V6.contains(a) || policy.serviceNetworks().stream().anyMatch(c -> c.contains(a)));
    }

    private static boolean resolves(String host) {
        try {
            InetAddress.getAllByName(unbracket(host));
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean isLoopback(String host) {
        if (host == null) return false;
        try {
            for (InetAddress a : InetAddress.getAllByName(unbracket(host))) if (!a.isLoopbackAddress()) return false;
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** As jnats reads a server: "host:port" means nats://host:port. */
    static String scheme(String server) {
        String s = server.trim();
        int i = s.indexOf("://");
        return i < 0 ? "nats" : s.substring(0, i).toLowerCase(Locale.ROOT);
    }

    static String host(String server) {
        String s = server.trim();
        try {
            return new URI(s.contains("://") ? s : "nats://" + s).getHost();
        } catch (Exception e) {
            return null;
        }
    }
}
