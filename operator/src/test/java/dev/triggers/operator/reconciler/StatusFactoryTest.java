package dev.triggers.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.triggers.operator.action.FireRecorder;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import dev.triggers.operator.source.SourceHealth;
import dev.triggers.operator.source.TriggerSource;
import dev.triggers.operator.testing.Triggers;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The status the reconciler returns, built from what it observed and a fixed Clock: no server, no threads. */
class StatusFactoryTest {
    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final SourceHealth LISTENING = SourceHealth.ready("accepting POST https://hooks.example/shop/restart-web");
    static final ObjectMapper JSON = new ObjectMapper();

    final StatusFactory at0 = new StatusFactory(Clock.fixed(T0, ZoneOffset.UTC));
    final StatusFactory anHourLater = new StatusFactory(Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC));

    @Test
    void aRunningSourceAndAFoundTargetAreReady() {
        TriggerStatus s = at0.running(trigger(3, null), null, LISTENING, null, webhook("https://hooks.example/shop/restart-web"));

        assertThat(s.getStatus()).isEqualTo(TriggerStatus.READY);
        assertThat(s.getErrorMessage()).isEmpty();
        assertThat(s.getObservedGeneration()).isEqualTo(3L);
        assertThat(s.getUrl()).isEqualTo("https://hooks.example/shop/restart-web");
        assertThat(s.getWebhookSecretName()).isEqualTo("restart-web-webhook");
        assertThat(s.getConditions()).extracting(Condition::getType, Condition::getStatus, Condition::getReason, Condition::getMessage)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("Ready", "True", "Ready", "waiting for events"),
                        org.assertj.core.groups.Tuple.tuple("SourceReady", "True", "Listening", LISTENING.message()),
                        org.assertj.core.groups.Tuple.tuple("TargetReady", "True", "Found", "Deployment shop/web found"));
        assertThat(s.getConditions()).allSatisfy(c -> {
            assertThat(c.getLastTransitionTime()).isEqualTo(T0.toString());
            assertThat(c.getObservedGeneration()).isEqualTo(3L);
        });
    }

    @Test
    void aStartingSourceIsPendingNotAnError() {
        TriggerStatus s = at0.running(trigger(1, null), null, SourceHealth.starting("minting the webhook token"), null, null);
        assertThat(s.getStatus()).isEqualTo(TriggerStatus.PENDING);
        assertThat(s.getErrorMessage()).isEmpty();
        assertThat(condition(s, "Ready").getMessage()).isEqualTo("minting the webhook token");
        assertThat(condition(s, "Ready").getReason()).isEqualTo("SourceNotReady");
    }

    @Test
    void everyProblemIsNamedInTheErrorMessage() {
        TriggerStatus s = at0.running(trigger(1, null), "Deployment shop/web not found: create it, or fix spec.target.name",
                SourceHealth.error("QueueNotFound", "queue orders does not exist"), "forbidden to patch Deployment shop/web", null);
        assertThat(s.getStatus()).isEqualTo(TriggerStatus.ERROR);
        assertThat(s.getErrorMessage()).isEqualTo("Deployment shop/web not found: create it, or fix spec.target.name; "
                + "queue orders does not exist; last fire failed: forbidden to patch Deployment shop/web");
        assertThat(condition(s, "Ready").getReason()).isEqualTo("TargetNotReady");
        assertThat(condition(s, "SourceReady").getReason()).isEqualTo("QueueNotFound");
        assertThat(condition(s, "TargetReady").getReason()).isEqualTo("TargetNotFound");
    }

    @Test
    void aConditionKeepsItsTransitionTimeUntilItsStatusChanges() {
        TriggerStatus first = at0.running(trigger(1, null), null, LISTENING, null, null);
        TriggerStatus same = anHourLater.running(trigger(1, first), null, LISTENING, "the API was unreachable", null);
        assertThat(condition(same, "SourceReady").getLastTransitionTime()).as("still True").isEqualTo(T0.toString());
        assertThat(condition(same, "Ready").getLastTransitionTime()).as("True to False").isEqualTo(T0.plusSeconds(3600).toString());
    }

    /** What makes "no write when nothing changed" work: built again from its own result, a status is equal. */
    @Test
    void aStatusBuiltAgainFromItselfIsUnchanged() {
        List<java.util.function.BiFunction<StatusFactory, Trigger, TriggerStatus>> outcomes = List.of(
                StatusFactory::starting,
                (f, t) -> f.invalidSpec(t, "spec.action.type 'Delete' is not supported"),
                (f, t) -> f.suspended(t, T0),
                (f, t) -> {
                    t.getSpec().setSuspendUntil("2026-12-01T13:00:00Z");
                    return f.suspended(t, T0);
                },
                (f, t) -> f.notGranted(t, "no TriggerGrant in 'other' lets Triggers of 'shop' Redeploy there"),
                (f, t) -> f.running(t, null, LISTENING, null, webhook("https://hooks.example/shop/restart-web")),
                (f, t) -> f.running(t, "Deployment shop/web not found", LISTENING, null, null),
                (f, t) -> f.reconcileError(t, "the operator could not reconcile this Trigger and will retry: boom"));
        for (var outcome : outcomes) {
            TriggerStatus first = outcome.apply(at0, trigger(2, firedStatus()));
            TriggerStatus again = outcome.apply(anHourLater, trigger(2, first));
            assertThat(again).as("%s", first.getStatus()).isEqualTo(first).hasSameHashCodeAs(first);
        }
        TriggerStatus ready = at0.running(trigger(2, null), null, LISTENING, null, null);
        assertThat(at0.running(trigger(3, ready), null, LISTENING, null, null)).as("a new generation").isNotEqualTo(ready);
    }

    @Test
    void theFireRecordIsCarriedAsReadAndIsNotComparedWhenDecidingAWrite() {
        TriggerStatus read = at0.running(trigger(1, firedStatus()), null, LISTENING, null, null);
        assertThat(read.getFireCount()).isEqualTo(7L);
        assertThat(read.getLastFireResult()).isEqualTo("restarted Deployment shop/web");
        assertThat(read.getAcceptedEvents()).containsOnlyKeys("ev-1");

        TriggerStatus firedSince = StatusFactory.withFireRecordOf(read);
        firedSince.setFireCount(8L);
        firedSince.setLastFiredAt("2026-12-01T10:05:00Z");
        copyReconcilerFields(read, firedSince);
        assertThat(firedSince).as("a fire alone is nothing for the reconciler to write").isEqualTo(read);
    }

    @Test
    void aTimedSuspensionSaysUntilWhenAndEndsThere() {
        Trigger t = trigger(1, null);
        t.getSpec().setSuspendUntil("2026-12-01T12:00:00+01:00");
        assertThat(t.getSpec().isSuspendedAt(T0.minusSeconds(1))).isTrue();
        assertThat(t.getSpec().isSuspendedAt(T0.plusSeconds(3600))).as("11:00Z is the end itself").isFalse();
        TriggerStatus s = at0.suspended(t, T0);
        assertThat(s.getStatus()).isEqualTo(TriggerStatus.SUSPENDED);
        assertThat(condition(s, "Ready").getMessage())
                .isEqualTo("suspended until 2026-12-01T11:00:00Z (spec.suspendUntil): nothing is consumed and nothing fires until then, when the Trigger resumes by itself");
        t.getSpec().setSuspend(true);
        assertThat(t.getSpec().isSuspendedAt(T0.plusSeconds(7200))).as("spec.suspend has no end").isTrue();
        assertThat(condition(at0.suspended(t, T0), "Ready").getMessage()).startsWith("spec.suspend is true");
    }

    @Test
    void theSourceFillsItsBlockAndWhatNoSourceDescribesIsKept() {
        TriggerSource cron = new FakeSource(s -> {
            s.setLastMissedSchedule("2026-12-01T03:00:00Z: skipped, the operator was not running");
            s.setWebhookTokenDigests(List.of(new TriggerStatus.TokenDigest("ab".repeat(32), null)));
        });
        TriggerStatus running = at0.running(trigger(1, null), null, LISTENING, null, cron);
        assertThat(running.getLastMissedSchedule()).startsWith("2026-12-01T03:00:00Z");

        TriggerStatus suspended = at0.suspended(trigger(2, running), T0);
        assertThat(suspended.getUrl()).isNull();
        assertThat(suspended.getLastMissedSchedule()).as("kept").isEqualTo(running.getLastMissedSchedule());
        assertThat(suspended.getWebhookTokenDigests()).as("kept").isEqualTo(running.getWebhookTokenDigests());

        TriggerStatus cleared = at0.running(trigger(3, suspended), null, LISTENING, null, new FakeSource(s -> s.setWebhookTokenDigests(List.of())));
        assertThat(cleared.getWebhookTokenDigests()).as("cleared: written as none, which reads back equal").isNull();
    }

    @Test
    void aReconcileErrorSaysWhyAndKeepsWhatWasObservedBefore() {
        TriggerStatus ready = at0.running(trigger(1, firedStatus()), null, LISTENING, null, webhook("https://hooks.example/shop/restart-web"));
        TriggerStatus failed = anHourLater.reconcileError(trigger(1, ready), "the operator could not reconcile this Trigger and will retry: boom");

        assertThat(failed.getStatus()).isEqualTo(TriggerStatus.ERROR);
        assertThat(failed.getErrorMessage()).endsWith("boom");
        assertThat(condition(failed, "Ready").getReason()).isEqualTo("ReconcileError");
        assertThat(condition(failed, "Ready").getStatus()).isEqualTo("False");
        assertThat(condition(failed, "SourceReady")).isEqualTo(condition(ready, "SourceReady"));
        assertThat(condition(failed, "TargetReady")).isEqualTo(condition(ready, "TargetReady"));
        assertThat(failed.getUrl()).as("the source still runs").isEqualTo(ready.getUrl());
        assertThat(failed.getFireCount()).isEqualTo(7L);

        assertThat(at0.reconcileError(trigger(1, null), "boom").getConditions()).extracting(Condition::getType).containsExactly("Ready");
    }

    @Test
    void theFirstStatusIsPendingUntilTheSourceStarts() {
        TriggerStatus s = at0.starting(trigger(1, null));
        assertThat(s.getStatus()).isEqualTo(TriggerStatus.PENDING);
        assertThat(s.getConditions()).extracting(Condition::getType).containsExactly("Ready", "SourceReady", "TargetReady");
        assertThat(s.getConditions()).allSatisfy(c -> assertThat(c.getStatus()).isEqualTo("False"));
    }

    /**
     * Every status field belongs to exactly one writer: the reconciler's are compared (a change is a write),
     * the executor's fire record (FireRecorder.STATUS_FIELDS) is carried as read and never compared. A new
     * field fails here until it is given to one of them.
     */
    @Test
    void everyStatusFieldIsEitherComparedOrCarriedAsTheFireRecord() {
        Map<String, Object> every = Map.ofEntries(
                Map.entry("status", "Ready"), Map.entry("errorMessage", "x"), Map.entry("observedGeneration", 2),
                Map.entry("conditions", List.of(Map.of("type", "Ready", "status", "True"))),
                Map.entry("url", "https://hooks.example/a"), Map.entry("webhookSecretName", "a-webhook"),
                Map.entry("webhookTokenDigests", List.of(Map.of("sha256", "ab".repeat(32)))),
                Map.entry("nextFireAt", "2026-12-02T03:00:00Z"), Map.entry("lastMissedSchedule", "missed"),
                Map.entry("lastFiredAt", "2026-12-01T10:00:00Z"), Map.entry("lastScheduleTime", "2026-12-01T03:00:00Z"),
                Map.entry("heldUntil", "2026-12-02T02:00:00Z"),
                Map.entry("fireCount", 7), Map.entry("coalescedCount", 1), Map.entry("droppedCount", 1),
                Map.entry("lastEvent", Map.of("source", "webhook", "id", "ev-1")), Map.entry("lastFireRequest", "now"),
                Map.entry("lastFireResult", "restarted"), Map.entry("acceptedEvents", Map.of("ev-2", Map.of("id", "ev-2"))),
                Map.entry("scaleReverts", Map.of("Deployment/web", Map.of("kind", "Deployment", "from", 2, "to", 4))),
                Map.entry("lastRevert", "reverted"),
                Map.entry("lastRollout", Map.of("eventId", "ev-1", "state", "Progressing")), Map.entry("waitingFor", "web is paused"));
        assertThat(JSON.convertValue(JSON.convertValue(every, TriggerStatus.class), Map.class).keySet())
                .as("this test knows every field of TriggerStatus").isEqualTo(every.keySet());

        Set<String> compared = every.keySet().stream()
                .filter(field -> !JSON.convertValue(Map.of(field, every.get(field)), TriggerStatus.class).equals(new TriggerStatus()))
                .collect(Collectors.toSet());
        Map<?, ?> fireRecord = JSON.convertValue(StatusFactory.withFireRecordOf(JSON.convertValue(every, TriggerStatus.class)), Map.class);
        Set<Object> carried = fireRecord.entrySet().stream()
                .filter(e -> !(e.getValue() instanceof List<?> l && l.isEmpty())) // conditions: [] in a new status
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        assertThat(carried).isEqualTo(Set.copyOf(FireRecorder.STATUS_FIELDS));
        assertThat(compared).doesNotContainAnyElementsOf(FireRecorder.STATUS_FIELDS);
        assertThat(compared.size() + carried.size()).isEqualTo(every.size());
    }

    private static void copyReconcilerFields(TriggerStatus from, TriggerStatus to) {
        to.setStatus(from.getStatus());
        to.setErrorMessage(from.getErrorMessage());
        to.setObservedGeneration(from.getObservedGeneration());
        to.setConditions(from.getConditions());
        to.setUrl(from.getUrl());
        to.setWebhookSecretName(from.getWebhookSecretName());
        to.setWebhookTokenDigests(from.getWebhookTokenDigests());
        to.setLastMissedSchedule(from.getLastMissedSchedule());
    }

    static TriggerStatus firedStatus() {
        TriggerStatus s = new TriggerStatus();
        s.setFireCount(7L);
        s.setLastFiredAt("2026-12-01T09:00:00Z");
        s.setLastFireResult("restarted Deployment shop/web");
        s.setLastEvent(new TriggerStatus.EventRecord("webhook", "ev-0", "2026-12-01T09:00:00Z", "10.0.0.7"));
        s.setAcceptedEvents(Map.of("ev-1", new TriggerStatus.EventRecord("webhook", "ev-1", "2026-12-01T09:59:00Z", null)));
        return s;
    }

    static Trigger trigger(long generation, TriggerStatus status) {
        Trigger t = Triggers.redeploy("shop", "restart-web", "web");
        t.getMetadata().setGeneration(generation);
        t.setStatus(status);
        return t;
    }

    static Condition condition(TriggerStatus s, String type) {
        return s.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    static TriggerSource webhook(String url) {
        return new FakeSource(s -> {
            s.setUrl(url);
            s.setWebhookSecretName("restart-web-webhook");
        });
    }

    /** A source that only describes itself. */
    record FakeSource(Consumer<TriggerStatus> block) implements TriggerSource {
        @Override
        public SourceHealth health() {
            return LISTENING;
        }

        @Override
        public void describe(TriggerStatus status) {
            block.accept(status);
        }

        @Override
        public void close() {}
    }
}
