package dev.triggers.operator.testing;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What the workload controllers of a real cluster write, written by the test: the mock API runs no controllers, so a
 * Deployment's, StatefulSet's or DaemonSet's status moves only when a test calls one of these. Each writes the status
 * subresource as its controller would at that step of a rollout (observedGeneration, conditions, counts, revisions).
 */
public final class WorkloadControllers {
    private final KubernetesClient client;

    public WorkloadControllers(KubernetesClient client) {
        this.client = client;
    }

    /** The Deployment controller mid-rollout: it saw the newest generation, a new ReplicaSet has {@code updated} replicas. */
    public void deploymentRolling(String ns, String name, int updated) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        int replicas = d.getSpec().getReplicas();
        deploymentStatus(d, replicas + 1, updated, Math.min(updated, replicas), "ReplicaSetUpdated",
                "ReplicaSet \"" + name + "-2\" is progressing.", "True");
    }

    /** The Deployment controller at the end of a rollout: every replica updated and available, NewReplicaSetAvailable. */
    public void deploymentComplete(String ns, String name) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        int replicas = d.getSpec().getReplicas();
        deploymentStatus(d, replicas, replicas, replicas, "NewReplicaSetAvailable", "ReplicaSet \"" + name + "-2\" has successfully progressed.", "True");
    }

    /** The Deployment controller when the rollout made no progress within progressDeadlineSeconds. */
    public void deploymentDeadlineExceeded(String ns, String name) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        int replicas = d.getSpec().getReplicas();
        deploymentStatus(d, replicas + 1, 1, replicas, "ProgressDeadlineExceeded", "ReplicaSet \"" + name + "-2\" has timed out progressing.", "False");
    }

    /** The Deployment controller after a scale: {@code available} replicas available, nothing rolling. */
    public void deploymentScaled(String ns, String name, int available) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        deploymentStatus(d, available, available, available, "NewReplicaSetAvailable", "ReplicaSet \"" + name + "-1\" has successfully progressed.", "True");
    }

    private void deploymentStatus(Deployment d, int replicas, int updated, int available, String reason, String message, String status) {
        d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration())
                .withReplicas(replicas).withUpdatedReplicas(updated).withReadyReplicas(available).withAvailableReplicas(available)
                .addToConditions(new DeploymentConditionBuilder().withType("Available").withStatus("True").withReason("MinimumReplicasAvailable").build())
                .addToConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus(status).withReason(reason).withMessage(message).build())
                .build());
        client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(d).updateStatus();
    }

    /** The StatefulSet controller: {@code updated} pods on the update revision; all of them makes it the current revision. */
    public void statefulSetRolled(String ns, String name, int updated) {
        StatefulSet s = client.apps().statefulSets().inNamespace(ns).withName(name).get();
        int replicas = s.getSpec().getReplicas();
        s.setStatus(new StatefulSetStatusBuilder().withObservedGeneration(s.getMetadata().getGeneration()).withReplicas(replicas)
                .withUpdatedReplicas(updated).withReadyReplicas(replicas).withAvailableReplicas(replicas)
                .withCurrentRevision(updated >= replicas ? name + "-2" : name + "-1").withUpdateRevision(name + "-2").build());
        client.apps().statefulSets().inNamespace(ns).resource(s).updateStatus();
    }

    /** The DaemonSet controller: {@code updated} of {@code desired} scheduled pods updated and available. */
    public void daemonSetRolled(String ns, String name, int desired, int updated) {
        DaemonSet s = client.apps().daemonSets().inNamespace(ns).withName(name).get();
        s.setStatus(new DaemonSetStatusBuilder().withObservedGeneration(s.getMetadata().getGeneration()).withDesiredNumberScheduled(desired)
                .withCurrentNumberScheduled(desired).withUpdatedNumberScheduled(updated).withNumberAvailable(updated).withNumberReady(updated)
                .withNumberMisscheduled(0).build());
        client.apps().daemonSets().inNamespace(ns).resource(s).updateStatus();
    }
}
