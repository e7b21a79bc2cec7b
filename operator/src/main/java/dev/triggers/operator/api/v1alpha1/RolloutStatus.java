package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** The rollout the Trigger's last fire started, followed to its end (status.lastRollout). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RolloutStatus {
    public static final String PROGRESSING = "Progressing";
    public static final String COMPLETE = "Complete";
    public static final String FAILED = "Failed";
    public static final String SUPERSEDED = "Superseded";
    /** The operator did not follow it: its namespace or the operator is at its limit of rollouts followed. */
    public static final String NOT_FOLLOWED = "NotFollowed";
    /** Waves (action.maxConcurrent): a workload whose wave has not started yet. */
    public static final String WAITING = "Waiting";
    /** Waves: a workload whose wave never started, because a wave before it failed or was superseded. */
    public static final String NOT_RESTARTED = "NotRestarted";

    @JsonPropertyDescription("The id of the event whose fire started the rollout.")
    private String eventId;
    @JsonPropertyDescription("When the fire patched the target (RFC 3339).")
    private String startedAt;
    @JsonPropertyDescription("Progressing | Complete | Failed | Superseded | NotFollowed.")
    private String state;
    @JsonPropertyDescription("Why it is in this state, for a person.")
    private String reason;
    @JsonPropertyDescription("When it ended (RFC 3339); absent while Progressing.")
    private String endedAt;
    @JsonPropertyDescription("Application targets: the rollout of each workload (at most 50 listed).")
    private List<WorkloadRollout> workloads;

    public RolloutStatus() {}

    public RolloutStatus(String eventId, String startedAt, String state, String reason, String endedAt, List<WorkloadRollout> workloads) {
        this.eventId = eventId;
        this.startedAt = startedAt;
        this.state = state;
        this.reason = reason;
        this.endedAt = endedAt;
        this.workloads = workloads;
    }

    public String getEventId() { return eventId; }
    public void setEventId(String eventId) { this.eventId = eventId; }
    public String getStartedAt() { return startedAt; }
    public void setStartedAt(String startedAt) { this.startedAt = startedAt; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
    public String getEndedAt() { return endedAt; }
    public void setEndedAt(String endedAt) { this.endedAt = endedAt; }
    public List<WorkloadRollout> getWorkloads() { return workloads; }
    public void setWorkloads(List<WorkloadRollout> workloads) { this.workloads = workloads; }

    @Override
    public boolean equals(Object o) {
        return o instanceof RolloutStatus r && Objects.equals(eventId, r.eventId) && Objects.equals(startedAt, r.startedAt)
                && Objects.equals(state, r.state) && Objects.equals(reason, r.reason) && Objects.equals(endedAt, r.endedAt)
                && Objects.equals(workloads, r.workloads);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId, startedAt, state, reason, endedAt, workloads);
    }

    /** One workload's rollout. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class WorkloadRollout {
        @JsonPropertyDescription("Deployment | StatefulSet | DaemonSet.")
        private String kind;
        @JsonPropertyDescription("The workload's name, in the target's namespace.")
        private String name;
        @JsonPropertyDescription("Progressing | Complete | Failed | Superseded.")
        private String state;
        @JsonPropertyDescription("Why it is in this state, for a person.")
        private String reason;

        public WorkloadRollout() {}

        public WorkloadRollout(String kind, String name, String state, String reason) {
            this.kind = kind;
            this.name = name;
            this.state = state;
            this.reason = reason;
        }

        public String getKind() { return kind; }
        public void setKind(String kind) { this.kind = kind; }
        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public String getState() { return state; }
        public void setState(String state) { this.state = state; }
        public String getReason() { return reason; }
        public void setReason(String reason) { this.reason = reason; }

        @Override
        public boolean equals(Object o) {
            return o instanceof WorkloadRollout w && Objects.equals(kind, w.kind) && Objects.equals(name, w.name)
                    && Objects.equals(state, w.state) && Objects.equals(reason, w.reason);
        }

        @Override
        public int hashCode() {
            return Objects.hash(kind, name, state, reason);
        }
    }
}
