package dev.triggers.operator.source.nats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.NatsSource;
import dev.triggers.operator.api.v1alpha1.SecretRef;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.CredentialsSecrets;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;

/** Given/when/then helpers shared by the NATS tests: Triggers as a manifest would read, status look-ups. */
final class NatsTestSupport {
    static final String NS = "demo";

    private final MockCluster cluster;

    NatsTestSupport(MockCluster cluster) {
        this.cluster = cluster;
    }

    static NatsSource core(String server, String subject) {
        NatsSource nats = new NatsSource();
        nats.setServers(List.of(server));
        nats.setSubject(subject);
        return nats;
    }

    static NatsSource jetStream(String server, String subject, String stream, String durable) {
        NatsSource nats = core(server, subject);
        NatsSource.JetStreamSpec js = new NatsSource.JetStreamSpec();
        js.setStream(stream);
        js.setDurable(durable);
        nats.setJetStream(js);
        return nats;
    }

    static NatsSource withSecret(NatsSource nats, String secret) {
        nats.setCredentialsSecretRef(new SecretRef(secret));
        return nats;
    }

    Trigger create(String name, String deployment, NatsSource nats) {
        return create(NS, name, deployment, nats);
    }

    Trigger create(String ns, String name, String deployment, NatsSource nats) {
        Trigger t = Triggers.redeploy(ns, name, deployment);
        SourceSpec source = new SourceSpec(SourceSpec.NATS);
        source.setNats(nats);
        t.getSpec().setSource(source);
        return cluster.create(t);
    }

    /** A credentials Secret that opted in (labelled triggers.dev/credentials=true), as the README tells users to make it. */
    void secret(String name, Map<String, String> data) {
        secret(NS, name, data, Map.of(CredentialsSecrets.LABEL, "true"));
    }

    void secret(String ns, String name, Map<String, String> data, Map<String, String> labels) {
        cluster.client().secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .withLabels(labels).endMetadata().withStringData(data).build()).createOr(op -> op.update());
    }

    TriggerStatus status(String name) {
        return status(NS, name);
    }

    TriggerStatus status(String ns, String name) {
        Trigger t = cluster.trigger(ns, name);
        return t.getStatus() == null ? new TriggerStatus() : t.getStatus();
    }

    void awaitStatus(String name, String status) {
        awaitStatus(NS, name, status);
    }

    void awaitStatus(String ns, String name, String status) {
        cluster.awaitStatus(ns, name, status);
    }

    /** The SourceReady condition (the last one: the mock API appends conditions on a merge patch instead of replacing the list). */
    Condition sourceReady(String name) {
        List<Condition> conditions = status(name).getConditions();
        return conditions == null ? null : conditions.stream().filter(c -> "SourceReady".equals(c.getType())).reduce((a, b) -> b).orElse(null);
    }

    long fireCount(String name) {
        return fireCount(NS, name);
    }

    long fireCount(String ns, String name) {
        Long count = status(ns, name).getFireCount();
        return count == null ? 0 : count;
    }

    Map<String, String> template(String deployment) {
        return template(NS, deployment);
    }

    Map<String, String> template(String ns, String deployment) {
        Map<String, String> a = cluster.getDeployment(ns, deployment).getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    String eventId(String deployment) {
        return eventId(NS, deployment);
    }

    String eventId(String ns, String deployment) {
        return template(ns, deployment).get(RedeployAction.EVENT_ID);
    }

    void pause(String deployment, boolean paused) {
        cluster.client().apps().deployments().inNamespace(NS).withName(deployment)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"paused\":" + paused + "}}");
    }

    void suspend(String name) {
        cluster.client().resources(Trigger.class).inNamespace(NS).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":true}}");
    }
}
