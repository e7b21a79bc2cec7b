package dev.triggers.operator.source.sqs;

import dev.triggers.operator.source.SourceHealth;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleWithWebIdentityCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * Workload identity for one Trigger: a token of a ServiceAccount of the Trigger's own namespace
 * (Kubernetes TokenRequest, audience sts.amazonaws.com) is exchanged for role credentials with STS
 * AssumeRoleWithWebIdentity. The SDK's provider caches the session and refreshes it before it expires,
 * asking for a fresh token each time. Failures become a {@link SqsProblem} that says what to fix; the
 * token itself never appears in a message or a log.
 */
final class WebIdentityCredentials implements AwsCredentialsProvider, SdkAutoCloseable {
    static final String AUDIENCE = "sts.amazonaws.com";
    static final long TOKEN_SECONDS = 3600;
    static final int SESSION_SECONDS = 3600;
    /** STS limit on RoleSessionName. */
    static final int MAX_SESSION_NAME = 64;

    private final KubernetesClient client;
    private final String namespace;
    private final String serviceAccount;
    private final String roleArn;
    private final StsAssumeRoleWithWebIdentityCredentialsProvider sts;

    WebIdentityCredentials(StsClient stsClient, KubernetesClient client, String namespace, String serviceAccount, String roleArn, String session) {
        this.client = client;
        this.namespace = namespace;
        this.serviceAccount = serviceAccount;
        this.roleArn = roleArn;
        // The supplier runs at every refresh: a fresh token each time, never one kept for later.
        this.sts = StsAssumeRoleWithWebIdentityCredentialsProvider.builder().stsClient(stsClient)
                .refreshRequest(() -> AssumeRoleWithWebIdentityRequest.builder().roleArn(roleArn).roleSessionName(session)
                        .durationSeconds(SESSION_SECONDS).webIdentityToken(token()).build())
                .build();
    }

    /** trigger-operator.<namespace>.<name>, cut to STS's 64 characters with a hash so that it stays unique. */
    static String sessionName(String namespace, String trigger) {
        String full = "trigger-operator." + namespace + "." + trigger;
        if (full.length() <= MAX_SESSION_NAME) return full;
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(full.getBytes(StandardCharsets.UTF_8));
            String suffix = "." + HexFormat.of().formatHex(hash, 0, 4);
            return full.substring(0, MAX_SESSION_NAME - suffix.length()) + suffix;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public AwsCredentials resolveCredentials() {
        try {
            return sts.resolveCredentials();
        } catch (RuntimeException e) {
            throw new SqsProblem(health(e));
        }
    }

    @Override
    public void close() {
        sts.close();
    }

    private String token() {
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withAudiences(AUDIENCE).withExpirationSeconds(TOKEN_SECONDS).endSpec().build();
        TokenRequest answer;
        try {
            answer = client.serviceAccounts().inNamespace(namespace).withName(serviceAccount).tokenRequest(request);
        } catch (KubernetesClientException e) {
            throw new SqsProblem(tokenRequestFailed(e.getCode()));
        }
        String token = answer == null || answer.getStatus() == null ? null : answer.getStatus().getToken();
        if (token == null || token.isBlank()) {
            throw new SqsProblem(SourceHealth.error("ServiceAccountTokenFailed", "the Kubernetes API returned no token for ServiceAccount '"
                    + serviceAccount + "' in namespace '" + namespace + "'; retrying"));
        }
        return token;
    }

    private SourceHealth tokenRequestFailed(int code) {
        String sa = "ServiceAccount '" + serviceAccount + "' (spec.source.sqs.serviceAccountName)";
        if (code == 404) {
            return SourceHealth.error("ServiceAccountNotFound", sa + " not found in namespace '" + namespace + "': create it (kubectl create serviceaccount -n "
                    + namespace + " " + serviceAccount + ") or name one that exists; the role's trust policy must allow system:serviceaccount:"
                    + namespace + ":" + serviceAccount);
        }
        if (code == 403) {
            return SourceHealth.error("ServiceAccountTokenForbidden", "the operator may not request a token for " + sa + " in namespace '" + namespace
                    + "': its ServiceAccount lacks create on serviceaccounts/token (the chart's ClusterRole grants it: check the operator's RBAC)");
        }
        return SourceHealth.error("ServiceAccountTokenFailed", "requesting a token for " + sa + " in namespace '" + namespace + "' failed: the Kubernetes API answered "
                + (code > 0 ? "HTTP " + code : "nothing (unreachable)") + "; retrying");
    }

    /** STS's answer, for a person: AWS's error code and what to change; never the token. */
    private SourceHealth health(RuntimeException e) {
        SqsProblem problem = SqsErrors.find(e, SqsProblem.class);
        if (problem != null) return problem.health();
        String subject = "system:serviceaccount:" + namespace + ":" + serviceAccount;
        StsException sts = SqsErrors.find(e, StsException.class);
        if (sts != null) {
            String code = sts.awsErrorDetails() != null && sts.awsErrorDetails().errorCode() != null ? sts.awsErrorDetails().errorCode() : "HTTP " + sts.statusCode();
            if ("AccessDenied".equals(code) || sts.statusCode() == 403) {
                return SourceHealth.error("AssumeRoleDenied", "STS refused to let ServiceAccount '" + serviceAccount + "' of namespace '" + namespace
                        + "' assume role " + roleArn + " (AWS error " + code + "): the role's trust policy does not allow this namespace's ServiceAccount;"
                        + " allow sts:AssumeRoleWithWebIdentity for the cluster's OIDC provider with conditions <issuer>:aud = " + AUDIENCE
                        + " and <issuer>:sub = " + subject);
            }
            if ("InvalidIdentityToken".equals(code) || "IDPRejectedClaim".equals(code)) {
                return SourceHealth.error("AssumeRoleDenied", "STS rejected the token of ServiceAccount '" + serviceAccount + "' for role " + roleArn
                        + " (AWS error " + code + "): register the cluster's OIDC issuer as an IAM identity provider in the role's account,"
                        + " with audience " + AUDIENCE);
            }
            return SourceHealth.error("AssumeRoleFailed", "STS AssumeRoleWithWebIdentity for role " + roleArn + " failed (AWS error " + code + "); retrying");
        }
        Throwable root = SqsErrors.root(e);
        String what = e instanceof SdkClientException ? root.getClass().getSimpleName() + ": " + root.getMessage() : e.getClass().getSimpleName();
        return SourceHealth.error("StsUnreachable", "cannot get role credentials from STS for role " + roleArn + " (" + what
                + "): check that the operator reaches STS (setting " + SqsSettings.ENV_STS_ENDPOINT + ", chart value tenancy.awsStsEndpoint); retrying");
    }
}
