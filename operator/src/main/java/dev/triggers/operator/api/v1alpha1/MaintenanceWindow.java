package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A span of time in which the Trigger may fire: it opens at each slot of a cron schedule and lasts a duration. */
@ValidationRule(value = "duration(self.duration) > duration('0s')", message = "windows[].duration must be positive, e.g. 2h or 30m")
public class MaintenanceWindow extends SpecObject {
    @Required
    @Size(max = 128)
    @JsonPropertyDescription("When the window opens: 5-field Unix cron or @daily and the like, read as the cron source reads it (same DST rules).")
    private String schedule;

    @Required
    @Size(max = 16)
    @Pattern("^([0-9]+h)?([0-9]+m)?([0-9]+s)?$")
    @JsonPropertyDescription("How long the window stays open, as hours, minutes and seconds: 2h, 90m, 1h30m.")
    private String duration;

    @Size(max = 64)
    @JsonPropertyDescription("IANA time zone the schedule is read in, e.g. Europe/Paris. Default UTC.")
    private String timeZone;

    public MaintenanceWindow() {}

    public MaintenanceWindow(String schedule, String duration, String timeZone) {
        this.schedule = schedule;
        this.duration = duration;
        this.timeZone = timeZone;
    }

    public String getSchedule() { return schedule; }
    public void setSchedule(String schedule) { this.schedule = schedule; }
    public String getDuration() { return duration; }
    public void setDuration(String duration) { this.duration = duration; }
    public String getTimeZone() { return timeZone; }
    public void setTimeZone(String timeZone) { this.timeZone = timeZone; }
}
