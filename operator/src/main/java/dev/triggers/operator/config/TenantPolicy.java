package dev.triggers.operator.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What the cluster admin lets tenants reach beyond what their own namespace provides: the operator's
 * own AWS identity (only in listed namespaces), SQS endpoints other than AWS's, and addresses that are
 * otherwise refused (loopback, link-local, the cluster's service range). Read from the environment;
 * the chart's {@code tenancy} values set it.
 *
 * @param awsIdentityNamespaces namespaces whose Triggers may use the operator's own AWS identity
 *     (default credential chain: IRSA, node role); "*" means every namespace; empty means none
 * @param sqsEndpointHosts hosts an SQS {@code endpoint} may name besides AWS's own (exact host names,
 *     or "*.suffix")
 * @param allowedNetworks addresses (CIDRs or exact host names) a tenant may reach although they are
 *     loopback, link-local or in the service range
 * @param serviceNetworks the cluster's Service IP ranges (CIDRs), refused unless allowed
 */
public record TenantPolicy(Set<String> awsIdentityNamespaces, List<String> sqsEndpointHosts,
                           List<String> allowedNetworks, List<Cidr> serviceNetworks) {

    public static final String ENV_AWS_IDENTITY_NAMESPACES = Settings.AWS_IDENTITY_NAMESPACES.env();
    public static final String ENV_SQS_ALLOWED_ENDPOINTS = Settings.SQS_ALLOWED_ENDPOINTS.env();
    public static final String ENV_ALLOWED_NETWORKS = Settings.ALLOWED_PRIVATE_NETWORKS.env();
    /**
     * AWS's SQS endpoints: regional (commercial, GovCloud, China), FIPS, dual-stack, the legacy queue
     * hosts and interface VPC endpoints. Not any *.amazonaws.com host: EC2 public names
     * (ec2-10-0-0-5.compute.amazonaws.com) and load balancers resolve to whatever address their name says.
     */
    private static final Pattern AWS_SQS_HOST = Pattern.compile("sqs(-fips)?\\.[a-z0-9-]+\\.(amazonaws\\.com|amazonaws\\.com\\.cn|api\\.aws)"
            + "|([a-z0-9-]+\\.)?queue\\.amazonaws\\.com"
            + "|vpce-[a-z0-9-]+\\.sqs\\.[a-z0-9-]+\\.vpce\\.amazonaws\\.com(\\.cn)?");
    private static final Cidr LINK_LOCAL_V4 = Cidr.parse("169.254.0.0/16");
    private static final Cidr LINK_LOCAL_V6 = Cidr.parse("fe80::/10");
    /** The EC2 instance metadata service's IPv6 address (not link-local by prefix). */
    private static final Cidr EC2_METADATA_V6 = Cidr.parse("fd00:ec2::254/128");

    /** Nothing granted: no operator identity, AWS endpoints only, no private addresses. */
    public static TenantPolicy closed() {
        return fromEnv(key -> null);
    }

    /** For tests and the embedded mode: everything local allowed, the operator identity everywhere. */
    public static TenantPolicy open() {
        return new TenantPolicy(Set.of("*"), List.of("*"), List.of("0.0.0.0/0", "::/0"), List.of());
    }

    /**
     * Reads the policy from the environment ({@link Settings}: AWS_IDENTITY_NAMESPACES, SQS_ALLOWED_ENDPOINTS,
     * ALLOWED_PRIVATE_NETWORKS, SERVICE_CIDRS, whose default is kubeadm's Service range 10.96.0.0/12).
     */
    public static TenantPolicy fromEnv(Function<String, String> get) {
        return new TenantPolicy(
                Set.copyOf(Settings.AWS_IDENTITY_NAMESPACES.read(get)),
                Settings.SQS_ALLOWED_ENDPOINTS.read(get),
                Settings.ALLOWED_PRIVATE_NETWORKS.read(get),
                Settings.SERVICE_CIDRS.read(get));
    }

    /** Whether a Trigger of this namespace may use the operator's own AWS identity. */
    public boolean mayUseOperatorAwsIdentity(String namespace) {
        return awsIdentityNamespaces.contains("*") || awsIdentityNamespaces.contains(namespace);
    }

    /** Null when the host may serve as an SQS endpoint, else why not (for a person to act on). */
    public String sqsEndpointProblem(String field, String host) {
        String h = host.toLowerCase(Locale.ROOT);
        boolean listed = sqsEndpointHosts.stream().anyMatch(p -> hostMatches(p, h));
        boolean aws = AWS_SQS_HOST.matcher(h).matches();
        if (!listed && !aws) {
            return field + " host '" + host + "' is not an AWS SQS endpoint and not allowed by the cluster admin"
                    + " (ask them to add it to " + ENV_SQS_ALLOWED_ENDPOINTS + ", chart value tenancy.sqsAllowedEndpoints)";
        }
        return addressProblem(field, host);
    }

    /**
     * Null when every address the host resolves to may be reached, else why not. Loopback, link-local
     * (the cloud metadata service), wildcard and Service-range addresses are refused unless the admin
     * allowed them. Checked on the resolved addresses, so a DNS name cannot hide 127.0.0.1.
     */
    public String addressProblem(String field, String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (allowedNetworks.stream().anyMatch(p -> !p.contains("/") && p.equalsIgnoreCase(h))) return null;
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(h);
        } catch (UnknownHostException e) {
            return field + " host '" + host + "' does not resolve: check the name";
        }
        for (InetAddress a : addresses) {
            String kind = restrictedKind(a);
            if (kind == null) continue;
            boolean allowed = allowedNetworks.stream().filter(p -> p.contains("/")).map(Cidr::parse).anyMatch(c -> c.contains(a));
            if (!allowed) {
                return field + " host '" + host + "' resolves to " + a.getHostAddress() + ", a " + kind + " address that tenants may not reach"
                        + " unless the cluster admin allows it (" + ENV_ALLOWED_NETWORKS + ", chart value tenancy.allowedPrivateNetworks)";
            }
        }
        return null;
    }

    private String restrictedKind(InetAddress a) {
        if (a.isLoopbackAddress()) return "loopback";
        if (a.isAnyLocalAddress()) return "wildcard";
        if (a.isLinkLocalAddress() || LINK_LOCAL_V4.contains(a) || LINK_LOCAL_V6.contains(a) || EC2_METADATA_V6.contains(a)) return "link-local";
        if (serviceNetworks.stream().anyMatch(c -> c.contains(a))) return "cluster Service";
        return null;
    }

    private static boolean hostMatches(String pattern, String host) {
        String p = pattern.toLowerCase(Locale.ROOT);
        if (p.equals("*")) return true;
        if (p.startsWith("*.")) return host.endsWith(p.substring(1));
        return p.equals(host);
    }

    /** An IPv4 or IPv6 network: address and prefix length. */
    public record Cidr(byte[] network, int prefix) {
        public static Cidr parse(String text) {
            int slash = text.indexOf('/');
            if (slash < 0) throw new IllegalArgumentException("not a CIDR: " + text);
            String address = text.substring(0, slash).trim();
            if (!address.matches("[0-9a-fA-F:.]+")) throw new IllegalArgumentException("not a CIDR: " + text);
            try {
                byte[] bytes = InetAddress.getByName(address).getAddress();
                int prefix = Integer.parseInt(text.substring(slash + 1).trim());
                if (prefix < 0 || prefix > bytes.length * 8) throw new IllegalArgumentException("bad prefix: " + text);
                return new Cidr(bytes, prefix);
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("not a CIDR: " + text, e);
            }
        }

        public boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) return false;
            int full = prefix / 8;
            for (int i = 0; i < full; i++) if (a[i] != network[i]) return false;
            int rest = prefix % 8;
            if (rest == 0) return true;
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }
}
