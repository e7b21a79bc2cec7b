package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * A temporary scale-up waiting to be undone (spec.action.scaleUp.revertAfterSeconds): what this Trigger raised, from
 * what to what, and when it is lowered back. Kept on the status so that a new leader reverts it on time.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ScaleRevert {
    @JsonPropertyDescription("Deployment | StatefulSet | Rollout: the workload scaled up.")
    private String kind;
    @JsonPropertyDescription("The workload's namespace.")
    private String namespace;
    @JsonPropertyDescription("The workload's name.")
    private String name;
    @JsonPropertyDescription("Set when the workload has a HorizontalPodAutoscaler: its name, whose minReplicas was raised (spec.replicas was left to the HPA).")
    private String horizontalPodAutoscaler;
    @JsonPropertyDescription("The value before this Trigger raised it (spec.replicas, or the HPA's minReplicas): what the revert restores.")
    private Integer from;
    @JsonPropertyDescription("The value this Trigger set. The revert acts only if it still is: a value changed by another writer is left alone.")
    private Integer to;
    @JsonPropertyDescription("When the revert is due (RFC 3339).")
    private String revertAt;

    public ScaleRevert() {}

    public ScaleRevert(String kind, String namespace, String name, String horizontalPodAutoscaler, Integer from, Integer to, String revertAt) {
        this.kind = kind;
        this.namespace = namespace;
        this.name = name;
        this.horizontalPodAutoscaler = horizontalPodAutoscaler;
        this.from = from;
        this.to = to;
        this.revertAt = revertAt;
    }

    public String getKind() { return kind; }
    public void setKind(String kind) { this.kind = kind; }
    public String getNamespace() { return namespace; }
    public void setNamespace(String namespace) { this.namespace = namespace; }
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getHorizontalPodAutoscaler() { return horizontalPodAutoscaler; }
    public void setHorizontalPodAutoscaler(String horizontalPodAutoscaler) { this.horizontalPodAutoscaler = horizontalPodAutoscaler; }
    public Integer getFrom() { return from; }
    public void setFrom(Integer from) { this.from = from; }
    public Integer getTo() { return to; }
    public void setTo(Integer to) { this.to = to; }
    public String getRevertAt() { return revertAt; }
    public void setRevertAt(String revertAt) { this.revertAt = revertAt; }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScaleRevert r && Objects.equals(kind, r.kind) && Objects.equals(namespace, r.namespace) && Objects.equals(name, r.name)
                && Objects.equals(horizontalPodAutoscaler, r.horizontalPodAutoscaler) && Objects.equals(from, r.from) && Objects.equals(to, r.to)
                && Objects.equals(revertAt, r.revertAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, namespace, name, horizontalPodAutoscaler, from, to, revertAt);
    }
}
