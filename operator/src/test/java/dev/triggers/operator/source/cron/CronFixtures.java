package dev.triggers.operator.source.cron;

import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.testing.Triggers;
import java.time.Instant;

/** Cron Triggers for tests, and slot instants that lie ahead of the mock server's real creation times. */
final class CronFixtures {
    private CronFixtures() {}

    static Trigger redeploy(String ns, String name, String deployment, String schedule, String zone) {
        return withCron(Triggers.redeploy(ns, name, deployment), schedule, zone);
    }

    static Trigger scaleUp(String ns, String name, String deployment, String schedule, int step, int max) {
        return withCron(Triggers.scaleUp(ns, name, deployment, step, max), schedule, null);
    }

    static Trigger withCron(Trigger trigger, String schedule, String zone) {
        SourceSpec source = new SourceSpec(SourceSpec.CRON);
        source.setCron(new CronSource(schedule, zone));
        trigger.getSpec().setSource(source);
        return trigger;
    }

    /**
     * The Trigger's creationTimestamp, stamped by the mock server with the real time. Slots at or before
     * it never fire, so tests start their clock there: no slot lies between creation and the clock.
     */
    static Instant created(Trigger created) {
        return Instant.parse(created.getMetadata().getCreationTimestamp());
    }
}
