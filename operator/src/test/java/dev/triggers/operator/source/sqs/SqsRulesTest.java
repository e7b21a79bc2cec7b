package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceHealth;
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
        SqsSettings settings = SqsSettings.defaults().withPollThreads(64);
        assertThat(settings.effectiveWait(20, 10)).isEqualTo(20);
        assertThat(settings.effectiveWait(20, 64)).isEqualTo(20);
        assertThat(settings.effectiveWait(20, 128)).isEqualTo(10);
        assertThat(settings.effectiveWait(20, 1000)).isEqualTo(1);
        assertThat(settings.effectiveWait(0, 1000)).isZero();
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        SqsSettings settings = SqsSettings.defaults().withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
        assertThat(List.of(1, 2, 3, 7, 30).stream().map(settings::backoff).map(Duration::toSeconds).toList()).containsExactly(1L, 2L, 4L, 60L, 60L);
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
