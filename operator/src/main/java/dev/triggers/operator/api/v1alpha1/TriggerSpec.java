package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Size;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** What fires (source), what is acted on (target) and how (action). */
public class TriggerSpec extends SpecObject {
    @Size(max = 4096)
    @JsonPropertyDescription("A free-text description of what this Trigger is for.")
    private String description;

    @Required
    @JsonPropertyDescription("The workload(s) this Trigger acts on.")
    private TargetRef target;

    @JsonPropertyDescription("What to do to the target when the source fires. Defaults to a Redeploy (rolling restart).")
    private ActionSpec action;

    @Required
    @JsonPropertyDescription("The event source that fires this Trigger. Its type cannot change after creation.")
    private SourceSpec source;

    @Min(0)
    @Max(86400)
    @JsonPropertyDescription("Events that arrive within this many seconds after a fire coalesce into one more fire at the end of the cooldown. 0 fires every event.")
    private Integer cooldownSeconds;

    @JsonPropertyDescription("When true, the source consumes nothing and the Trigger fires nothing.")
    private Boolean suspend;

    @JsonPropertyDescription("How the rollout a fire starts is followed: its timeout, and whether events wait for it.")
    private RolloutSpec rollout;

    @JsonPropertyDescription("Optional: where to POST how each rollout ended (Complete or Failed).")
    private NotifySpec notify;

    public String getDescription() { return description; }
    public void setDescription(String description) { this.description = description; }
    public TargetRef getTarget() { return target; }
    public void setTarget(TargetRef target) { this.target = target; }
    public ActionSpec getAction() { return action; }
    public void setAction(ActionSpec action) { this.action = action; }
    public SourceSpec getSource() { return source; }
    public void setSource(SourceSpec source) { this.source = source; }
    public Integer getCooldownSeconds() { return cooldownSeconds; }
    public void setCooldownSeconds(Integer cooldownSeconds) { this.cooldownSeconds = cooldownSeconds; }
    public Boolean getSuspend() { return suspend; }
    public void setSuspend(Boolean suspend) { this.suspend = suspend; }
    public RolloutSpec getRollout() { return rollout; }
    public void setRollout(RolloutSpec rollout) { this.rollout = rollout; }
    public NotifySpec getNotify() { return notify; }
    public void setNotify(NotifySpec notify) { this.notify = notify; }

    @JsonIgnore
    public int cooldownSecondsOrDefault() { return cooldownSeconds == null ? 0 : cooldownSeconds; }
    @JsonIgnore
    public boolean isSuspended() { return Boolean.TRUE.equals(suspend); }
    @JsonIgnore
    public RolloutSpec rolloutOrDefault() { return rollout == null ? new RolloutSpec() : rollout; }
    @JsonIgnore
    public ActionSpec actionOrDefault() { return action == null ? new ActionSpec() : action; }
}
