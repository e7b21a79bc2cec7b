package dev.triggers.operator.bench;

import dev.triggers.operator.TriggerOperator;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.concurrent.CompletableFuture;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.schedule.CronSchedule;
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
 * cd operator && mvn -B -o -q -Pbench test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp target/bench-classes:target/test-classes:target/classes:$(cat target/cp.txt) dev.triggers.operator.bench.CronSkew 1000 [--dispatch-only]
 * </pre>
 *
 * First the scheduler alone (dispatch skew: slot to event handed to the executor, no API), then end to
 * end on the mock API (fire skew: slot to Deployment patched and status written).
 *
 * The clock is the real clock shifted so that the slot comes two seconds after all Triggers are Ready:
 * the scheduler really sleeps until the slot and the skew is measured in real time.
 */
public final class CronSkew {
    private CronSkew() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        dispatchSkew(n);
        if (args.length > 1 && args[1].equals("--dispatch-only")) System.exit(0);
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

    /**
     * The scheduler alone: N sources on one slot, each "fire" only recorded (no API): the time from the
     * slot to the moment the source handed its event to the executor.
     */
    static void dispatchSkew(int n) throws InterruptedException {
        ShiftedClock clock = new ShiftedClock();
        String schedule = "0 * * * *";
        CronSchedule parsed = CronSchedule.parse(schedule, null);
        Instant first = parsed.next(Instant.now()).orElseThrow();
        Instant[] slot = {first};
        long[] handedAt = new long[n];
        java.util.concurrent.CountDownLatch[] all = {new java.util.concurrent.CountDownLatch(n)};
        try (CronSourceFactory cron = new CronSourceFactory(clock)) {
            for (int i = 0; i < n; i++) {
                Trigger t = Triggers.redeploy("bench", "cron-" + i, "app-" + i);
                SourceSpec source = new SourceSpec(SourceSpec.CRON);
                source.setCron(new CronSource(schedule, null));
                t.getSpec().setSource(source);
                t.getMetadata().setCreationTimestamp(Instant.now().toString());
                int index = i;
                cron.start(t, new dev.triggers.operator.testing.FakeSourceContext(new ResourceID("cron-" + i, "bench"), clock, event -> {
                    handedAt[index] = Duration.between(slot[0], clock.instant()).toNanos();
                    all[0].countDown();
                }));
            }
            // Two slots: the first right after start (cold JIT), the second in steady state.
            for (String label : List.of("first slot, cold", "next slot, warm")) {
                long cpuBefore = schedulerCpuNanos();
                clock.shiftTo(slot[0].minusSeconds(2));
                cron.scheduler().wakeUp();
                all[0].await();
                long cpu = schedulerCpuNanos() - cpuBefore;
                List<Long> micros = new ArrayList<>();
                for (long nanos : handedAt) micros.add(nanos / 1000);
                Collections.sort(micros);
                System.out.printf("dispatch skew (slot -> event handed to the executor), %d sources, %s, us: min %d  p50 %d  p99 %d  max %d%n",
                        n, label, micros.get(0), pct(micros, 50), pct(micros, 99), micros.get(micros.size() - 1));
                System.out.printf("  scheduler thread CPU for the slot: %d ms (%d us per source)%n", cpu / 1_000_000, cpu / 1000 / n);
                slot[0] = parsed.next(slot[0]).orElseThrow();
                all[0] = new java.util.concurrent.CountDownLatch(n);
            }
        }
    }

    /** CPU time of the cron-scheduler thread: what the slot cost, whatever else the machine is doing. */
    static long schedulerCpuNanos() {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("cron-scheduler"))
                .mapToLong(t -> threads.getThreadCpuTime(t.getId())).sum();
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
