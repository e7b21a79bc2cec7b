package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** An SQS queue, long-polled by the leader; a message is deleted only after its fire succeeded. */
public class SqsSource extends SpecObject {
    @Required
    @Size(max = 1024)
    @JsonPropertyDescription("The queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/deploys.")
    private String queueUrl;

    @Required
    @Size(max = 32)
    @JsonPropertyDescription("The AWS region of the queue, e.g. eu-west-1.")
    private String region;

    @Size(max = 512)
    @JsonPropertyDescription("Override the SQS endpoint (ElasticMQ, LocalStack, a VPC endpoint).")
    private String endpoint;

    @JsonPropertyDescription("A Secret in the Trigger's namespace with accessKeyId, secretAccessKey and optionally sessionToken. Without it: the AWS default credential chain (including IRSA web identity).")
    private SecretRef credentialsSecretRef;

    @Min(0)
    @Max(20)
    @JsonPropertyDescription("Long-poll wait in seconds (0-20). Default 20.")
    private Integer waitTimeSeconds;

    @Min(0)
    @Max(43200)
    @JsonPropertyDescription("Visibility timeout for received messages, in seconds. Default: the queue's own.")
    private Integer visibilityTimeoutSeconds;

    public String getQueueUrl() { return queueUrl; }
    public void setQueueUrl(String queueUrl) { this.queueUrl = queueUrl; }
    public String getRegion() { return region; }
    public void setRegion(String region) { this.region = region; }
    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public SecretRef getCredentialsSecretRef() { return credentialsSecretRef; }
    public void setCredentialsSecretRef(SecretRef credentialsSecretRef) { this.credentialsSecretRef = credentialsSecretRef; }
    public Integer getWaitTimeSeconds() { return waitTimeSeconds; }
    public void setWaitTimeSeconds(Integer waitTimeSeconds) { this.waitTimeSeconds = waitTimeSeconds; }
    public Integer getVisibilityTimeoutSeconds() { return visibilityTimeoutSeconds; }
    public void setVisibilityTimeoutSeconds(Integer visibilityTimeoutSeconds) { this.visibilityTimeoutSeconds = visibilityTimeoutSeconds; }
}
