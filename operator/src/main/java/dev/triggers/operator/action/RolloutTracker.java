package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.RolloutFollowing;
import dev.triggers.operator.support.DaemonThreads;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.support.NamespaceQuota;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the rollout each fire started until it is Complete, Failed or Superseded, off the fire path: the fire's
 * patch response says which generation to wait for, and the workloads are then read (GET by name) on a backing-off
 * timer, one timer per Trigger on the shared {@link Timers}, the reads on a small shared pool. No thread and no watch
 * per rollout. Bounded: one rollout per Trigger (a newer fire supersedes the older), at most
 * {@link #MAX_WORKLOADS} workloads followed per rollout, and a limit of workloads followed per namespace (a tenant)
 * and in all: past it a rollout is NotFollowed, and says so.
 */
final class RolloutTracker {
    private static final Logger log = LoggerFactory.getLogger(RolloutTracker.class);
    /** Workloads followed per rollout (an Application's first ones, by kind and name); the status lists as many. */
    static final int MAX_WORKLOADS = 50;
    /** The kinds whose rollout {@link RolloutProgress} can read. */
    static final java.util.Set<String> FOLLOWED_KINDS = java.util.Set.of(WorkloadRef.DEPLOYMENT, WorkloadRef.STATEFUL_SET, WorkloadRef.DAEMON_SET,
            ArgoRollouts.KIND);

    /** How often a rollout's workloads are read: {@code first} after the fire, then each delay times 1.5, up to {@code max}. */
    record Polling(Duration first, Duration max) {
        static final Polling DEFAULT = new Polling(Duration.ofSeconds(2), Duration.ofSeconds(30));
    }

    /** Starts a later wave of a fire (action.maxConcurrent): acts on its workloads, with a fire's checks. */
    interface WaveStarter {
        WaveStarter NONE = (trigger, event, wave) -> wave.stream().map(r -> WorkloadResult.failed(r, "waves are not started here")).toList();

        List<WorkloadResult> start(ResourceID trigger, TriggerEvent event, List<WorkloadRef> wave);
    }

    /** Told when a rollout ends; {@code shown} is false when the Trigger's own newer rollout replaces it on the status. */
    interface Ended {
        void ended(ResourceID trigger, RolloutStatus rollout, String action, Duration took, boolean shown);
    }

    private final KubernetesClient client;
    private final TargetResolver targets;
    private final Clock clock;
    private final Timers timers;
    private final Executor reads;
    private final Polling polling;
    private final RolloutFollowing limits;
    /** The read pool this tracker made and closes; null when it was given one. */
    private ExecutorService ownReads;
    private final Function<ResourceID, Optional<Trigger>> triggers;
    private final Ended ended;
    /** Told when a Trigger's fire starts or stops waiting for a paused Deployment (why, or null). */
    private volatile BiConsumer<ResourceID, String> waiting = (id, why) -> {};
    private final Map<ResourceID, Resume> resumes = new ConcurrentHashMap<>();
    private volatile Consumer<ResourceID> released = id -> {};
    private volatile WaveStarter waves = WaveStarter.NONE;
    /** Told when a rollout moved on without a fire (a wave started), so that the status shows it. */
    private volatile Consumer<ResourceID> progressed = id -> {};
    private final Map<ResourceID, Rollout> rollouts = new ConcurrentHashMap<>();
    /** Workloads followed (and paused ones watched), per namespace and in all. */
    private final NamespaceQuota followedWorkloads;

    /** The operator's tracker: its reads on two threads of its own (a few GETs a second at most, off the fire path). */
    static RolloutTracker start(KubernetesClient client, Clock clock, Timers timers, RolloutFollowing limits,
                                Function<ResourceID, Optional<Trigger>> triggers, FireRecords records) {
        ExecutorService reads = Executors.newFixedThreadPool(2, DaemonThreads.named("rollout-read"));
        RolloutTracker tracker = new RolloutTracker(client, clock, timers, reads, Polling.DEFAULT, limits, triggers, records::rolloutEnded);
        tracker.ownReads = reads;
        records.useRollouts(tracker::snapshot);
        tracker.waiting = records::waiting;
        tracker.progressed = records::rolloutProgressed;
        return tracker;
    }

    RolloutTracker(KubernetesClient client, Clock clock, Timers timers, Executor reads, Polling polling, RolloutFollowing limits,
                   Function<ResourceID, Optional<Trigger>> triggers, Ended ended) {
        this.client = client;
        this.targets = new TargetResolver(client);
        this.clock = clock;
        this.timers = timers;
        this.reads = reads;
        this.polling = polling;
        this.limits = limits;
        this.followedWorkloads = new NamespaceQuota(limits.perNamespace(), limits.total());
        this.triggers = triggers;
        this.ended = ended;
    }

    /** Where the later waves of a fire are started (the executor's action runner). */
    void startWavesWith(WaveStarter waves) {
        this.waves = waves;
    }

    /** The scheduler holds the fires of a Trigger while {@link #holds} says so, and fires what waits when its rollout ends. */
    void holdFiresOf(FireScheduler scheduler) {
        scheduler.holdWhile(this::holds, new FireScheduler.Parking() {
            @Override
            public boolean park(ResourceID trigger, FireResult result) {
                return waitForResume(trigger, result);
            }

            @Override
            public void unpark(ResourceID trigger) {
                stopWaiting(trigger, false);
            }
        });
        this.released = scheduler::release;
    }

    /** Starts following what the fire patched (nothing to follow: nothing changes); supersedes the Trigger's older rollout. */
    void start(ResourceID id, TriggerEvent event, FireResult result) {
        List<WorkloadResult> started = result.workloads().stream()
                .filter(w -> w.started() != null && FOLLOWED_KINDS.contains(w.workload().kind())).toList();
        List<WorkloadRef> waiting = result.workloads().stream().filter(w -> w.outcome() == WorkloadResult.Outcome.WAITING)
                .map(WorkloadResult::workload).toList();
        Trigger trigger = triggers.apply(id).orElse(null);
        if (!limits.enabled() || result.refused() || started.isEmpty() || trigger == null) return;
        Instant now = clock.instant();
        Integer timeout = trigger.getSpec().rolloutOrDefault().getTimeoutSeconds();
        boolean application = trigger.getSpec().getTarget().isApplication();
        String action = trigger.getSpec().actionOrDefault().typeOrDefault();
        Outcome superseded = new Outcome(RolloutStatus.SUPERSEDED, "superseded by the fire of event " + event.id() + " of this Trigger");
        List<WorkloadResult> followed = started.size() > MAX_WORKLOADS ? started.subList(0, MAX_WORKLOADS) : started;
        String namespace = id.getNamespace().orElse("");
        Rollout rollout = new Rollout(id, event.id(), now, application, action, followed, timeout,
                started.size() - followed.size());
        rollout.event = event;
        // Waves: the first was this fire's; the others start one after the other, each the size of the first.
        int waveSize = result.workloads().size() - waiting.size();
        for (int i = 0; i < waiting.size(); i += waveSize) rollout.waves.add(waiting.subList(i, Math.min(waiting.size(), i + waveSize)));
        rollout.reservedCount = followed.size() + waiting.size();
        if (!followedWorkloads.tryTake(namespace, rollout.reservedCount)) {
            String why = "not followed: the operator already follows its limit of rollouts"
                    + (followedWorkloads.fitsNamespace(namespace, followed.size()) ? "" : " in namespace " + namespace);
            log.warn("{}: rollout of event {} {}", id, event.id(), why);
            rollout.reserved = false;
            Rollout older = rollouts.get(id);
            if (older != null) finish(older, superseded, false);
            finish(rollout, new Outcome(RolloutStatus.NOT_FOLLOWED, why), true);
            return;
        }
        // Put, then supersede what it replaced: a rollout followed again (resume) meanwhile is never left behind.
        Rollout older = rollouts.put(id, rollout);
        if (older != null) finish(older, superseded, false);
        schedule(rollout, polling.first());
    }

    /**
     * Follows again a rollout the Trigger's status shows Progressing that this process does not follow (an earlier
     * leader started it): its workloads are found again, each with the generation it has now, so a workload whose pod
     * template still carries the event is followed to its end and one that carries another is Superseded. Off the
     * caller's thread; the timeout counts from the rollout's start as before.
     */
    void resume(Trigger trigger) {
        RolloutStatus shown = trigger.getStatus() == null ? null : trigger.getStatus().getLastRollout();
        ResourceID id = ResourceID.fromResource(trigger);
        if (!limits.enabled() || shown == null || !RolloutStatus.PROGRESSING.equals(shown.getState()) || shown.getEventId() == null
                || rollouts.containsKey(id)) return;
        try {
            reads.execute(() -> {
                try {
                    resume(id, trigger, shown);
                } catch (RuntimeException e) {
                    log.warn("{}: could not follow again the rollout of event {}: {}", id, shown.getEventId(),
                            KubernetesErrors.describe(e, "look up", TargetResolver.describe(trigger)));
                }
            });
        } catch (RejectedExecutionException e) {
            // Shutting down.
        }
    }

    private void resume(ResourceID id, Trigger trigger, RolloutStatus shown) {
        Instant startedAt;
        try {
            startedAt = Instant.parse(shown.getStartedAt());
        } catch (RuntimeException e) {
            startedAt = clock.instant();
        }
        boolean scaleUp = ActionSpec.SCALE_UP.equals(trigger.getSpec().actionOrDefault().typeOrDefault());
        List<WorkloadResult> found = new ArrayList<>();
        for (HasMetadata w : targets.resolve(trigger)) {
            if (!FOLLOWED_KINDS.contains(w.getKind())) continue;
            found.add(new WorkloadResult(TargetResolver.ref(w), WorkloadResult.Outcome.ALREADY_APPLIED, "followed again")
                    .startedRollout(RolloutStart.of(w, scaleUp ? ScaleUpAction.replicas(w) : 0)));
        }
        if (found.isEmpty()) return;
        String action = trigger.getSpec().actionOrDefault().typeOrDefault();
        List<WorkloadResult> followed = found.size() > MAX_WORKLOADS ? found.subList(0, MAX_WORKLOADS) : found;
        Rollout rollout = new Rollout(id, shown.getEventId(), startedAt, trigger.getSpec().getTarget().isApplication(), action, followed,
                trigger.getSpec().rolloutOrDefault().getTimeoutSeconds(), found.size() - followed.size());
        rollout.reservedCount = followed.size();
        if (!followedWorkloads.tryTake(id.getNamespace().orElse(""), followed.size())) return;
        if (rollouts.putIfAbsent(id, rollout) != null) {
            release(rollout); // a fire started a newer one meanwhile
            return;
        }
        log.info("{}: following again the rollout of event {} (started {})", id, shown.getEventId(), shown.getStartedAt());
        schedule(rollout, Duration.ZERO);
    }

    /** The rollout the Trigger follows now, as the status shows it; empty when none. */
    Optional<RolloutStatus> snapshot(ResourceID id) {
        Rollout rollout = rollouts.get(id);
        if (rollout == null) return Optional.empty();
        synchronized (rollout) {
            return Optional.of(rollout.status(null, null, null));
        }
    }

    /** Whether the Trigger follows a rollout that has not ended. */
    boolean progressing(ResourceID id) {
        Rollout rollout = rollouts.get(id);
        if (rollout == null) return false;
        synchronized (rollout) {
            return rollout.outcome == null;
        }
    }

    /** rollout.whileProgressing Queue (the default): the Trigger's next fire waits for the end of the rollout its last one started. */
    boolean holds(ResourceID id) {
        return resumes.containsKey(id)
                || progressing(id) && triggers.apply(id).map(t -> t.getSpec().rolloutOrDefault().queuesWhileProgressing()).orElse(false);
    }

    /**
     * A fire found only paused Deployments: its events wait until each is resumed (read like a rollout, on the same
     * timers), and the status says so (status.waitingFor). False when nothing can watch (following off, or at the limit):
     * the fire then fails, as it did before rollout following.
     */
    boolean waitForResume(ResourceID id, FireResult result) {
        List<WorkloadRef> paused = result.workloads().stream().map(WorkloadResult::workload).limit(MAX_WORKLOADS).toList();
        if (!limits.enabled() || paused.isEmpty() || resumes.containsKey(id) || !followedWorkloads.tryTake(id.getNamespace().orElse(""), paused.size())) return false;
        Resume resume = new Resume(id, paused, clock.instant());
        resumes.put(id, resume);
        String why = result.summary() + " — its events wait and fire once it is resumed";
        log.info("{}: {}", id, why);
        waiting.accept(id, FireRecorder.truncate(why));
        scheduleResume(resume, polling.first());
        return true;
    }

    private void stopWaiting(ResourceID id, boolean resumed) {
        Resume resume = resumes.remove(id);
        if (resume == null) return;
        synchronized (resume) {
            if (resume.timer != null) resume.timer.run();
            resume.timer = null;
        }
        followedWorkloads.release(id.getNamespace().orElse(""), resume.workloads.size());
        waiting.accept(id, null);
        if (resumed) released.accept(id);
    }

    private void scheduleResume(Resume resume, Duration delay) {
        synchronized (resume) {
            if (resumes.get(resume.trigger) != resume) return;
            resume.delay = delay;
            try {
                resume.timer = timers.schedule(() -> {
                    try {
                        reads.execute(() -> pollResume(resume));
                    } catch (RejectedExecutionException e) {
                        // Shutting down.
                    }
                }, delay);
            } catch (RejectedExecutionException e) {
                // Shutting down.
            }
        }
    }

    /** Resumed when no workload is paused any more (a deleted one counts: the fire then says it is not found). */
    private void pollResume(Resume resume) {
        boolean stillPaused = false;
        for (WorkloadRef ref : resume.workloads) {
            try {
                HasMetadata live = targets.get(ref);
                if (live instanceof io.fabric8.kubernetes.api.model.apps.Deployment d && Boolean.TRUE.equals(d.getSpec().getPaused())) stillPaused = true;
            } catch (RuntimeException e) {
                stillPaused = true; // read again later
            }
        }
        if (!stillPaused && resumes.get(resume.trigger) == resume) {
            log.info("{}: resumed after {} s: firing what waited", resume.trigger, Duration.between(resume.since, clock.instant()).toSeconds());
            stopWaiting(resume.trigger, true);
        } else {
            scheduleResume(resume, next(resume.delay));
        }
    }

    /** The Trigger is gone: stop following its rollout, record nothing. */
    void forget(ResourceID id) {
        stopWaiting(id, false);
        Rollout rollout = rollouts.remove(id);
        if (rollout == null) return;
        synchronized (rollout) {
            if (rollout.outcome != null) return;
            rollout.outcome = new Outcome(RolloutStatus.SUPERSEDED, "the Trigger was deleted");
            cancel(rollout);
        }
        release(rollout);
    }

    /** Stops reading: rollouts still followed stay Progressing on their status. */
    void close() {
        if (ownReads != null) ownReads.shutdownNow();
    }

    /** Workloads followed now, in all. */
    int followed() {
        return followedWorkloads.inAll();
    }

    private void release(Rollout rollout) {
        if (!rollout.reserved) return;
        rollout.reserved = false;
        followedWorkloads.release(rollout.trigger.getNamespace().orElse(""), rollout.reservedCount);
    }

    private void schedule(Rollout rollout, Duration delay) {
        synchronized (rollout) {
            if (rollout.outcome != null) return;
            Duration untilDeadline = Duration.between(clock.instant(), rollout.earliestDeadline());
            Duration wait = untilDeadline.compareTo(delay) < 0 ? (untilDeadline.isNegative() ? Duration.ZERO : untilDeadline) : delay;
            rollout.nextDelay = delay;
            try {
                rollout.timer = timers.schedule(() -> read(rollout), wait);
            } catch (RejectedExecutionException e) {
                // Shutting down: the rollout stays Progressing on the status.
            }
        }
    }

    private void read(Rollout rollout) {
        try {
            reads.execute(() -> poll(rollout));
        } catch (RejectedExecutionException e) {
            // Shutting down.
        }
    }

    /** Reads each workload not yet done, decides, and ends the rollout or reads again later. */
    private void poll(Rollout rollout) {
        List<Followed> open;
        synchronized (rollout) {
            if (rollout.outcome != null) return;
            rollout.timer = null;
            open = rollout.workloads.stream().filter(w -> !w.progress.ended()).toList();
        }
        boolean scaleUp = ActionSpec.SCALE_UP.equals(rollout.action);
        for (Followed w : open) {
            RolloutProgress.Progress progress;
            try {
                progress = RolloutProgress.of(targets.get(w.ref), w.ref, w.start, rollout.eventId, scaleUp);
            } catch (RuntimeException e) {
                progress = RolloutProgress.Progress.progressing(KubernetesErrors.describe(e, "read", w.ref));
            }
            Instant now = clock.instant();
            if (!progress.ended() && !now.isBefore(w.deadline)) {
                progress = new RolloutProgress.Progress(RolloutStatus.FAILED, w.ref + " not rolled out within "
                        + (rollout.timeoutSeconds != null ? "rollout.timeoutSeconds (" + rollout.timeoutSeconds + " s)"
                        : "its progress deadline (" + w.start.deadlineSeconds() + " s)") + ": " + progress.reason());
            }
            synchronized (rollout) {
                w.progress = progress;
            }
        }
        Outcome outcome;
        synchronized (rollout) {
            if (rollout.outcome != null) return;
            outcome = rollout.outcome();
        }
        if (outcome != null && RolloutStatus.COMPLETE.equals(outcome.state()) && !rollout.waves.isEmpty()) startWave(rollout);
        else if (outcome != null) finish(rollout, outcome, true);
        else schedule(rollout, next(rollout.nextDelay));
    }

    /** The waves before are Complete: the next one is acted on (on this read thread) and followed from now on. */
    private void startWave(Rollout rollout) {
        List<WorkloadRef> wave;
        int number;
        synchronized (rollout) {
            if (rollout.outcome != null || rollout.waves.isEmpty()) return;
            wave = rollout.waves.remove(0);
            number = ++rollout.wave;
        }
        log.info("{}: rollout of event {}: wave {} starts ({})", rollout.trigger, rollout.eventId, number, wave);
        List<WorkloadResult> results = waves.start(rollout.trigger, rollout.event, wave);
        Instant now = clock.instant();
        synchronized (rollout) {
            for (WorkloadResult r : results) {
                RolloutStart start = r.started() != null ? r.started() : new RolloutStart(0, 0, 0);
                int seconds = rollout.timeoutSeconds != null ? rollout.timeoutSeconds : start.deadlineSeconds();
                Followed followed = new Followed(r.workload(), start, now.plusSeconds(seconds));
                if (r.started() == null) {
                    followed.progress = new RolloutProgress.Progress(r.failed() ? RolloutStatus.FAILED : RolloutStatus.COMPLETE, r.message());
                }
                rollout.workloads.add(followed);
            }
        }
        progressed.accept(rollout.trigger);
        schedule(rollout, polling.first());
    }

    private Duration next(Duration delay) {
        Duration longer = Duration.ofMillis(delay.toMillis() * 3 / 2);
        return longer.compareTo(polling.max()) > 0 ? polling.max() : longer;
    }

    private void finish(Rollout rollout, Outcome outcome, boolean shown) {
        RolloutStatus status;
        Instant now = clock.instant();
        synchronized (rollout) {
            if (rollout.outcome != null) return;
            if (!rollout.waves.isEmpty()) {
                // A wave that did not complete stops the waves after it: named on the status.
                String left = rollout.waves.stream().flatMap(List::stream).map(WorkloadRef::toString).collect(Collectors.joining(", "));
                outcome = new Outcome(outcome.state(), outcome.reason() + "; not restarted (later waves): " + left);
            }
            rollout.outcome = outcome;
            cancel(rollout);
            for (Followed w : rollout.workloads) {
                if (!w.progress.ended()) w.progress = new RolloutProgress.Progress(outcome.state(), outcome.reason());
            }
            status = rollout.status(outcome.state(), outcome.reason(), now.toString());
        }
        rollouts.remove(rollout.trigger, rollout);
        release(rollout);
        log.info("{}: rollout of event {} {}: {}", rollout.trigger, rollout.eventId, outcome.state(), outcome.reason());
        try {
            ended.ended(rollout.trigger, status, rollout.action, Duration.between(rollout.startedAt, now), shown);
        } catch (RuntimeException e) {
            log.warn("{}: recording the end of a rollout failed", rollout.trigger, e);
        }
        if (shown) released.accept(rollout.trigger);
    }

    private static void cancel(Rollout rollout) {
        if (rollout.timer != null) {
            rollout.timer.run();
            rollout.timer = null;
        }
    }

    private record Outcome(String state, String reason) {}

    /** A fire waiting for its paused Deployments to be resumed; its timer guarded by synchronizing on it. */
    private static final class Resume {
        final ResourceID trigger;
        final List<WorkloadRef> workloads;
        final Instant since;
        Runnable timer;
        Duration delay;

        Resume(ResourceID trigger, List<WorkloadRef> workloads, Instant since) {
            this.trigger = trigger;
            this.workloads = workloads;
            this.since = since;
        }
    }

    /** One workload followed: its deadline and where it stands. Guarded by its rollout. */
    private static final class Followed {
        final WorkloadRef ref;
        final RolloutStart start;
        final Instant deadline;
        RolloutProgress.Progress progress;

        Followed(WorkloadRef ref, RolloutStart start, Instant deadline) {
            this.ref = ref;
            this.start = start;
            this.deadline = deadline;
            this.progress = RolloutProgress.Progress.progressing(ref + ": rollout started");
        }
    }

    /** A Trigger's rollout being followed; guarded by synchronizing on it. */
    private static final class Rollout {
        final ResourceID trigger;
        final String eventId;
        final Instant startedAt;
        final boolean application;
        final String action;
        final Integer timeoutSeconds;
        final int notFollowed;
        final List<Followed> workloads = new ArrayList<>();
        /** The waves not started yet (action.maxConcurrent), in order. */
        final List<List<WorkloadRef>> waves = new ArrayList<>();
        /** The event of the fire, carried by each later wave. */
        TriggerEvent event;
        /** Waves started so far (the fire's own is 1). */
        int wave = 1;
        /** Workloads counted against the limits for this rollout, every wave's. */
        int reservedCount;
        Outcome outcome;
        Runnable timer;
        Duration nextDelay;
        boolean reserved = true;

        Rollout(ResourceID trigger, String eventId, Instant startedAt, boolean application, String action, List<WorkloadResult> started,
                Integer timeoutSeconds, int notFollowed) {
            this.trigger = trigger;
            this.eventId = eventId;
            this.startedAt = startedAt;
            this.application = application;
            this.action = action;
            this.timeoutSeconds = timeoutSeconds;
            this.notFollowed = notFollowed;
            for (WorkloadResult w : started) {
                int seconds = timeoutSeconds != null ? timeoutSeconds : w.started().deadlineSeconds();
                workloads.add(new Followed(w.workload(), w.started(), startedAt.plusSeconds(seconds)));
            }
        }

        Instant earliestDeadline() {
            return workloads.stream().filter(w -> !w.progress.ended()).map(w -> w.deadline).min(Instant::compareTo).orElse(startedAt);
        }

        /** The rollout's outcome once every workload ended: Failed if one failed, else Superseded if one was, else Complete. */
        Outcome outcome() {
            if (workloads.stream().anyMatch(w -> !w.progress.ended())) return null;
            List<Followed> failed = workloads.stream().filter(w -> RolloutStatus.FAILED.equals(w.progress.state())).toList();
            List<Followed> superseded = workloads.stream().filter(w -> RolloutStatus.SUPERSEDED.equals(w.progress.state())).toList();
            if (!failed.isEmpty()) return new Outcome(RolloutStatus.FAILED, summary(failed, "failed"));
            if (!superseded.isEmpty()) return new Outcome(RolloutStatus.SUPERSEDED, summary(superseded, "superseded"));
            return new Outcome(RolloutStatus.COMPLETE, workloads.size() == 1 ? workloads.get(0).progress.reason()
                    : workloads.size() + " workloads rolled out" + (notFollowed > 0 ? " (" + notFollowed + " more not followed)" : ""));
        }

        private String summary(List<Followed> which, String what) {
            String reasons = which.stream().map(w -> w.progress.reason()).collect(Collectors.joining("; "));
            return workloads.size() == 1 ? reasons : which.size() + " of " + workloads.size() + " workloads " + what + ": " + reasons;
        }

        /** As the status shows it: ended with {@code state} (null: as it stands, Progressing). */
        RolloutStatus status(String state, String reason, String endedAt) {
            List<RolloutStatus.WorkloadRollout> entries = !application ? null : new ArrayList<>(workloads.stream()
                    .map(w -> new RolloutStatus.WorkloadRollout(w.ref.kind(), w.ref.name(), w.progress.state(), FireRecorder.truncate(w.progress.reason())))
                    .toList());
            int number = wave;
            for (List<WorkloadRef> later : waves) {
                number++;
                for (WorkloadRef ref : later) {
                    if (entries.size() >= MAX_WORKLOADS) break;
                    entries.add(state == null ? new RolloutStatus.WorkloadRollout(ref.kind(), ref.name(), RolloutStatus.WAITING, "wave " + number)
                            : new RolloutStatus.WorkloadRollout(ref.kind(), ref.name(), RolloutStatus.NOT_RESTARTED, "wave " + number + " not started"));
                }
            }
            String now = state != null ? reason : workloads.size() == 1 && waves.isEmpty() && wave == 1 ? workloads.get(0).progress.reason()
                    : (waves.isEmpty() && wave == 1 ? "" : "wave " + wave + " of " + (wave + waves.size()) + ": ")
                    + workloads.stream().filter(w -> w.progress.ended()).count() + " of " + workloads.size() + " workloads done";
            return new RolloutStatus(eventId, startedAt.toString(), state != null ? state : RolloutStatus.PROGRESSING,
                    FireRecorder.truncate(now), endedAt, entries);
        }
    }
}
