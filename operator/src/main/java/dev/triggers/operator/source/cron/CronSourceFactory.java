package dev.triggers.operator.source.cron;

import dev.triggers.operator.schedule.CronSchedule;
import dev.triggers.operator.api.v1alpha1.SpecObject;
import java.util.Collections;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.source.SourceContext;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.source.TriggerSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Cron sources: one {@link CronScheduler} shared by every cron Trigger of this operator. */
public final class CronSourceFactory implements SourceFactory {
    private final CronScheduler scheduler;
    /** Parsed schedules, shared by the Triggers that use the same one (one per distinct schedule and zone). */
    private final Map<String, CronSchedule> schedules = new ConcurrentHashMap<>();

    public CronSourceFactory(Clock clock) {
        this.scheduler = new CronScheduler(clock);
    }

    /** The shared scheduler (tests move their clock, then call {@link CronScheduler#runDue()} or wakeUp()). */
    public CronScheduler scheduler() {
        return scheduler;
    }

    @Override
    public String type() {
        return SourceSpec.CRON;
    }

    /** The status field of the fire record a cron source keeps: its next slot. */
    static final String NEXT_FIRE_AT = "nextFireAt";

    @Override
    public Set<String> recordedFields() {
        return Set.of(NEXT_FIRE_AT);
    }

    @Override
    public Map<String, SpecObject> specParts(SourceSpec source) {
        return Collections.singletonMap("spec.source.cron", source.getCron());
    }

    @Override
    public List<String> validate(Trigger trigger) {
        return problems(trigger.getSpec().getSource().getCron(), scheduler.clock());
    }

    /** Every problem of a cron block at once (schedule and time zone each), as messages for the status. */
    static List<String> problems(CronSource cron, Clock clock) {
        List<String> problems = new ArrayList<>();
        if (cron == null) return problems;
        try {
            CronSchedule.parse("* * * * *", cron.getTimeZone());
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        try {
            CronSchedule schedule = CronSchedule.parse(cron.getSchedule(), null);
            if (schedule.next(clock.instant()).isEmpty()) {
                problems.add("cron schedule '" + cron.getSchedule() + "' never fires (no such date): fix the day of month or month");
            }
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (cron.getStartingDeadlineSeconds() != null && cron.getStartingDeadlineSeconds() < 0) {
            problems.add("spec.source.cron.startingDeadlineSeconds must be 0 or more, not " + cron.getStartingDeadlineSeconds());
        }
        return problems;
    }

    @Override
    public TriggerSource start(Trigger trigger, SourceContext context) {
        CronSource cron = trigger.getSpec().getSource().getCron();
        // validate() ran first: the reconciler only starts sources of valid Triggers.
        String key = cron.getSchedule() + "\n" + cron.getTimeZone();
        CronSchedule schedule = schedules.computeIfAbsent(key, k -> CronSchedule.parse(cron.getSchedule(), cron.getTimeZone()));
        return new CronTriggerSource(trigger, schedule, context, scheduler);
    }

    @Override
    public void close() {
        scheduler.close();
    }
}
