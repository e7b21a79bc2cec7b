package dev.triggers.operator.source.cron;

import dev.triggers.operator.schedule.CronSchedule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.action.RedeployAction;
import dev.triggers.operator.api.v1alpha1.CronSource;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.testing.MockCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cron examples, applied as written: they become Ready, show their next slot and fire on it. */
class CronExamplesTest {
    static final Path EXAMPLES = Path.of("..", "examples");
    static final String NS = "demo";

    MockCluster cluster = MockCluster.start();

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void nightlyRestartAndHourlyScaleUpExamplesWork() throws IOException {
        cluster.namespace(NS);
        cluster.deployment(NS, "web");
        cluster.deployment(NS, "worker", 1, Map.of());
        Trigger nightly = cluster.create(load("cron-nightly-restart.yaml"));
        Trigger hourly = cluster.create(load("cron-hourly-scaleup.yaml"));
        Instant created = CronFixtures.created(hourly);
        MutableClock clock = new MutableClock(created);
        CronSourceFactory cron = new CronSourceFactory(clock);
        cluster.startOperator(MockCluster.testConfig(), clock, List.of(cron));

        Instant nextNight = schedule(nightly).next(CronFixtures.created(nightly)).orElseThrow();
        Instant nextHour = schedule(hourly).next(created).orElseThrow();
        assertThat(nextNight.atZone(java.time.ZoneId.of("Europe/Paris")).getHour()).isEqualTo(3);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(status("nightly-restart").getStatus()).isEqualTo(TriggerStatus.READY);
            assertThat(status("nightly-restart").getNextFireAt()).isEqualTo(CronSchedule.slotId(nextNight));
            assertThat(status("hourly-scaleup").getStatus()).isEqualTo(TriggerStatus.READY);
            assertThat(status("hourly-scaleup").getNextFireAt()).isEqualTo(CronSchedule.slotId(nextHour));
        });

        clock.set(nextHour);
        cron.scheduler().wakeUp();
        await().untilAsserted(() -> assertThat(cluster.getDeployment(NS, "worker").getSpec().getReplicas()).isEqualTo(2));
        clock.set(nextNight.isAfter(nextHour) ? nextNight : nextNight.plus(Duration.ofDays(1)));
        cron.scheduler().wakeUp();
        await().untilAsserted(() -> assertThat(cluster.getDeployment(NS, "web").getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(RedeployAction.EVENT_SOURCE, "cron"));
    }

    Trigger load(String file) throws IOException {
        try (InputStream in = Files.newInputStream(EXAMPLES.resolve(file))) {
            Trigger trigger = cluster.client().getKubernetesSerialization().unmarshal(in, Trigger.class);
            assertThat(CronSourceFactory.problems(trigger.getSpec().getSource().getCron(), java.time.Clock.systemUTC())).isEmpty();
            return trigger;
        }
    }

    static CronSchedule schedule(Trigger trigger) {
        CronSource cron = trigger.getSpec().getSource().getCron();
        return CronSchedule.parse(cron.getSchedule(), cron.getTimeZone());
    }

    TriggerStatus status(String name) {
        TriggerStatus status = cluster.trigger(NS, name).getStatus();
        return status == null ? new TriggerStatus() : status;
    }
}
