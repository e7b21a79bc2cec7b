package dev.triggers.operator.source.sqs;

import dev.triggers.operator.source.SourceHealth;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * Turns an SQS call's failure into the source's health: a CamelCase reason, the AWS error code and what
 * to do. Credential errors never carry AWS's own message (a signature mismatch can echo the key id).
 */
final class SqsErrors {
    private static final Set<String> QUEUE_MISSING = Set.of("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue");
    private static final Set<String> ACCESS_DENIED = Set.of("AccessDenied", "AccessDeniedException", "KMS.AccessDeniedException");
    private static final Set<String> BAD_CREDENTIALS = Set.of("InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
            "InvalidSignatureException", "IncompleteSignature", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId",
            "InvalidSecurity", "MissingAuthenticationToken");

    private SqsErrors() {}

    /**
     * @param queueUrl the queue, as in the spec
     * @param endpoint where the calls go (spec endpoint, or the region's)
     * @param credentials where the credentials come from, for the message (a Secret's name or the default chain)
     */
    static SourceHealth classify(Throwable error, String queueUrl, String endpoint, String credentials) {
        // A problem of ours, e.g. from the credentials provider in the middle of an SQS call.
        SqsProblem problem = find(error, SqsProblem.class);
        if (problem != null) return problem.health();
        if (error instanceof AwsServiceException e) {
            String code = e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null ? e.awsErrorDetails().errorCode() : "HTTP " + e.statusCode();
            if (e instanceof QueueDoesNotExistException || QUEUE_MISSING.contains(code)) {
                return SourceHealth.error("QueueNotFound", "SQS queue " + queueUrl + " does not exist (AWS error " + code
                        + "): check spec.source.sqs.queueUrl and region, or create the queue");
            }
            if (ACCESS_DENIED.contains(code) || (e.statusCode() == 403 && !BAD_CREDENTIALS.contains(code))) {
                return SourceHealth.error("AccessDenied", "access to SQS queue " + queueUrl + " denied (AWS error " + code + ") for " + credentials
                        + ": allow sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes on it"
                        + " (and kms:Decrypt if the queue is encrypted with a customer key)");
            }
            if (BAD_CREDENTIALS.contains(code)) {
                return SourceHealth.error("InvalidCredentials", "SQS rejected " + credentials + " (AWS error " + code
                        + "): check the access key, secret key and session token (expired?); retrying");
            }
            if (e.isThrottlingException() || e.statusCode() >= 500) {
                return SourceHealth.error("SqsUnavailable", "SQS answered " + code + " for " + queueUrl + "; retrying with backoff");
            }
            return SourceHealth.error("SqsError", "SQS call on " + queueUrl + " failed (AWS error " + code + "): " + shortMessage(e));
        }
        Throwable root = root(error);
        if (error instanceof SdkClientException && String.valueOf(error.getMessage()).contains("Unable to load credentials")) {
            return SourceHealth.error("NoCredentials", "no AWS credentials for " + queueUrl
                    + ": set spec.source.sqs.credentialsSecretRef or roleArn, or give the operator's pod an AWS identity"
                    + " (IRSA: the eks.amazonaws.com/role-arn annotation on its ServiceAccount)");
        }
        if (root instanceof UnknownHostException) {
            return SourceHealth.error("EndpointUnreachable", "cannot resolve SQS endpoint " + endpoint + " (UnknownHost " + root.getMessage()
                    + "): check spec.source.sqs.region and endpoint; retrying with backoff");
        }
        if (root instanceof ConnectException || root instanceof SocketTimeoutException || root instanceof IOException) {
            return SourceHealth.error("EndpointUnreachable", "cannot reach SQS endpoint " + endpoint + " (" + root.getClass().getSimpleName()
                    + ": " + root.getMessage() + "): check spec.source.sqs.endpoint and that the network allows it; retrying with backoff");
        }
        return SourceHealth.error("SqsError", "SQS call on " + queueUrl + " failed (" + root.getClass().getSimpleName() + ": "
                + root.getMessage() + "); retrying with backoff");
    }

    private static String shortMessage(AwsServiceException e) {
        String m = e.awsErrorDetails() != null ? e.awsErrorDetails().errorMessage() : null;
        if (m == null) return "no details";
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }

    /** The first throwable of this type in the cause chain, or null. */
    static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) return type.cast(t);
        }
        return null;
    }

    static Throwable root(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
