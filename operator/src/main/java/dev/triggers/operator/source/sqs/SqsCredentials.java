package dev.triggers.operator.source.sqs;

import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.source.SourceHealth;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * Reads static AWS credentials from a Secret in the Trigger's own namespace (never another one). The
 * values only ever go to the SDK: no message built here contains them.
 */
final class SqsCredentials {
    static final String ACCESS_KEY_ID = "accessKeyId";
    static final String SECRET_ACCESS_KEY = "secretAccessKey";
    static final String SESSION_TOKEN = "sessionToken";

    private SqsCredentials() {}

    /** The Secret's credentials; a {@link SqsProblem} with what to fix when it is missing or incomplete. */
    static AwsCredentials fromSecret(KubernetesClient client, String namespace, String secretName) {
        Secret secret;
        try {
            secret = client.secrets().inNamespace(namespace).withName(secretName).get();
        } catch (KubernetesClientException e) {
            String why = e.getCode() == 403
                    ? "the operator's ServiceAccount may not read Secrets in namespace '" + namespace + "' (check its RBAC)"
                    : "the Kubernetes API answered " + (e.getCode() > 0 ? "HTTP " + e.getCode() : "nothing (unreachable)");
            throw new SqsProblem(SourceHealth.error("CredentialsSecretUnreadable",
                    "cannot read Secret '" + secretName + "' (spec.source.sqs.credentialsSecretRef): " + why + "; retrying"));
        }
        if (secret == null) {
            throw new SqsProblem(SourceHealth.error("CredentialsSecretNotFound",
                    "Secret '" + secretName + "' (spec.source.sqs.credentialsSecretRef) not found in namespace '" + namespace
                            + "': create it with keys " + ACCESS_KEY_ID + " and " + SECRET_ACCESS_KEY
                            + " (and " + SESSION_TOKEN + " for temporary credentials) and the label " + CredentialsSecrets.LABEL + "=true"));
        }
        if (!CredentialsSecrets.optedIn(secret)) {
            // Not read any further: a Trigger must not send an arbitrary Secret of its namespace to an endpoint.
            throw new SqsProblem(SourceHealth.error("CredentialsSecretNotOptedIn",
                    CredentialsSecrets.notOptedInMessage("spec.source.sqs.credentialsSecretRef", namespace, secretName)));
        }
        String accessKeyId = value(secret, ACCESS_KEY_ID);
        String secretAccessKey = value(secret, SECRET_ACCESS_KEY);
        String sessionToken = value(secret, SESSION_TOKEN);
        List<String> missing = new ArrayList<>();
        if (accessKeyId == null) missing.add(ACCESS_KEY_ID);
        if (secretAccessKey == null) missing.add(SECRET_ACCESS_KEY);
        if (!missing.isEmpty()) {
            throw new SqsProblem(SourceHealth.error("CredentialsSecretIncomplete",
                    "Secret '" + secretName + "' in namespace '" + namespace + "' has no (or an empty) " + String.join(" and ", missing)
                            + ": it needs " + ACCESS_KEY_ID + " and " + SECRET_ACCESS_KEY + ", optionally " + SESSION_TOKEN));
        }
        return sessionToken == null
                ? AwsBasicCredentials.create(accessKeyId, secretAccessKey)
                : AwsSessionCredentials.create(accessKeyId, secretAccessKey, sessionToken);
    }

    /** data (base64) first, then stringData (kept as written by API servers that do not merge it). */
    private static String value(Secret secret, String key) {
        Map<String, String> data = secret.getData();
        String raw = null;
        if (data != null && data.get(key) != null) {
            try {
                raw = new String(Base64.getDecoder().decode(data.get(key).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                raw = null;
            }
        }
        if (raw == null && secret.getStringData() != null) raw = secret.getStringData().get(key);
        if (raw == null) return null;
        raw = raw.trim();
        return raw.isEmpty() ? null : raw;
    }
}
