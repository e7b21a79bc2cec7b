package dev.triggers.operator.action;

import dev.triggers.operator.support.KubernetesErrors;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each Trigger fires. Per Trigger, fires never overlap, and events that arrive during a fire or within
 * cooldownSeconds after one fold into one more fire at the end of the cooldown; every folded event's future
 * completes with that fire's result, so sources acknowledge an event only when the fire it rode on succeeded. A
 * fire that failed for a passing reason is retried by the {@link RetryPolicy}, still holding its events and
 * folding in new ones. A Trigger with maintenance windows fires only inside one: outside, its events are held (they
 * fold into one fire) until the next window opens. Time comes only from the Clock and the Timers, so tests run it in
 * virtual time.
 */
final class FireScheduler {
    private static final Logger log = LoggerFactory.getLogger(FireScheduler.class);

    /** Runs one fire of a batch (on a worker). */
    interface Firing {
        FireResult fire(ResourceID trigger, PendingEvents.Batch batch);
    }

    /** Keeps a fire that found only paused workloads until they are resumed (then {@link #release}). */
    interface Parking {
        Parking NONE = new Parking() {
            @Override
            public boolean park(ResourceID trigger, FireResult result) {
                return false;
            }

            @Override
            public void unpark(ResourceID trigger) {}
        };

        /** True when someone watches for the resume; false: the fire ends as it is (failed). */
        boolean park(ResourceID trigger, FireResult result);

        /** The parked events were refused or forgotten: stop watching. */
        void unpark(ResourceID trigger);
    }

    /** Told of every batch's final result (after its retries, or its refusal), before its events' futures complete. */
    interface Outcome {
        void ended(ResourceID trigger, PendingEvents.Batch batch, FireResult result);
    }

    /** When a Trigger may fire, at or after an instant (spec.windows): that instant when open; empty when never again. */
    interface Windows {
        Windows ALWAYS = (trigger, at) -> Optional.of(at);

        Optional<Instant> opensAt(ResourceID trigger, Instant at);
    }

    /** Told when a Trigger's events start waiting for a window (until: its start; null: no window opens again). */
    interface Held {
        void held(ResourceID trigger, Instant until);
    }

    /** A Trigger with no window left to open rechecks its spec this often (a spec change also wakes it). */
    static final Duration NO_WINDOW_RECHECK = Duration.ofHours(1);

    private final Clock clock;
    private final Timers timers;
    private final Executor workers;
    private final ToIntFunction<ResourceID> cooldownSeconds;
    private final RetryPolicy retry;
    private final Firing firing;
    private final Outcome outcome;
    private final Windows windows;
    private final Held windowHeld;
    private final Map<ResourceID, Gate> gates = new ConcurrentHashMap<>();
    /** Triggers whose status.acceptedEvents this process took over (once: later accepted events are its own). */
    private final Set<ResourceID> recovered = ConcurrentHashMap.newKeySet();
    /** Whether a rollout the Trigger started still runs (spec.rollout.whileProgressing: Queue): its next fire waits. */
    private volatile Predicate<ResourceID> rolloutHeld = id -> false;
    private volatile Parking parking = Parking.NONE;

    FireScheduler(Clock clock, Timers timers, Executor workers, ToIntFunction<ResourceID> cooldownSeconds, RetryPolicy retry,
                  Firing firing, Outcome outcome) {
        this(clock, timers, workers, cooldownSeconds, retry, firing, outcome, Windows.ALWAYS, (t, u) -> { });
    }

    FireScheduler(Clock clock, Timers timers, Executor workers, ToIntFunction<ResourceID> cooldownSeconds, RetryPolicy retry,
                  Firing firing, Outcome outcome, Windows windows, Held held) {
        this.windows = windows;
        this.windowHeld = held;
        this.clock = clock;
        this.timers = timers;
        this.workers = workers;
        this.cooldownSeconds = cooldownSeconds;
        this.retry = retry;
        this.firing = firing;
        this.outcome = outcome;
    }

    /**
     * Holds a Trigger's next fire while {@code held} says so (a rollout it started is still Progressing): its events
     * wait, coalescing, until {@link #release}.
     */
    void holdWhile(Predicate<ResourceID> held, Parking parking) {
        this.rolloutHeld = held;
        this.parking = parking;
    }

    /** What held the Trigger's next fire has ended: fire what waits (after the cooldown, if any is left). */
    void release(ResourceID trigger) {
        Gate gate = gates.get(trigger);
        if (gate != null) dispatch(gate);
    }

    /** Queues events received together: all pending before the scheduler looks, so they coalesce into one fire. */
    List<CompletableFuture<FireResult>> submit(ResourceID trigger, List<TriggerEvent> events) {
        Gate gate = gates.computeIfAbsent(trigger, Gate::new);
        List<CompletableFuture<FireResult>> futures = new ArrayList<>(events.size());
        synchronized (gate) {
            for (TriggerEvent event : events) futures.add(gate.pending.add(event));
        }
        dispatch(gate);
        return futures;
    }

    /**
     * Queues an event to be kept in the API before its caller is answered: {@code recording.start()} tells the caller
     * to write it (it opens its fire's window); otherwise it shares the window's write.
     */
    Submitted submitRecorded(ResourceID trigger, TriggerEvent event) {
        Gate gate = gates.computeIfAbsent(trigger, Gate::new);
        Submitted submitted;
        synchronized (gate) {
            Instant now = clock.instant();
            boolean firesAtOnce = gate.pending.isEmpty() && gate.parked == null && !gate.running && gate.timer == null
                    && !rolloutHeld.test(trigger) && holdLeft(gate, now).isZero();
            CompletableFuture<FireResult> fired = gate.pending.add(event);
            submitted = new Submitted(fired, gate.pending.record(event, now, firesAtOnce));
        }
        dispatch(gate);
        return submitted;
    }

    record Submitted(CompletableFuture<FireResult> fired, PendingEvents.Recording recording) {}

    /** Queues, as one fire, events already kept in the API by an earlier leader; only the first call per Trigger counts. */
    List<CompletableFuture<FireResult>> recover(ResourceID trigger, List<TriggerEvent> events) {
        if (events.isEmpty() || !recovered.add(trigger)) return List.of();
        log.info("{}: firing {} webhook events accepted before the last leader stopped", trigger, events.size());
        Gate gate = gates.computeIfAbsent(trigger, Gate::new);
        List<CompletableFuture<FireResult>> futures = new ArrayList<>();
        synchronized (gate) {
            for (TriggerEvent event : events) {
                futures.add(gate.pending.add(event));
                gate.pending.recorded(event);
            }
        }
        dispatch(gate);
        return futures;
    }

    /**
     * Queues an event that fires as soon as no fire runs, whatever the windows, the cooldown and a rollout in progress
     * say (the fire-now annotation): it carries the events that wait with it.
     */
    CompletableFuture<FireResult> submitNow(ResourceID trigger, TriggerEvent event) {
        Gate gate = gates.computeIfAbsent(trigger, Gate::new);
        CompletableFuture<FireResult> future;
        synchronized (gate) {
            future = gate.pending.add(event);
            gate.now = true;
            cancelTimer(gate);
        }
        dispatch(gate);
        return future;
    }

    /** The Trigger's spec changed: what waits is held again against its newest windows and cooldown. */
    void reschedule(ResourceID trigger) {
        Gate gate = gates.get(trigger);
        if (gate == null) return;
        synchronized (gate) {
            if (gate.timer == null) return;
            cancelTimer(gate);
        }
        dispatch(gate);
    }

    /** Refuses what waits (not what is firing): redeliverable events come back, the others are dropped. */
    void refuse(ResourceID trigger, String why) {
        Gate gate = gates.get(trigger);
        if (gate == null) return;
        PendingEvents.Batch batch;
        synchronized (gate) {
            if (gate.pending.isEmpty() && gate.parked == null) return;
            cancelTimer(gate);
            batch = takeAll(gate);
            gate.now = false;
            gate.heldUntil = null;
        }
        parking.unpark(trigger);
        end(gate, batch, FireResult.refused(why));
    }

    /** Forgets the Trigger (deleted): what waited is refused, so sources do not acknowledge it; no retry follows. */
    void forget(ResourceID trigger) {
        recovered.remove(trigger);
        Gate gate = gates.remove(trigger);
        if (gate == null) return;
        parking.unpark(trigger);
        PendingEvents.Batch dropped;
        synchronized (gate) {
            cancelTimer(gate);
            if (gate.pending.isEmpty() && gate.parked == null) return;
            dropped = takeAll(gate);
        }
        log.warn("{}: {} waiting events not fired: the Trigger was deleted", trigger, dropped.size());
        dropped.complete(FireResult.refused("Trigger " + trigger + " was deleted before it fired"));
    }

    /** What waits: a parked batch with the events that came since, or the pending events. Under the gate's lock. */
    private static PendingEvents.Batch takeAll(Gate gate) {
        PendingEvents.Batch parked = gate.parked;
        gate.parked = null;
        if (parked == null) return gate.pending.drain();
        return gate.pending.isEmpty() ? parked : parked.plus(gate.pending.drain());
    }

    private void dispatch(Gate gate) {
        PendingEvents.Batch batch;
        synchronized (gate) {
            if (gate.running || (gate.pending.isEmpty() && gate.parked == null) || gate.timer != null
                    || (!gate.now && rolloutHeld.test(gate.trigger))) return; // a fire-now does not wait for the rollout either
            Instant now = clock.instant();
            Duration wait = holdLeft(gate, now);
            if (!wait.isZero()) {
                gate.timer = timers.schedule(() -> {
                    synchronized (gate) {
                        gate.timer = null;
                    }
                    dispatch(gate);
                }, wait);
                return;
            }
            batch = takeAll(gate);
            gate.running = true;
            gate.lastFire = now;
            gate.now = false;
            gate.heldUntil = null;
        }
        workers.execute(() -> run(gate, batch));
    }

    /**
     * How long the Trigger's next fire waits: the cooldown, then the next maintenance window, unless a fire-now asked
     * for one at once; zero when it may fire now. Tells {@link Held} when events start waiting for a window. Under the
     * gate's lock.
     */
    private Duration holdLeft(Gate gate, Instant now) {
        if (gate.now) return Duration.ZERO;
        Duration wait = cooldownLeft(gate, now);
        Instant earliest = now.plus(wait);
        Optional<Instant> opens = windows.opensAt(gate.trigger, earliest);
        if (opens.isPresent() && !opens.get().isAfter(earliest)) return wait;
        Instant until = opens.orElse(null);
        if (!gate.pending.isEmpty() && (gate.heldUntil == null || !gate.heldUntil.equals(until == null ? Instant.MAX : until))) {
            gate.heldUntil = until == null ? Instant.MAX : until;
            windowHeld.held(gate.trigger, until);
        }
        return until == null ? NO_WINDOW_RECHECK : Duration.between(now, until);
    }

    /** How long the Trigger's cooldown still holds its next fire back; zero when it may fire now. Under the gate's lock. */
    private Duration cooldownLeft(Gate gate, Instant now) {
        int cooldown = cooldownSeconds.applyAsInt(gate.trigger);
        if (gate.lastFire == null || cooldown <= 0) return Duration.ZERO;
        Duration wait = Duration.between(now, gate.lastFire.plusSeconds(cooldown));
        return wait.isNegative() ? Duration.ZERO : wait;
    }

    private void run(Gate gate, PendingEvents.Batch batch) {
        FireResult result;
        try {
            result = firing.fire(gate.trigger, batch);
        } catch (RuntimeException e) {
            log.error("{}: fire failed unexpectedly", gate.trigger, e);
            result = FireResult.failed("internal error while firing: " + KubernetesErrors.rootMessage(e));
        }
        batch.attempted(result);
        if (result.waitsForResume() && park(gate, batch, result)) return;
        if (result.retryable() && retry(gate, batch)) return;
        synchronized (gate) {
            gate.running = false;
            gate.retries = 0;
        }
        end(gate, batch, result);
        dispatch(gate);
    }

    private void end(Gate gate, PendingEvents.Batch batch, FireResult result) {
        try {
            outcome.ended(gate.trigger, batch, result);
        } catch (RuntimeException e) {
            log.warn("{}: recording a fire failed", gate.trigger, e);
        }
        batch.complete(result);
    }

    /** Parks the batch (its events wait, and events that come meanwhile join them) if someone watches for the resume. */
    private boolean park(Gate gate, PendingEvents.Batch batch, FireResult result) {
        // Still running while the watch starts: no other fire can take the gate meanwhile.
        if (gates.get(gate.trigger) != gate || !parking.park(gate.trigger, result)) return false;
        synchronized (gate) {
            if (gates.get(gate.trigger) != gate) {
                parking.unpark(gate.trigger); // forgotten meanwhile: the batch ends below, as it is
                return false;
            }
            gate.parked = batch;
            gate.running = false;
            gate.retries = 0;
        }
        log.info("{}: {} events wait: {}", gate.trigger, batch.size(), result.summary());
        dispatch(gate); // held while parked: fires once released
        return true;
    }

    /** Schedules the batch again (with the events that arrived meanwhile), unless the policy is spent or the Trigger forgotten. */
    private boolean retry(Gate gate, PendingEvents.Batch batch) {
        Duration delay;
        int attempt;
        synchronized (gate) {
            delay = gates.get(gate.trigger) == gate ? retry.delay(gate.retries + 1) : null;
            if (delay == null) return false;
            attempt = ++gate.retries;
        }
        log.info("{}: fire failed for a passing reason, retry {} in {} ms", gate.trigger, attempt, delay.toMillis());
        timers.schedule(() -> {
            PendingEvents.Batch next;
            synchronized (gate) {
                next = batch.plus(gate.pending.drain());
            }
            workers.execute(() -> run(gate, next));
        }, delay);
        return true;
    }

    private static void cancelTimer(Gate gate) {
        if (gate.timer != null) {
            gate.timer.run();
            gate.timer = null;
        }
    }

    /** Per-Trigger state, guarded by synchronizing on the gate. */
    private static final class Gate {
        final ResourceID trigger;
        final PendingEvents pending = new PendingEvents();
        boolean running;
        Instant lastFire;
        /** A fire that found its Deployment paused, waiting (with its events) for the resume; null when none. */
        PendingEvents.Batch parked;
        /** Cancels the cooldown's timer; null while none is set. */
        Runnable timer;
        int retries;
        /** A fire-now waits: the next fire ignores windows and cooldown. */
        boolean now;
        /** The window start the waiting events were last said to be held until (MAX: none opens again); null when not held. */
        Instant heldUntil;

        Gate(ResourceID trigger) {
            this.trigger = trigger;
        }
    }
}
