package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Size;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** The workload, or set of workloads, a Trigger acts on. */
@ValidationRule(value = "!has(self.kind) || self.kind in ['Deployment', 'Application', 'Rollout']",
        message = "target.kind must be Deployment, Application or Rollout")
@ValidationRule(value = "has(self.name) || (has(self.kind) && self.kind == 'Application' && has(self.selector))",
        message = "target.name is required (an Application target may give a selector instead)")
public class TargetRef extends SpecObject {
    public static final String DEPLOYMENT = "Deployment";
    public static final String APPLICATION = "Application";
    /** An Argo Rollouts Rollout (argoproj.io/v1alpha1). */
    public static final String ROLLOUT = "Rollout";
    /** The label that groups an application's workloads (Kubernetes' recommended labels). */
    public static final String APPLICATION_LABEL = "app.kubernetes.io/instance";

    @Size(max = 32)
    @JsonPropertyDescription("Deployment (default): one Deployment. Application: every Deployment, StatefulSet and DaemonSet labelled app.kubernetes.io/instance=<name>, or matching selector. Rollout: one Argo Rollouts Rollout (argoproj.io/v1alpha1).")
    private String kind;

    @Size(max = 253)
    @JsonPropertyDescription("The Deployment's or Rollout's name, or the application's name (the value of app.kubernetes.io/instance).")
    private String name;

    @Size(max = 63)
    @JsonPropertyDescription("The target's namespace. Defaults to the Trigger's own; another namespace needs a TriggerGrant there that lets this Trigger's namespace act (and the operator's cross-namespace switch on).")
    private String namespace;

    @Size(max = 16)
    @JsonPropertyDescription("Application only: match workloads by these labels instead of app.kubernetes.io/instance=<name>.")
    private Map<String, @Size(max = 63) String> selector;

    public TargetRef() {}

    public TargetRef(String kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    public String getKind() { return kind; }
    public void setKind(String kind) { this.kind = kind; }
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getNamespace() { return namespace; }
    public void setNamespace(String namespace) { this.namespace = namespace; }
    public Map<String, String> getSelector() { return selector; }
    public void setSelector(Map<String, String> selector) { this.selector = selector; }

    @JsonIgnore
    public String kindOrDefault() { return kind == null ? DEPLOYMENT : kind; }

    @JsonIgnore
    public boolean isApplication() { return APPLICATION.equals(kindOrDefault()); }

    @JsonIgnore
    public boolean isRollout() { return ROLLOUT.equals(kindOrDefault()); }

    /** The labels an Application target matches. */
    @JsonIgnore
    public Map<String, String> applicationSelector() {
        return selector != null && !selector.isEmpty() ? selector : Map.of(APPLICATION_LABEL, name);
    }
}
