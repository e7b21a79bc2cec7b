package dev.triggers.operator.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.testing.VirtualTime;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The scheduler alone, in virtual time on the test's thread: cooldown and coalescing, the retry policy, refusals,
 * and the window of an event kept in the API. No API, no threads, no sleeps.
 */
class FireSchedulerTest {
    static final ResourceID WEB = new ResourceID("restart-web", "shop");

    final VirtualTime time = new VirtualTime();
    /** What each fire carried and how many events it held. */
    final List<String> fires = new ArrayList<>();
    final List<FireResult> ended = new ArrayList<>();
    Function<PendingEvents.Batch, FireResult> outcome = batch -> FireResult.of(List.of());
    int cooldown = 60;

    final FireScheduler scheduler = new FireScheduler(time, time, Runnable::run, id -> cooldown, RetryPolicy.DEFAULT,
            (id, batch) -> {
                fires.add(batch.carried().id() + "×" + batch.size());
                return outcome.apply(batch);
            },
            (id, batch, result) -> ended.add(result));

    TriggerEvent event(String id) {
        return new TriggerEvent(TriggerEvent.WEBHOOK, id, time.instant());
    }

    CompletableFuture<FireResult> submit(String id) {
        return scheduler.submit(WEB, List.of(event(id))).get(0);
    }

    @Test
    void theFirstEventFiresAtOnceAndEventsInsideTheCooldownFoldIntoOneFireAtItsEnd() {
        CompletableFuture<FireResult> first = submit("e1");
        assertThat(fires).containsExactly("e1×1");
        assertThat(first).isCompleted();

        time.advance(Duration.ofSeconds(10));
        CompletableFuture<FireResult> second = submit("e2");
        time.advance(Duration.ofSeconds(10));
        CompletableFuture<FireResult> third = submit("e3");
        assertThat(fires).hasSize(1);
        assertThat(second).isNotDone();

        time.advance(Duration.ofSeconds(39));
        assertThat(fires).hasSize(1);
        time.advance(Duration.ofSeconds(1));
        assertThat(fires).containsExactly("e1×1", "e3×2");
        assertThat(second).isCompleted();
        assertThat(third).isCompleted();
        assertThat(second.join()).isSameAs(third.join());
    }

    @Test
    void withoutACooldownEveryEventFiresAtOnce() {
        cooldown = 0;
        submit("e1");
        submit("e2");
        assertThat(fires).containsExactly("e1×1", "e2×1");
        assertThat(time.scheduled()).isZero();
    }

    @Test
    void aFireThatFailedForAPassingReasonIsRetriedWithBackoffAndCarriesWhatArrivedMeanwhile() {
        List<Boolean> down = new ArrayList<>(List.of(true, true, false));
        outcome = batch -> down.remove(0) ? FireResult.unavailable("the API is unreachable") : FireResult.of(List.of());
        CompletableFuture<FireResult> first = submit("e1");
        assertThat(fires).containsExactly("e1×1");
        assertThat(first).isNotDone();

        time.advance(Duration.ofMillis(499));
        CompletableFuture<FireResult> second = submit("e2");
        assertThat(fires).hasSize(1);
        time.advance(Duration.ofMillis(1));
        assertThat(fires).containsExactly("e1×1", "e2×2");
        time.advance(Duration.ofMillis(999));
        assertThat(fires).hasSize(2);
        time.advance(Duration.ofMillis(1));
        assertThat(fires).containsExactly("e1×1", "e2×2", "e2×2");
        assertThat(first.join().succeeded()).isTrue();
        assertThat(second.join()).isSameAs(first.join());
        assertThat(ended).hasSize(1);
    }

    @Test
    void retriesStopWhenThePolicyIsSpentAndTheLastResultEndsTheEvents() {
        outcome = batch -> FireResult.unavailable("the API is unreachable");
        CompletableFuture<FireResult> f = submit("e1");
        time.advance(Duration.ofMinutes(30));
        assertThat(fires).hasSize(1 + RetryPolicy.DEFAULT.maxRetries());
        assertThat(f.join().succeeded()).isFalse();
        assertThat(f.join().summary()).contains("unreachable");
        assertThat(ended).hasSize(1);
    }

    @Test
    void aFireThatFailedForGoodIsNotRetried() {
        outcome = batch -> FireResult.failed("Deployment shop/web not found");
        assertThat(submit("e1").join().succeeded()).isFalse();
        time.advance(Duration.ofMinutes(30));
        assertThat(fires).containsExactly("e1×1");
    }

    @Test
    void refusedEventsEndAtOnceInsteadOfWaitingForTheCooldown() {
        submit("e1");
        CompletableFuture<FireResult> waiting = submit("e2");
        scheduler.refuse(WEB, "spec.suspend is true");
        assertThat(waiting.join().refused()).isTrue();
        assertThat(ended).extracting(FireResult::summary).last().asString().contains("spec.suspend is true");
        time.advance(Duration.ofMinutes(2));
        assertThat(fires).containsExactly("e1×1");
    }

    @Test
    void aForgottenTriggerRefusesWhatWaitedAndIsNotRetried() {
        outcome = batch -> FireResult.unavailable("the API is unreachable");
        submit("e1");
        CompletableFuture<FireResult> waiting = submit("e2");
        scheduler.forget(WEB);
        assertThat(waiting.join().refused()).isTrue();
        assertThat(waiting.join().summary()).contains("was deleted before it fired");
        time.advance(Duration.ofMinutes(30));
        assertThat(fires).hasSize(2); // the first attempt and the retry already scheduled; none after
    }

    @Test
    void aWindowHasOneWriteAndItsFireCarriesTheRecordedEvent() {
        submit("e0"); // starts the cooldown
        FireScheduler.Submitted a = scheduler.submitRecorded(WEB, event("a"));
        time.advance(Duration.ofSeconds(1));
        FireScheduler.Submitted b = scheduler.submitRecorded(WEB, event("b"));
        FireScheduler.Submitted c = scheduler.submitRecorded(WEB, event("c"));
        assertThat(a.recording().start()).isTrue();
        assertThat(b.recording().start()).isFalse();
        assertThat(c.recording().start()).isFalse();
        assertThat(b.recording().written()).isSameAs(a.recording().written());
        a.recording().written().complete(null);

        time.advance(Duration.ofMinutes(1));
        // "a" was recorded: a new leader would fire "a" from the status, so this fire carries "a", not "c".
        assertThat(fires).containsExactly("e0×1", "a×3");
        FireScheduler.Submitted next = scheduler.submitRecorded(WEB, event("d"));
        assertThat(next.recording().start()).as("a new window, a new write").isTrue();
    }

    @Test
    void aFailedWriteAnswersForASecondThenTheNextEventWritesAgainInItsPlace() {
        submit("e0");
        FireScheduler.Submitted a = scheduler.submitRecorded(WEB, event("a"));
        a.recording().written().completeExceptionally(new IllegalStateException("the API is unreachable"));
        // During an outage a flood of calls must not become a flood of doomed writes: they share the failure (503).
        FireScheduler.Submitted during = scheduler.submitRecorded(WEB, event("during"));
        assertThat(during.recording().start()).isFalse();
        assertThat(during.recording().written()).isCompletedExceptionally();

        time.advance(Duration.ofSeconds(1));
        FireScheduler.Submitted b = scheduler.submitRecorded(WEB, event("b"));
        assertThat(b.recording().start()).isTrue();
        b.recording().written().complete(null);
        time.advance(Duration.ofMinutes(1));
        // "a" was never kept, so it is not carried; the three calls fired as one.
        assertThat(fires).containsExactly("e0×1", "b×3");
    }

    @Test
    void anOutageKeepsOneFailedRecordPerWindowNotOnePerCall() {
        submit("e0");
        for (int i = 0; i < 1000; i++) {
            FireScheduler.Submitted s = scheduler.submitRecorded(WEB, event("call-" + i));
            if (s.recording().start()) s.recording().written().completeExceptionally(new IllegalStateException("down"));
            time.advance(Duration.ofMillis(10));
        }
        List<String> carried = new ArrayList<>();
        outcome = batch -> {
            batch.recorded().forEach(e -> carried.add(e.id()));
            return FireResult.of(List.of());
        };
        time.advance(Duration.ofMinutes(1));
        assertThat(carried).as("the failed records replace each other").hasSize(1);
    }

    @Test
    void anEventThatFiresAtOnceWaitsForItsFirstAttemptInsteadOfAWrite() {
        CompletableFuture<FireResult> attempt = new CompletableFuture<>();
        outcome = batch -> {
            attempt.complete(null);
            return FireResult.of(List.of());
        };
        FireScheduler.Submitted first = scheduler.submitRecorded(WEB, event("first"));
        assertThat(first.recording().start()).as("no write up front").isFalse();
        assertThat(fires).containsExactly("first×1");
        assertThat(first.recording().afterFirstAttempt()).as("told of the attempt's result").isCompletedWithValueMatching(FireResult::succeeded);

        // Inside the cooldown the next event waits for the end of it: written up front as before.
        FireScheduler.Submitted next = scheduler.submitRecorded(WEB, event("next"));
        assertThat(next.recording().start()).isTrue();
        assertThat(next.recording().afterFirstAttempt()).isNull();
    }

    @Test
    void aFirstAttemptThatFailsForAPassingReasonIsToldSoAndTheRetryCarriesTheSameEvent() {
        outcome = batch -> fires.size() == 1 ? FireResult.unavailable("the API is unreachable") : FireResult.of(List.of());
        FireScheduler.Submitted first = scheduler.submitRecorded(WEB, event("first"));
        assertThat(first.recording().afterFirstAttempt()).isCompletedWithValueMatching(FireResult::retryable);
        time.advance(Duration.ofMinutes(1));
        assertThat(fires).containsExactly("first×1", "first×1");
    }

    @Test
    void eventsAnEarlierLeaderKeptFireOnceAsOneCarryingTheNewest() {
        List<TriggerEvent> kept = List.of(new TriggerEvent(TriggerEvent.WEBHOOK, "older", time.instant().minusSeconds(5)),
                new TriggerEvent(TriggerEvent.WEBHOOK, "newer", time.instant().minusSeconds(1)));
        assertThat(scheduler.recover(WEB, kept)).hasSize(2);
        assertThat(fires).containsExactly("newer×2");
        assertThat(scheduler.recover(WEB, kept)).as("only once per Trigger in a process").isEmpty();
        // Later calls of the same Trigger fold into a window of their own, written again.
        assertThat(scheduler.submitRecorded(WEB, event("x")).recording().start()).isTrue();
    }

    @Test
    void whileHeldTwentyEventsWaitAndFireAsOneWhenReleased() {
        cooldown = 0;
        boolean[] held = {false};
        scheduler.holdWhile(id -> held[0], FireScheduler.Parking.NONE);
        submit("e0");
        held[0] = true; // the rollout e0 started is Progressing
        List<CompletableFuture<FireResult>> waiting = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            time.advance(Duration.ofSeconds(5));
            waiting.add(submit("e" + i));
        }
        time.advance(Duration.ofMinutes(10));
        assertThat(fires).containsExactly("e0×1");
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        held[0] = false;
        scheduler.release(WEB);
        assertThat(fires).containsExactly("e0×1", "e20×20");
        assertThat(waiting).allMatch(CompletableFuture::isDone);
    }

    @Test
    void aParkedFireKeepsItsEventsAndTakesTheNewOnesWhenReleased() {
        cooldown = 0;
        List<String> parked = new ArrayList<>();
        boolean[] paused = {true};
        scheduler.holdWhile(id -> !parked.isEmpty() && paused[0], new FireScheduler.Parking() {
            @Override
            public boolean park(ResourceID trigger, FireResult result) {
                parked.add(result.summary());
                return true;
            }

            @Override
            public void unpark(ResourceID trigger) {
                parked.clear();
            }
        });
        WorkloadRef web = new WorkloadRef(WorkloadRef.DEPLOYMENT, "shop", "web");
        outcome = batch -> paused[0] ? FireResult.of(List.of(new WorkloadResult(web, WorkloadResult.Outcome.PAUSED, "web is paused")))
                : FireResult.of(List.of(new WorkloadResult(web, WorkloadResult.Outcome.PATCHED, "restarted web")));
        CompletableFuture<FireResult> first = submit("e1");
        CompletableFuture<FireResult> second = submit("e2");
        time.advance(Duration.ofMinutes(30));
        assertThat(fires).containsExactly("e1×1");
        assertThat(parked).containsExactly("web is paused");
        assertThat(first).isNotDone();
        assertThat(ended).as("a parked fire has not ended").isEmpty();

        paused[0] = false;
        scheduler.release(WEB);
        assertThat(fires).containsExactly("e1×1", "e2×2");
        assertThat(first.join().succeeded()).isTrue();
        assertThat(second.join().succeeded()).isTrue();
        assertThat(ended).hasSize(1);
    }

    @Test
    void aParkedFireIsRefusedWithWhatCameSince() {
        cooldown = 0;
        boolean[] parkedNow = {false};
        scheduler.holdWhile(id -> parkedNow[0], new FireScheduler.Parking() {
            @Override
            public boolean park(ResourceID trigger, FireResult result) {
                return parkedNow[0] = true;
            }

            @Override
            public void unpark(ResourceID trigger) {
                parkedNow[0] = false;
            }
        });
        WorkloadRef web = new WorkloadRef(WorkloadRef.DEPLOYMENT, "shop", "web");
        outcome = batch -> FireResult.of(List.of(new WorkloadResult(web, WorkloadResult.Outcome.PAUSED, "web is paused")));
        CompletableFuture<FireResult> first = submit("e1");
        CompletableFuture<FireResult> second = submit("e2");
        scheduler.refuse(WEB, "spec.suspend is true");
        assertThat(first.join().refused()).isTrue();
        assertThat(second.join().refused()).isTrue();
        assertThat(parkedNow[0]).as("no longer watched").isFalse();
        assertThat(fires).containsExactly("e1×1");
    }

    @Test
    void aWebhookEventHeldForARolloutIsKeptInTheApiBeforeItIsAnswered() {
        cooldown = 0;
        boolean[] held = {true};
        scheduler.holdWhile(id -> held[0], FireScheduler.Parking.NONE);
        FireScheduler.Submitted a = scheduler.submitRecorded(WEB, event("a"));
        // Not firing at once (a rollout holds it): written to status.acceptedEvents now, not after a first attempt.
        assertThat(a.recording().start()).isTrue();
        assertThat(a.recording().afterFirstAttempt()).isNull();
        a.recording().written().complete(null);
        assertThat(fires).isEmpty();
        held[0] = false;
        scheduler.release(WEB);
        assertThat(fires).containsExactly("a×1");
    }
}
