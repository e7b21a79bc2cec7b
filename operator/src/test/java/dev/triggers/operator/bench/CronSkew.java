package dev.triggers.operator.bench;

import dev.triggers.operator.TriggerOperator;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.cron.CronSchedule;
import dev.triggers.operator.source.cron.CronSourceFactory;
import dev.triggers.operator.testing.MockCluster;
import dev.triggers.operator.testing.Triggers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Fire skew of N cron Triggers on one slot: the time from the slot to the moment each Trigger's
 * Deployment was patched (status.lastFiredAt - status.lastScheduleTime), on the CRUD mock API with
 * the real executor. Prints figures; asserts nothing.
 *
 * <pre>
 * cd operator && mvn -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) dev.triggers.operator.bench.CronSkew 1000
 * </pre>
 *
 * The clock is the real clock shifted so that the slot comes two seconds after all Triggers are Ready:
 * the scheduler really sleeps until the slot and the skew is measured in real time.
 */
public final class CronSkew {
    private CronSkew() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        String ns = "bench";
        String schedule = "0 * * * *";
        ShiftedClock clock = new ShiftedClock();
        try (MockCluster cluster = MockCluster.start()) {
            cluster.namespace(ns);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                cluster.deployment(ns, "app-" + i);
                Trigger t = Triggers.redeploy(ns, "cron-" + i, "app-" + i);
                SourceSpec source = new SourceSpec(SourceSpec.CRON);
                source.setCron(new CronSource(schedule, null));
                t.getSpec().setSource(source);
                cluster.create(t);
            }
            System.out.printf("created %d Deployments and %d cron Triggers in %d ms%n", n, n, (System.nanoTime() - t0) / 1_000_000);

            CronSourceFactory cron = new CronSourceFactory(clock);
            TriggerOperator operator = cluster.startOperator(MockCluster.testConfig(), clock, List.of(cron));
            long t1 = System.nanoTime();
            while (ready(cluster, ns) < n) Thread.sleep(200);
            System.out.printf("all %d Ready in %d ms (one scheduler thread, %d sources)%n", n, (System.nanoTime() - t1) / 1_000_000,
                    cron.scheduler().size());

            Instant slot = CronSchedule.parse(schedule, null).next(Instant.now()).orElseThrow();
            clock.shiftTo(slot.minusSeconds(2));
            cron.scheduler().wakeUp();
            String id = CronSchedule.slotId(slot);
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            List<Long> skews;
            while (true) {
                skews = skews(cluster, ns, id);
                if (skews.size() == n || System.nanoTime() > deadline) break;
                Thread.sleep(200);
            }
            Collections.sort(skews);
            System.out.printf("slot %s: %d of %d fired%n", id, skews.size(), n);
            if (!skews.isEmpty()) {
                System.out.printf("fire skew (slot -> Deployment patched), ms: min %d  p50 %d  p90 %d  p99 %d  max %d%n",
                        skews.get(0), pct(skews, 50), pct(skews, 90), pct(skews, 99), skews.get(skews.size() - 1));
            }
            System.out.printf("fire threads %d, cores %d%n", operator.config().fireThreads(), Runtime.getRuntime().availableProcessors());
        }
        System.exit(0);
    }

    static long ready(MockCluster cluster, String ns) {
        return cluster.client().resources(Trigger.class).inNamespace(ns).list().getItems().stream()
                .filter(t -> t.getStatus() != null && TriggerStatus.READY.equals(t.getStatus().getStatus())).count();
    }

    static List<Long> skews(MockCluster cluster, String ns, String slotId) {
        List<Long> out = new ArrayList<>();
        for (Trigger t : cluster.client().resources(Trigger.class).inNamespace(ns).list().getItems()) {
            TriggerStatus s = t.getStatus();
            if (s == null || !slotId.equals(s.getLastScheduleTime()) || s.getLastFiredAt() == null) continue;
            out.add(Duration.between(Instant.parse(slotId), Instant.parse(s.getLastFiredAt())).toMillis());
        }
        return out;
    }

    static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** The real clock plus an offset that can be moved while it runs. */
    static final class ShiftedClock extends Clock {
        private volatile Duration offset = Duration.ZERO;

        void shiftTo(Instant at) {
            offset = Duration.between(Instant.now(), at);
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
