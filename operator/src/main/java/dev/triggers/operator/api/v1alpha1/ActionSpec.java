package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Size;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** What a fire does to the target. */
@ValidationRule(value = "!has(self.type) || self.type in ['Redeploy', 'ScaleUp']",
        message = "action.type must be Redeploy or ScaleUp")
@ValidationRule(value = "!has(self.scaleUp) || (has(self.type) && self.type == 'ScaleUp')",
        message = "action.scaleUp is only allowed with action.type ScaleUp")
@ValidationRule(value = "!has(self.maxConcurrent) || !has(self.type) || self.type == 'Redeploy'",
        message = "action.maxConcurrent is only for Redeploy")
@ValidationRule(value = "!has(self.type) || self.type != 'ScaleUp' || has(self.scaleUp)",
        message = "action.type ScaleUp needs action.scaleUp with maxReplicas")
public class ActionSpec extends SpecObject {
    public static final String REDEPLOY = "Redeploy";
    public static final String SCALE_UP = "ScaleUp";
    /** A count of 1 to 9999, or a percentage of 1% to 100%. */
    public static final String MAX_CONCURRENT_PATTERN = "^([1-9][0-9]{0,3}|([1-9][0-9]?|100)%)$";

    @Size(max = 32)
    @JsonPropertyDescription("Redeploy (default): a rolling restart, as `kubectl rollout restart` does. ScaleUp: raise replicas by scaleUp.step, up to scaleUp.maxReplicas.")
    private String type;

    @JsonPropertyDescription("ScaleUp only: how much to add per fire and the ceiling.")
    private ScaleUpSpec scaleUp;

    @Size(max = 8)
    @io.fabric8.generator.annotation.Pattern(MAX_CONCURRENT_PATTERN)
    @JsonPropertyDescription("Application targets, Redeploy only: restart the workloads in waves of this many (a count, or a percentage of them such as 25%), ordered by the label triggers.dev/wave (numbers first), then by name. A wave starts when the one before it is Complete; a Failed wave stops the waves after it. Needs rollout following (on by default).")
    private String maxConcurrent;

    public ActionSpec() {}

    public ActionSpec(String type, ScaleUpSpec scaleUp) {
        this.type = type;
        this.scaleUp = scaleUp;
    }

    public String getType() { return type; }
    public void setType(String type) { this.type = type; }
    public ScaleUpSpec getScaleUp() { return scaleUp; }
    public void setScaleUp(ScaleUpSpec scaleUp) { this.scaleUp = scaleUp; }
    public String getMaxConcurrent() { return maxConcurrent; }
    public void setMaxConcurrent(String maxConcurrent) { this.maxConcurrent = maxConcurrent; }

    @JsonIgnore
    public String typeOrDefault() { return type == null ? REDEPLOY : type; }
}
