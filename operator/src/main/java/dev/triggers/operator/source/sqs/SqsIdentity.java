package dev.triggers.operator.source.sqs;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Where one Trigger's AWS credentials come from: a credentials Secret of its namespace, a role assumed
 * with a ServiceAccount of its namespace, or (only where the cluster admin allows it) the operator's own
 * identity. Clients are told apart by {@link #key()}, which never holds a secret value.
 *
 * @param key what makes two Triggers share a client (a hash for a Secret's values)
 * @param description for messages: where the credentials come from, never what they are
 * @param factory makes the provider once, with the client; null for the operator's default chain
 */
record SqsIdentity(String key, String description, Function<SqsClients, AwsCredentialsProvider> factory) {

    static SqsIdentity secret(String secretName, AwsCredentials credentials) {
        return new SqsIdentity("secret:" + SqsClients.fingerprint(credentials), "the credentials in Secret '" + secretName + "'",
                clients -> StaticCredentialsProvider.create(credentials));
    }

    static SqsIdentity operator() {
        return new SqsIdentity("default-chain", "the operator's AWS identity (default credential chain)", null);
    }

    /** A session of its own per Trigger: the session name names the Trigger in CloudTrail. */
    static SqsIdentity role(KubernetesClient client, String namespace, String trigger, String region, String roleArn, String serviceAccount) {
        String session = WebIdentityCredentials.sessionName(namespace, trigger);
        return new SqsIdentity("role:" + region + "/" + namespace + "/" + serviceAccount + "/" + roleArn + "/" + session,
                "role " + roleArn + " assumed with ServiceAccount '" + serviceAccount + "' of namespace '" + namespace + "'",
                clients -> new WebIdentityCredentials(clients.sts(region), client, namespace, serviceAccount, roleArn, session));
    }

    boolean isDefaultChain() {
        return factory == null;
    }

    AwsCredentialsProvider provider(SqsClients clients) {
        return factory.apply(clients);
    }
}
