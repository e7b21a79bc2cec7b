package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Max;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** How a ScaleUp raises replicas. */
@ValidationRule(value = "self.maxReplicas >= 1", message = "scaleUp.maxReplicas must be at least 1")
@ValidationRule(value = "!has(self.step) || self.step >= 1", message = "scaleUp.step must be at least 1")
@ValidationRule(value = "!has(self.revertAfterSeconds) || self.revertAfterSeconds >= 1", message = "scaleUp.revertAfterSeconds must be at least 1")
public class ScaleUpSpec extends SpecObject {
    @Max(1000)
    @JsonPropertyDescription("Replicas added per fire. Default 1.")
    private Integer step;

    @Required
    @Max(10000)
    @JsonPropertyDescription("Replicas are never raised past this; reaching it is recorded on the status, not an error.")
    private Integer maxReplicas;

    @Max(MAX_REVERT_AFTER_SECONDS)
    @JsonPropertyDescription("Temporary scale-up: this many seconds after the last fire, the operator removes exactly the replicas this Trigger added (back to what the workload had before), unless another writer changed the count meanwhile (then it is left alone and the status says so). A fire within that time extends it. With a HorizontalPodAutoscaler on the workload, its minReplicas is raised and lowered back instead. The pending revert is kept in status.scaleReverts, so it survives an operator restart. At most 604800 (7 days).")
    private Integer revertAfterSeconds;

    public static final int MAX_REVERT_AFTER_SECONDS = 604800;

    public ScaleUpSpec() {}

    public ScaleUpSpec(Integer step, Integer maxReplicas) {
        this.step = step;
        this.maxReplicas = maxReplicas;
    }

    public Integer getStep() { return step; }
    public void setStep(Integer step) { this.step = step; }
    public Integer getRevertAfterSeconds() { return revertAfterSeconds; }
    public void setRevertAfterSeconds(Integer revertAfterSeconds) { this.revertAfterSeconds = revertAfterSeconds; }
    public Integer getMaxReplicas() { return maxReplicas; }
    public void setMaxReplicas(Integer maxReplicas) { this.maxReplicas = maxReplicas; }

    @JsonIgnore
    public int stepOrDefault() { return step == null ? 1 : step; }
}
