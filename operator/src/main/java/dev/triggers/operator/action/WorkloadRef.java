package dev.triggers.operator.action;

/** One Deployment, StatefulSet or DaemonSet. */
public record WorkloadRef(String kind, String namespace, String name) {
    public static final String DEPLOYMENT = "Deployment";
    public static final String STATEFUL_SET = "StatefulSet";
    public static final String DAEMON_SET = "DaemonSet";

    @Override
    public String toString() {
        return kind + " " + namespace + "/" + name;
    }
}
