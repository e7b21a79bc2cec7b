package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Size;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** A schedule: fires once per slot, on the leader only. */
public class CronSource extends SpecObject {
    @Required
    @Size(max = 128)
    @JsonPropertyDescription("5-field Unix cron (minute hour day-of-month month day-of-week), or @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.")
    private String schedule;

    @Size(max = 64)
    @JsonPropertyDescription("IANA time zone the schedule is read in, e.g. Europe/Paris. Default UTC.")
    private String timeZone;

    @Min(0)
    @Max(86400)
    @JsonPropertyDescription("A slot missed (operator down, failover) still fires once if it is at most this many seconds old; older slots are skipped and recorded. Default 300.")
    private Long startingDeadlineSeconds;

    public CronSource() {}

    public CronSource(String schedule, String timeZone) {
        this.schedule = schedule;
        this.timeZone = timeZone;
    }

    public String getSchedule() { return schedule; }
    public void setSchedule(String schedule) { this.schedule = schedule; }
    public String getTimeZone() { return timeZone; }
    public void setTimeZone(String timeZone) { this.timeZone = timeZone; }
    public Long getStartingDeadlineSeconds() { return startingDeadlineSeconds; }
    public void setStartingDeadlineSeconds(Long startingDeadlineSeconds) { this.startingDeadlineSeconds = startingDeadlineSeconds; }
}
