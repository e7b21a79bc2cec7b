package dev.triggers.operator.source.sqs;

import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.SqsSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;

/** SQS Triggers and their credentials Secret, as a user's manifest would read. */
final class SqsTriggers {
    static final String SECRET = "sqs-credentials";

    private SqsTriggers() {}

    static Trigger redeployOnQueue(String ns, String name, String deployment, String queueUrl, String endpoint) {
        Trigger t = Triggers.redeploy(ns, name, deployment);
        SourceSpec source = new SourceSpec(SourceSpec.SQS);
        SqsSource sqs = new SqsSource();
        sqs.setQueueUrl(queueUrl);
        sqs.setRegion(ElasticMq.REGION);
        sqs.setEndpoint(endpoint);
        sqs.setCredentialsSecretRef(new SecretRef(SECRET));
        sqs.setWaitTimeSeconds(1);
        source.setSqs(sqs);
        t.getSpec().setSource(source);
        return t;
    }

    static void credentialsSecret(MockCluster cluster, String ns) {
        cluster.client().secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(SECRET).withNamespace(ns).addToLabels(CredentialsSecrets.LABEL, "true").endMetadata()
                .withStringData(Map.of("accessKeyId", "AKIDTEST", "secretAccessKey", "not-a-real-secret")).build()).createOr(op -> op.update());
    }
}
