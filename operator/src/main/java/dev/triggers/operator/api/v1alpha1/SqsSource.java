package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** An SQS queue, long-polled by the leader; a message is deleted only after its fire succeeded. */
@ValidationRule(value = "!has(self.roleArn) || has(self.serviceAccountName)",
        message = "serviceAccountName is required with roleArn: the ServiceAccount of this namespace whose token assumes the role")
@ValidationRule(value = "!has(self.serviceAccountName) || has(self.roleArn)",
        message = "serviceAccountName is only used with roleArn: set roleArn too, or remove it")
@ValidationRule(value = "!(has(self.roleArn) && has(self.credentialsSecretRef))",
        message = "set either credentialsSecretRef or roleArn, not both")
public class SqsSource extends SpecObject {
    /** What the CRD and the operator accept as an IAM role ARN (any AWS partition). */
    public static final String ROLE_ARN_PATTERN = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+";

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

    @JsonPropertyDescription("A Secret in the Trigger's namespace with accessKeyId, secretAccessKey and optionally sessionToken; it must carry the label triggers.dev/credentials=true."
            + " Without it and without roleArn: the operator's own AWS identity, only in namespaces the cluster admin listed.")
    private SecretRef credentialsSecretRef;

    @Size(max = 2048)
    @Pattern(ROLE_ARN_PATTERN)
    @JsonPropertyDescription("An IAM role to assume with the token of serviceAccountName (workload identity, AssumeRoleWithWebIdentity, audience sts.amazonaws.com)."
            + " The role's trust policy must allow system:serviceaccount:<namespace>:<serviceAccountName>.")
    private String roleArn;

    @Size(max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @JsonPropertyDescription("A ServiceAccount of the Trigger's own namespace whose token assumes roleArn; required with roleArn.")
    private String serviceAccountName;

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
    public String getRoleArn() { return roleArn; }
    public void setRoleArn(String roleArn) { this.roleArn = roleArn; }
    public String getServiceAccountName() { return serviceAccountName; }
    public void setServiceAccountName(String serviceAccountName) { this.serviceAccountName = serviceAccountName; }
    public Integer getWaitTimeSeconds() { return waitTimeSeconds; }
    public void setWaitTimeSeconds(Integer waitTimeSeconds) { this.waitTimeSeconds = waitTimeSeconds; }
    public Integer getVisibilityTimeoutSeconds() { return visibilityTimeoutSeconds; }
    public void setVisibilityTimeoutSeconds(Integer visibilityTimeoutSeconds) { this.visibilityTimeoutSeconds = visibilityTimeoutSeconds; }
}
