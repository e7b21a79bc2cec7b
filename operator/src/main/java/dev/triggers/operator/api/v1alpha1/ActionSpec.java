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
@ValidationRule(value = "!has(self.type) || self.type != 'ScaleUp' || has(self.scaleUp)",
        message = "action.type ScaleUp needs action.scaleUp with maxReplicas")
public class ActionSpec extends SpecObject {
    public static final String REDEPLOY = "Redeploy";
    public static final String SCALE_UP = "ScaleUp";

    @Size(max = 32)
    @JsonPropertyDescription("Redeploy (default): a rolling restart, as `kubectl rollout restart` does. ScaleUp: raise replicas by scaleUp.step, up to scaleUp.maxReplicas.")
    private String type;

    @JsonPropertyDescription("ScaleUp only: how much to add per fire and the ceiling.")
    private ScaleUpSpec scaleUp;

    public ActionSpec() {}

    public ActionSpec(String type, ScaleUpSpec scaleUp) {
        this.type = type;
        this.scaleUp = scaleUp;
    }

    public String getType() { return type; }
    public void setType(String type) { this.type = type; }
    public ScaleUpSpec getScaleUp() { return scaleUp; }
    public void setScaleUp(ScaleUpSpec scaleUp) { this.scaleUp = scaleUp; }

    @JsonIgnore
    public String typeOrDefault() { return type == null ? REDEPLOY : type; }
}
