package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.model.SqsException;

/** The SQS source's pure decisions: spec checks, error messages, the poll wait and the backoff. */
class SqsRulesTest {
    static final String QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/deploys";

    @Test
    void aValidSpecHasNoProblems() {
        assertThat(problems(s -> {})).isEmpty();
        assertThat(problems(s -> { s.setEndpoint("http://localhost:9324"); s.setWaitTimeSeconds(0); s.setVisibilityTimeoutSeconds(60); })).isEmpty();
        assertThat(problems(s -> s.setRegion("us-gov-west-1"))).hasSize(1); // valid name, but not the queue URL's region
    }

    @Test
    void specProblemsSayWhatToFix() {
        assertThat(problems(s -> s.setRegion("Ireland"))).singleElement().asString().contains("'Ireland' is not an AWS region name");
        assertThat(problems(s -> s.setRegion("us-east-1"))).singleElement().asString()
                .contains("queueUrl is in region eu-west-1 but spec.source.sqs.region is us-east-1");
        assertThat(problems(s -> s.setQueueUrl("deploys"))).singleElement().asString().contains("is not an http(s) URL");
        assertThat(problems(s -> s.setQueueUrl("https://sqs.eu-west-1.amazonaws.com/"))).singleElement().asString().contains("names no queue");
        assertThat(problems(s -> s.setVisibilityTimeoutSeconds(0))).singleElement().asString().contains("between 1 and 43200");
        assertThat(problems(s -> s.setWaitTimeSeconds(21))).singleElement().asString().contains("between 0 and 20");
    }

    @Test
    void awsErrorsBecomeReasonsWithTheAwsCode() {
        assertThat(classify(aws("QueueDoesNotExist", 400, "The specified queue does not exist."))).extracting(SourceHealth::reason).isEqualTo("QueueNotFound");
        SourceHealth denied = classify(aws("AccessDenied", 403, "User arn:aws:iam::1:user/x is not authorized"));
        assertThat(denied.reason()).isEqualTo("AccessDenied");
        assertThat(denied.message()).contains("AWS error AccessDenied").contains("sqs:ReceiveMessage").contains("sqs:DeleteMessage")
                .contains("sqs:ChangeMessageVisibility").contains("sqs:GetQueueAttributes").contains("Secret 'aws'");
        SourceHealth signature = classify(aws("SignatureDoesNotMatch", 403, "Credential=AKIDLEAKED/20260101/eu-west-1/sqs"));
        assertThat(signature.reason()).isEqualTo("InvalidCredentials");
        assertThat(signature.message()).contains("SignatureDoesNotMatch").doesNotContain("AKIDLEAKED");
        assertThat(classify(aws("ServiceUnavailable", 503, "try later")).reason()).isEqualTo("SqsUnavailable");
    }

    @Test
    void transportErrorsSayWhichEndpoint() {
        SourceHealth refused = classify(SdkClientException.create("Unable to execute HTTP request", new ConnectException("Connection refused")));
        assertThat(refused.reason()).isEqualTo("EndpointUnreachable");
        assertThat(refused.message()).contains("https://sqs.eu-west-1.amazonaws.com").contains("Connection refused");
        SourceHealth unknownHost = classify(SdkClientException.create("Unable to execute HTTP request", new UnknownHostException("sqs.eu-wst-1.amazonaws.com")));
        assertThat(unknownHost.message()).contains("check spec.source.sqs.region");
        assertThat(classify(SdkClientException.create("Unable to load credentials from any of the providers in the chain")).reason())
                .isEqualTo("NoCredentials");
    }

    @Test
    void morePollersThanThreadsShortenTheWaitSoEachQueueIsStillPolledOncePerWait() {
        SqsSettings settings = SqsSettings.defaults().with(s -> s.pollThreads = 64);
        assertThat(settings.effectiveWait(20, 10)).isEqualTo(20);
        assertThat(settings.effectiveWait(20, 64)).isEqualTo(20);
        assertThat(settings.effectiveWait(20, 128)).isEqualTo(10);
        assertThat(settings.effectiveWait(20, 1000)).isEqualTo(1);
        assertThat(settings.effectiveWait(0, 1000)).isZero();
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        SqsSettings settings = SqsSettings.defaults().with(s -> { s.initialBackoff = Duration.ofSeconds(1); s.maxBackoff = Duration.ofSeconds(60); });
        assertThat(List.of(1, 2, 3, 7, 30).stream().map(settings::backoff).map(Duration::toSeconds).toList()).containsExactly(1L, 2L, 4L, 60L, 60L);
    }

    static final String ROLE = "arn:aws:iam::123456789012:role/deployer";

    @Test
    void workloadIdentityNeedsBothFieldsAndNoSecret() {
        assertThat(problems(s -> { s.setCredentialsSecretRef(null); s.setRoleArn(ROLE); s.setServiceAccountName("deployer"); })).isEmpty();
        assertThat(problems(s -> { s.setCredentialsSecretRef(null); s.setRoleArn("arn:aws-us-gov:iam::123456789012:role/path/deployer"); s.setServiceAccountName("deployer"); }))
                .isEmpty();
        assertThat(problems(s -> { s.setCredentialsSecretRef(null); s.setRoleArn(ROLE); })).singleElement().asString()
                .contains("roleArn needs spec.source.sqs.serviceAccountName");
        assertThat(problems(s -> { s.setCredentialsSecretRef(null); s.setServiceAccountName("deployer"); })).singleElement().asString()
                .contains("serviceAccountName is only used with spec.source.sqs.roleArn");
        assertThat(problems(s -> { s.setRoleArn(ROLE); s.setServiceAccountName("deployer"); })).singleElement().asString()
                .contains("both credentialsSecretRef and roleArn");
        assertThat(problems(s -> { s.setCredentialsSecretRef(null); s.setRoleArn("arn:aws:iam::123:user/me"); s.setServiceAccountName("deployer"); }))
                .singleElement().asString().contains("is not an IAM role ARN");
        assertThat(problems(s -> { s.setCredentialsSecretRef(null); s.setRoleArn(ROLE); s.setServiceAccountName("Deployer!"); }))
                .singleElement().asString().contains("is not a ServiceAccount name");
    }

    @Test
    void theCrdCarriesTheSameRulesForTheApiServer() throws Exception {
        String crd;
        try (var in = SqsRulesTest.class.getClassLoader().getResourceAsStream(MockCluster.CRD_RESOURCE)) {
            crd = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        JSONSchemaProps sqs = new KubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class).getSpec().getVersions().get(0)
                .getSchema().getOpenAPIV3Schema().getProperties().get("spec").getProperties().get("source").getProperties().get("sqs");
        assertThat(sqs.getXKubernetesValidations()).extracting(ValidationRule::getRule).contains(
                "!has(self.roleArn) || has(self.serviceAccountName)", "!(has(self.roleArn) && has(self.credentialsSecretRef))");
        assertThat(sqs.getProperties().get("roleArn").getPattern()).isEqualTo(SqsSource.ROLE_ARN_PATTERN);
        assertThat(sqs.getProperties().get("roleArn").getMaxLength()).isEqualTo(2048L);
        assertThat(sqs.getProperties().get("serviceAccountName").getMaxLength()).isEqualTo(253L);
    }

    @Test
    void theSessionNameNamesTheTriggerWithinStsLimit() {
        assertThat(WebIdentityCredentials.sessionName("shop", "deploy-on-message")).isEqualTo("trigger-operator.shop.deploy-on-message");
        String a = WebIdentityCredentials.sessionName("a-rather-long-namespace-name", "a-rather-long-trigger-name-number-one");
        String b = WebIdentityCredentials.sessionName("a-rather-long-namespace-name", "a-rather-long-trigger-name-number-two");
        assertThat(a).hasSize(64).startsWith("trigger-operator.a-rather-long-namespace-name.").matches("[\\w+=,.@-]+");
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void privateEndpointsPassOnlyWhenTheAdminAllowsThem() {
        TenantPolicy closed = TenantPolicy.closed();
        TenantPolicy allowed = TenantPolicy.fromEnv(Map.of(TenantPolicy.ENV_SQS_ALLOWED_ENDPOINTS, "169.254.169.254,10.96.0.1,127.0.0.1",
                TenantPolicy.ENV_ALLOWED_NETWORKS, "169.254.169.254/32,10.96.0.0/12,127.0.0.1/32")::get);
        for (String endpoint : List.of("http://169.254.169.254", "http://10.96.0.1:9324", "http://127.0.0.1:9324")) {
            assertThat(SqsPoller.endpointProblem(closed, endpoint)).as(endpoint).contains("is not an AWS SQS endpoint");
            assertThat(SqsPoller.endpointProblem(allowed, endpoint)).as(endpoint).isNull();
        }
        // Listed as a host but not as a network: refused on the address.
        TenantPolicy hostOnly = TenantPolicy.fromEnv(Map.of(TenantPolicy.ENV_SQS_ALLOWED_ENDPOINTS, "169.254.169.254")::get);
        assertThat(SqsPoller.endpointProblem(hostOnly, "http://169.254.169.254")).contains("link-local");
        // No endpoint: the SDK's own for the region, nothing to check.
        assertThat(SqsPoller.endpointProblem(closed, null)).isNull();
    }

    @Test
    void onlySqsHostsOfAwsPassWithoutTheAdmin() {
        TenantPolicy closed = TenantPolicy.closed();
        for (String host : List.of("sqs.eu-west-1.amazonaws.com", "sqs-fips.us-east-1.amazonaws.com", "sqs.us-gov-west-1.amazonaws.com",
                "sqs.cn-north-1.amazonaws.com.cn", "sqs.eu-west-1.api.aws", "eu-west-1.queue.amazonaws.com",
                "vpce-0123456789abcdef0-abcdefgh.sqs.eu-west-1.vpce.amazonaws.com")) {
            assertThat(closed.sqsEndpointProblem("spec.source.sqs.endpoint", host)).as(host).doesNotContain("is not an AWS SQS endpoint");
        }
        // Other AWS names resolve to whatever their name or owner says (an EC2 name to 10.0.0.5, a tenant's load balancer).
        for (String host : List.of("ec2-10-0-0-5.eu-west-1.compute.amazonaws.com", "internal-shop.eu-west-1.elb.amazonaws.com",
                "sqs.eu-west-1.amazonaws.com.evil.example", "s3.amazonaws.com")) {
            assertThat(closed.sqsEndpointProblem("spec.source.sqs.endpoint", host)).as(host).contains("is not an AWS SQS endpoint");
        }
    }

    @Test
    void theStsEndpointIsASettingOfTheAdmin() {
        assertThat(SqsSettings.fromEnv(Map.of()).stsEndpoint()).isNull();
        assertThat(SqsSettings.fromEnv(Map.of("AWS_STS_ENDPOINT", "https://sts.eu-west-1.amazonaws.com")).stsEndpoint())
                .hasToString("https://sts.eu-west-1.amazonaws.com");
        assertThatThrownBy(() -> SqsSettings.fromEnv(Map.of("AWS_STS_ENDPOINT", "sts"))).hasMessage("AWS_STS_ENDPOINT=sts: expected an http or https URL such as https://sts.eu-west-1.amazonaws.com");
    }

    static SourceHealth classify(Throwable e) {
        return SqsErrors.classify(e, QUEUE, "https://sqs.eu-west-1.amazonaws.com", "the credentials in Secret 'aws'");
    }

    static AwsServiceException aws(String code, int status, String message) {
        return SqsException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build()).message(message).build();
    }

    static List<String> problems(Consumer<SqsSource> change) {
        Trigger t = SqsTriggers.redeployOnQueue("shop", "t", "web", QUEUE, null);
        t.getSpec().getSource().getSqs().setWaitTimeSeconds(null);
        change.accept(t.getSpec().getSource().getSqs());
        try (SqsSourceFactory factory = new SqsSourceFactory(SqsSettings.defaults(), new SimpleMeterRegistry())) {
            return factory.validate(t);
        }
    }
}
