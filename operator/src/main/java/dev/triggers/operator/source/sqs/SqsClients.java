package dev.triggers.operator.source.sqs;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * SQS clients shared between Triggers: one per (region, endpoint, identity), reference-counted, all
 * on one JDK URL-connection HTTP client. Triggers on the default credential chain share one client per
 * region, so 1 000 Triggers cost a handful of clients, not 1 000. Also holds the STS clients (one per
 * region) that workload-identity Triggers assume their role with.
 */
final class SqsClients implements AutoCloseable {
    /** Above the longest long poll (20 s), so a poll is never cut by the socket timeout. */
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final AbortableHttpClient http = new AbortableHttpClient(UrlConnectionHttpClient.builder()
            .socketTimeout(SOCKET_TIMEOUT).connectionTimeout(CONNECT_TIMEOUT).build());
    private final Map<Key, Shared> clients = new HashMap<>();
    private final Map<String, StsClient> sts = new HashMap<>();
    private final URI stsEndpoint;
    private DefaultCredentialsProvider defaultChain;

    /** @param stsEndpoint where AssumeRoleWithWebIdentity goes; null: AWS's regional STS endpoint */
    SqsClients(URI stsEndpoint) {
        this.stsEndpoint = stsEndpoint;
    }

    /** A client for these settings and identity; the identity's provider is made (once) with the client. */
    synchronized Lease acquire(String region, String endpoint, SqsIdentity identity) {
        Key key = new Key(region, endpoint, identity.key());
        Shared shared = clients.get(key);
        if (shared == null) {
            AwsCredentialsProvider provider = identity.isDefaultChain() ? defaultChain() : identity.provider(this);
            shared = new Shared(key, build(region, endpoint, provider), provider, !identity.isDefaultChain());
            clients.put(key, shared);
        }
        shared.references++;
        return new Lease(shared);
    }

    /** The STS client of a region (AssumeRoleWithWebIdentity is not signed: anonymous credentials). */
    synchronized StsClient sts(String region) {
        return sts.computeIfAbsent(region, r -> {
            var builder = StsClient.builder().httpClient(http).region(Region.of(r))
                    .credentialsProvider(AnonymousCredentialsProvider.create());
            if (stsEndpoint != null) builder.endpointOverride(stsEndpoint);
            return builder.build();
        });
    }

    /** Cuts the SQS call the thread is blocked in (a long poll), if any. */
    void abort(Thread thread) {
        http.abort(thread);
    }

    void clearAbort(Thread thread) {
        http.clearAbort(thread);
    }

    synchronized int size() {
        return clients.size();
    }

    private SqsClient build(String region, String endpoint, AwsCredentialsProvider provider) {
        var builder = SqsClient.builder()
                .httpClient(http)
                .region(Region.of(region))
                .credentialsProvider(provider)
                // Our own backoff retries; the SDK's retries would only hide an outage for longer.
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(2)));
        if (endpoint != null && !endpoint.isBlank()) builder.endpointOverride(URI.create(endpoint));
        return builder.build();
    }

    private DefaultCredentialsProvider defaultChain() {
        if (defaultChain == null) defaultChain = DefaultCredentialsProvider.builder().build();
        return defaultChain;
    }

    private synchronized void release(Shared shared) {
        if (--shared.references > 0) return;
        clients.remove(shared.key);
        shared.close();
    }

    @Override
    public synchronized void close() {
        clients.values().forEach(Shared::close);
        clients.clear();
        sts.values().forEach(StsClient::close);
        sts.clear();
        if (defaultChain != null) defaultChain.close();
        http.close();
    }

    /** A hash of the credentials: clients are told apart without keeping the values in a key. */
    static String fingerprint(AwsCredentials credentials) {
        String token = credentials instanceof AwsSessionCredentials s ? s.sessionToken() : "";
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {credentials.accessKeyId(), credentials.secretAccessKey(), token}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Key(String region, String endpoint, String credentialsFingerprint) {}

    private static final class Shared {
        final Key key;
        final SqsClient client;
        final AwsCredentialsProvider provider;
        /** Whether the provider is this client's own (a role session), closed with it; the default chain is shared. */
        final boolean ownsProvider;
        int references;

        Shared(Key key, SqsClient client, AwsCredentialsProvider provider, boolean ownsProvider) {
            this.key = key;
            this.client = client;
            this.provider = provider;
            this.ownsProvider = ownsProvider;
        }

        void close() {
            client.close();
            if (ownsProvider && provider instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    // nothing held but a cached session
                }
            }
        }
    }

    /** One user's hold on a shared client; close it once, when done with the client. */
    final class Lease implements AutoCloseable {
        private final Shared shared;
        private boolean closed;

        private Lease(Shared shared) {
            this.shared = shared;
        }

        SqsClient client() {
            return shared.client;
        }

        /** The provider the client signs with (to resolve credentials up front and see errors early). */
        AwsCredentialsProvider credentials() {
            return shared.provider;
        }

        /** Another hold on the same client (e.g. for a batch that outlives the poller). */
        Lease retain() {
            synchronized (SqsClients.this) {
                shared.references++;
                return new Lease(shared);
            }
        }

        @Override
        public void close() {
            synchronized (SqsClients.this) {
                if (closed) return;
                closed = true;
                release(shared);
            }
        }
    }
}
