package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** How the operator treats the rollout a fire started: how long it may take, and what events do meanwhile. */
@ValidationRule(value = "!has(self.whileProgressing) || self.whileProgressing in ['Queue', 'Restart']",
        message = "rollout.whileProgressing must be Queue or Restart")
public class RolloutSpec extends SpecObject {
    public static final String QUEUE = "Queue";
    public static final String RESTART = "Restart";

    @Min(1)
    @Max(86400)
    @JsonPropertyDescription("A rollout still not done this many seconds after its fire is Failed (reason: the timeout). Default: each workload's own progress deadline (a Deployment's spec.progressDeadlineSeconds, else 600).")
    private Integer timeoutSeconds;

    @Size(max = 16)
    @JsonPropertyDescription("Queue (default): events that arrive while a rollout this Trigger started is Progressing coalesce into one fire when it ends. Restart: they fire at once, as without rollout following (the newer rollout supersedes the older).")
    private String whileProgressing;

    public RolloutSpec() {}

    public RolloutSpec(Integer timeoutSeconds, String whileProgressing) {
        this.timeoutSeconds = timeoutSeconds;
        this.whileProgressing = whileProgressing;
    }

    public Integer getTimeoutSeconds() { return timeoutSeconds; }
    public void setTimeoutSeconds(Integer timeoutSeconds) { this.timeoutSeconds = timeoutSeconds; }
    public String getWhileProgressing() { return whileProgressing; }
    public void setWhileProgressing(String whileProgressing) { this.whileProgressing = whileProgressing; }

    @JsonIgnore
    public boolean queuesWhileProgressing() { return !RESTART.equals(whileProgressing); }
}
