package dev.triggers.operator.source.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.config.TenantPolicy;
import dev.triggers.operator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * roleArn + serviceAccountName with the real parts: the mock API server answers the TokenRequest (the
 * CRUD mock does not mint tokens, so that one path is served by an expectation, as a real API server
 * would answer it), a loopback STS answers AssumeRoleWithWebIdentity, ElasticMQ serves the queue behind
 * a forwarder that records who signed each SQS call. The namespace is not granted the operator's own
 * identity: only the role can make it work.
 */
class SqsWorkloadIdentityTest {
    static final String NS = "shop";
    static final String TRIGGER = "deploy-on-message";
    static final String ROLE = "arn:aws:iam::123456789012:role/shop-deployer";
    static final String SA = "deployer";

    ElasticMq elasticMq;
    MockCluster cluster;
    LoopbackSts sts;
    SigningRecorder sqsCalls;
    final List<String> minted = new CopyOnWriteArrayList<>();
    final List<TokenRequest> tokenRequests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        elasticMq = ElasticMq.start();
        sqsCalls = new SigningRecorder(elasticMq.endpoint());
        cluster = MockCluster.start();
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        cluster.client().serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata().withName(SA).endMetadata().build()).create();
        cluster.server().expect().post().withPath(tokenPath(SA)).andReply(201, request -> {
            TokenRequest asked = cluster.client().getKubernetesSerialization().unmarshal(request.getUtf8Body(), TokenRequest.class);
            tokenRequests.add(asked);
            String token = "eyJhbGciOiJSUzI1NiJ9.serviceaccount-" + SA + "-" + (minted.size() + 1) + ".signature";
            minted.add(token);
            return new TokenRequestBuilder(asked).withNewStatus().withToken(token)
                    .withExpirationTimestamp(Instant.now().plusSeconds(3600).toString()).endStatus().build();
        }).always();
        sts = new LoopbackSts(ROLE, minted::contains);
        SqsSourceFactory sqs = new SqsSourceFactory(SqsSettings.defaults().with(s -> {
            s.initialBackoff = Duration.ofMillis(200);
            s.maxBackoff = Duration.ofSeconds(1);
            s.stsEndpoint = sts.endpoint();
        }), new SimpleMeterRegistry());
        // Endpoints open (ElasticMQ is on loopback), the operator's own AWS identity granted nowhere.
        OperatorConfig config = MockCluster.testConfig().with(c -> c.tenancy = new TenantPolicy(Set.of(), List.of("*"), List.of("0.0.0.0/0", "::/0"), List.of()));
        cluster.startOperator(config, Clock.systemUTC(), List.of(sqs));
    }

    @AfterEach
    void stop() {
        cluster.close();
        sts.close();
        sqsCalls.close();
        elasticMq.close();
    }

    @Test
    void theRoleIsAssumedWithTheServiceAccountsTokenAndItsCredentialsSignTheSqsCalls() {
        String queueUrl = elasticMq.createQueue("deploys", 30);
        cluster.create(roleTrigger(queueUrl, SA));
        SqsAwait.status(cluster, NS, TRIGGER, TriggerStatus.READY);

        String messageId = elasticMq.send(queueUrl, "image pushed");
        await().untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_ID, messageId));
        await().untilAsserted(() -> assertThat(elasticMq.messagesLeft(queueUrl)).isZero());

        // The TokenRequest: the Trigger's own namespace and ServiceAccount, for STS.
        assertThat(tokenRequests).isNotEmpty();
        assertThat(tokenRequests.get(0).getSpec().getAudiences()).containsExactly("sts.amazonaws.com");
        assertThat(tokenRequests.get(0).getSpec().getExpirationSeconds()).isEqualTo(3600L);
        // STS got that token, the role, and a session that names the Trigger.
        assertThat(sts.problems()).isEmpty();
        assertThat(sts.calls()).hasSize(1);
        Map<String, String> assume = sts.calls().get(0);
        assertThat(assume).containsEntry("RoleArn", ROLE).containsEntry("WebIdentityToken", minted.get(0))
                .containsEntry("RoleSessionName", "trigger-operator.shop.deploy-on-message").containsEntry("DurationSeconds", "3600");
        // Every SQS call, receive and delete included, was signed with the credentials STS handed out.
        assertThat(sqsCalls.calls()).extracting(SigningRecorder.Signed::target)
                .contains("AmazonSQS.GetQueueAttributes", "AmazonSQS.ReceiveMessage", "AmazonSQS.DeleteMessageBatch");
        assertThat(sqsCalls.calls()).allSatisfy(call -> assertThat(call)
                .extracting(SigningRecorder.Signed::accessKeyId, SigningRecorder.Signed::sessionToken)
                .containsExactly(LoopbackSts.accessKeyId(1), LoopbackSts.sessionToken(1)));
        // Neither the token nor the role's secrets reach the status.
        String status = cluster.client().getKubernetesSerialization().asJson(cluster.trigger(NS, TRIGGER).getStatus());
        assertThat(status).doesNotContain(minted.get(0)).doesNotContain("loopback-secret").doesNotContain(LoopbackSts.sessionToken(1));
    }

    @Test
    void credentialsAreRefreshedBeforeTheyExpireWithAFreshToken() {
        // The SDK's provider fetches anew from 5 min before a session expires (blocking 1 min before): a 62 s session is
        // inside that window at once, so each use refreshes it.
        sts.lifetime(Duration.ofSeconds(62));
        String queueUrl = elasticMq.createQueue("deploys", 30);
        cluster.create(roleTrigger(queueUrl, SA));
        SqsAwait.status(cluster, NS, TRIGGER, TriggerStatus.READY);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(sts.calls()).hasSizeGreaterThanOrEqualTo(3));
        assertThat(sts.problems()).isEmpty();
        List<String> tokens = sts.calls().stream().map(c -> c.get("WebIdentityToken")).toList();
        assertThat(tokens).doesNotHaveDuplicates().allSatisfy(t -> assertThat(minted).contains(t));
        // Each refresh came while the previous session was still valid: polling never ran on expired credentials.
        for (int i = 1; i < sts.calls().size(); i++) assertThat(sts.received().get(i)).isBefore(sts.expirations().get(i - 1));
        // The SQS calls moved on to the refreshed credentials (only ever ones STS handed out).
        List<String> keys = sqsCalls.calls().stream().map(SigningRecorder.Signed::accessKeyId).distinct().toList();
        assertThat(keys).hasSizeGreaterThanOrEqualTo(2).allSatisfy(k -> assertThat(k).startsWith("ASIALOOPBACKSTS"));
    }

    @Test
    void aTrustPolicyThatDoesNotAllowTheServiceAccountIsAnErrorSayingSo() {
        sts.deny();
        String queueUrl = elasticMq.createQueue("deploys", 30);
        cluster.create(roleTrigger(queueUrl, SA));

        Condition source = SqsAwait.sourceNotReady(cluster, NS, TRIGGER, "AssumeRoleDenied");
        assertThat(source.getMessage()).contains("AWS error AccessDenied").contains(ROLE).contains("trust policy")
                .contains("system:serviceaccount:shop:deployer").contains("sts.amazonaws.com");
        assertThat(cluster.trigger(NS, TRIGGER).getStatus().getErrorMessage()).contains("trust policy does not allow this namespace's ServiceAccount");
        assertThat(sqsCalls.calls()).as("no SQS call without credentials").isEmpty();
        assertThat(cluster.client().getKubernetesSerialization().asJson(cluster.trigger(NS, TRIGGER).getStatus())).doesNotContain(minted.get(0));
    }

    @Test
    void aMissingServiceAccountIsAnErrorSayingHowToCreateIt() {
        // What a real API server answers for a TokenRequest on a ServiceAccount that does not exist.
        cluster.server().expect().post().withPath(tokenPath("ghost")).andReturn(404, new StatusBuilder().withStatus("Failure").withCode(404)
                .withReason("NotFound").withMessage("serviceaccounts \"ghost\" not found").build()).always();
        cluster.create(roleTrigger(elasticMq.createQueue("deploys", 30), "ghost"));

        Condition source = SqsAwait.sourceNotReady(cluster, NS, TRIGGER, "ServiceAccountNotFound");
        assertThat(source.getMessage()).contains("ServiceAccount 'ghost'").contains("not found in namespace 'shop'")
                .contains("kubectl create serviceaccount -n shop ghost");
        assertThat(sts.calls()).isEmpty();
    }

    @Test
    void aTokenRequestTheOperatorMayNotMakeIsAnErrorNamingThePermission() {
        cluster.server().expect().post().withPath(tokenPath("locked")).andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403)
                .withReason("Forbidden").withMessage("serviceaccounts \"locked\" is forbidden: User \"system:serviceaccount:triggers:trigger-operator\""
                        + " cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"shop\"").build()).always();
        cluster.create(roleTrigger(elasticMq.createQueue("deploys", 30), "locked"));

        Condition source = SqsAwait.sourceNotReady(cluster, NS, TRIGGER, "ServiceAccountTokenForbidden");
        assertThat(source.getMessage()).contains("create on serviceaccounts/token").contains("ServiceAccount 'locked'");
        assertThat(sts.calls()).isEmpty();
    }

    @Test
    void aRoleWithoutServiceAccountIsRefusedBeforeAnyCall() {
        Trigger trigger = roleTrigger(elasticMq.createQueue("deploys", 30), SA);
        trigger.getSpec().getSource().getSqs().setServiceAccountName(null);
        cluster.create(trigger);

        Trigger t = SqsAwait.status(cluster, NS, TRIGGER, TriggerStatus.ERROR);
        assertThat(t.getStatus().getErrorMessage()).contains("spec.source.sqs.roleArn needs spec.source.sqs.serviceAccountName");
        assertThat(tokenRequests).isEmpty();
        assertThat(sts.calls()).isEmpty();
        assertThat(sqsCalls.calls()).isEmpty();
    }

    Trigger roleTrigger(String queueUrl, String serviceAccount) {
        Trigger t = SqsTriggers.redeployOnQueue(NS, TRIGGER, "web", queueUrl, sqsCalls.endpoint());
        SqsSource sqs = t.getSpec().getSource().getSqs();
        sqs.setCredentialsSecretRef(null);
        sqs.setRoleArn(ROLE);
        sqs.setServiceAccountName(serviceAccount);
        return t;
    }

    static String tokenPath(String serviceAccount) {
        return "/api/v1/namespaces/" + NS + "/serviceaccounts/" + serviceAccount + "/token";
    }
}
