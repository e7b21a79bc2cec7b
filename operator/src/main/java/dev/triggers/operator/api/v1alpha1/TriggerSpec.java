package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Size;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** What fires (source), what is acted on (target) and how (action). */
@io.fabric8.generator.annotation.ValidationRule(value = "!has(self.action) || !has(self.action.maxConcurrent) || (has(self.target.kind) && self.target.kind == 'Application')",
        message = "action.maxConcurrent needs target.kind Application")
public class TriggerSpec extends SpecObject {
    /** RFC 3339 with a 'T', seconds and an offset: what {@link OffsetDateTime#parse} reads. */
    static final String SUSPEND_UNTIL_PATTERN =
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$";

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

    @Size(max = 64)
    @Pattern(SUSPEND_UNTIL_PATTERN)
    @JsonPropertyDescription("Suspended until this time (RFC 3339, e.g. 2026-12-01T06:00:00Z), then Ready again by itself: as spec.suspend meanwhile (nothing consumed, nothing fired, webhooks answered 409). A time in the past has no effect; spec.suspend: true wins over it.")
    private String suspendUntil;

    @Size(max = 8)
    @JsonPropertyDescription("Maintenance windows: when set, the Trigger fires only inside one of them. An event outside every window is held (events fold into one) and fires when the next window opens; a cron slot outside every window is missed. The triggers.dev/fire-now annotation fires at once regardless.")
    private java.util.List<MaintenanceWindow> windows;
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
    public String getSuspendUntil() { return suspendUntil; }
    public void setSuspendUntil(String suspendUntil) { this.suspendUntil = suspendUntil; }
    public java.util.List<MaintenanceWindow> getWindows() { return windows; }
    public void setWindows(java.util.List<MaintenanceWindow> windows) { this.windows = windows; }
    public RolloutSpec getRollout() { return rollout; }
    public void setRollout(RolloutSpec rollout) { this.rollout = rollout; }
    public NotifySpec getNotify() { return notify; }
    public void setNotify(NotifySpec notify) { this.notify = notify; }

    @JsonIgnore
    public int cooldownSecondsOrDefault() { return cooldownSeconds == null ? 0 : cooldownSeconds; }
    /** spec.suspend alone; {@link #isSuspendedAt} also counts spec.suspendUntil. */
    @JsonIgnore
    public boolean isSuspended() { return Boolean.TRUE.equals(suspend); }

    /** spec.suspendUntil as an instant; empty when absent or not RFC 3339 (the spec validation names that). */
    @JsonIgnore
    public Optional<Instant> suspendUntilInstant() {
        if (suspendUntil == null || suspendUntil.isBlank()) return Optional.empty();
        try {
            return Optional.of(OffsetDateTime.parse(suspendUntil).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Suspended at {@code now}: spec.suspend, or a spec.suspendUntil still ahead. */
    @JsonIgnore
    public boolean isSuspendedAt(Instant now) {
        return isSuspended() || suspendUntilInstant().map(now::isBefore).orElse(false);
    }

    /** Why the Trigger is suspended at {@code now}, for status, refusals and the webhook's 409; null when it is not. */
    @JsonIgnore
    public String suspensionReason(Instant now) {
        if (isSuspended()) return "spec.suspend is true";
        return isSuspendedAt(now) ? "suspended until " + suspendUntilInstant().orElseThrow() + " (spec.suspendUntil)" : null;
    }
    @JsonIgnore
    public RolloutSpec rolloutOrDefault() { return rollout == null ? new RolloutSpec() : rollout; }
    @JsonIgnore
    public ActionSpec actionOrDefault() { return action == null ? new ActionSpec() : action; }
}
