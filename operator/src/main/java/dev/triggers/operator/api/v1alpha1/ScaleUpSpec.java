package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Max;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** How a ScaleUp raises replicas. */
@ValidationRule(value = "self.maxReplicas >= 1", message = "scaleUp.maxReplicas must be at least 1")
@ValidationRule(value = "!has(self.step) || self.step >= 1", message = "scaleUp.step must be at least 1")
public class ScaleUpSpec extends SpecObject {
    @Max(1000)
    @JsonPropertyDescription("Replicas added per fire. Default 1.")
    private Integer step;

    @Required
    @Max(10000)
    @JsonPropertyDescription("Replicas are never raised past this; reaching it is recorded on the status, not an error.")
    private Integer maxReplicas;

    public ScaleUpSpec() {}

    public ScaleUpSpec(Integer step, Integer maxReplicas) {
        this.step = step;
        this.maxReplicas = maxReplicas;
    }

    public Integer getStep() { return step; }
    public void setStep(Integer step) { this.step = step; }
    public Integer getMaxReplicas() { return maxReplicas; }
    public void setMaxReplicas(Integer maxReplicas) { this.maxReplicas = maxReplicas; }

    @JsonIgnore
    public int stepOrDefault() { return step == null ? 1 : step; }
}
