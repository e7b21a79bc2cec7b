package dev.triggers.operator.action;

import dev.triggers.operator.support.PatchTargets;
import dev.triggers.operator.support.KubernetesErrors;
import dev.triggers.operator.api.v1alpha1.RolloutStatus;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what a fire did: the executor's own status fields (a merge patch of only those, so it never
 * races the reconciler's) and a Kubernetes Event on the Trigger.
 */
public final class FireRecorder {
    private static final Logger log = LoggerFactory.getLogger(FireRecorder.class);
    public static final String REASON_FIRED = "Fired";
    public static final String REASON_FIRE_FAILED = "FireFailed";
    /** Events refused at the moment of the patch (suspended, invalid, not granted, deleted). */
    public static final String REASON_EVENTS_DROPPED = "EventsDropped";
    /** Events wait for the next maintenance window (spec.windows). */
    public static final String REASON_HELD = "Held";
    /** A fire-now annotation fired at once, whatever the windows and the cooldown said. */
    public static final String REASON_FIRE_NOW = "FireNow";
    public static final String REASON_ROLLOUT_COMPLETE = "RolloutComplete";
    public static final String REASON_ROLLOUT_FAILED = "RolloutFailed";
    static final int MAX_MESSAGE = 1024;
    /** The status fields a fire record writes; nobody else writes them. */
    public static final Set<String> STATUS_FIELDS = Set.of(
            "lastFiredAt", "fireCount", "coalescedCount", "droppedCount", "lastEvent", "lastFireResult", "lastFireRequest", "lastScheduleTime", "nextFireAt",
            "heldUntil", "acceptedEvents", "scaleReverts", "lastRevert", "lastRollout", "waitingFor");

    /** As the Kubernetes event recorder: the same reason on the same object within this window updates one Event. */
    static final Duration AGGREGATE_WITHIN = Duration.ofMinutes(10);

    private final KubernetesClient client;
    private final Clock clock;
    /** Bounded: past it, or after the window, a reason gets a new Event (as without aggregation). */
    private final Cache<EventKey, Sent> sent = Caffeine.newBuilder().maximumSize(50_000).expireAfterWrite(AGGREGATE_WITHIN)
            .executor(Runnable::run).build();

    public FireRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /**
     * Patches the fire record onto the Trigger's status: the counts, the newest successful fire (its
     * event and when it ended; null if none since the last record) and the newest result; the fire-request
     * annotation value handled (or null), and the accepted events whose fire ended (removed from acceptedEvents).
     * Returns false if the patch failed.
     */
    public boolean recordStatus(Trigger trigger, TriggerEvent lastFired, Instant firedAt, FireResult result, long fireCount, long coalescedCount,
                                long droppedCount, String fireRequest, java.util.Collection<String> acceptedDone) {
        return recordStatus(trigger, lastFired, firedAt, result, fireCount, coalescedCount, droppedCount, fireRequest, acceptedDone, Map.of());
    }

    /** As above, with the source's own fields of the record as they are now ({@code sourceFields}, e.g. nextFireAt). */
    public boolean recordStatus(Trigger trigger, TriggerEvent lastFired, Instant firedAt, FireResult result, long fireCount, long coalescedCount,
                                long droppedCount, String fireRequest, java.util.Collection<String> acceptedDone, Map<String, String> sourceFields) {
        return recordStatus(trigger, lastFired, firedAt, result, fireCount, coalescedCount, droppedCount, fireRequest, acceptedDone, sourceFields, null);
    }

    /** As above, with the rollout the Trigger follows now (null: lastRollout is left as it is). */
    public boolean recordStatus(Trigger trigger, TriggerEvent lastFired, Instant firedAt, FireResult result, long fireCount, long coalescedCount,
                                long droppedCount, String fireRequest, java.util.Collection<String> acceptedDone, Map<String, String> sourceFields,
                                RolloutStatus rollout) {
        Map<String, Object> status = new LinkedHashMap<>(sourceFields);
        if (rollout != null) status.put("lastRollout", rolloutPatch(rollout));
        status.put("fireCount", fireCount);
        if (lastFired != null) {
            status.put("lastFiredAt", firedAt.toString());
            status.put("lastEvent", new TriggerStatus.EventRecord(lastFired.source(), lastFired.id(), lastFired.receivedAt().toString(), lastFired.caller()));
            if (TriggerEvent.CRON.equals(lastFired.source())) status.put("lastScheduleTime", lastFired.receivedAt().toString());
        }
        status.put("coalescedCount", coalescedCount);
        if (fireRequest != null) status.put("lastFireRequest", fireRequest);
        if (droppedCount > 0) status.put("droppedCount", droppedCount);
        if (!acceptedDone.isEmpty()) {
            Map<String, Object> done = new LinkedHashMap<>();
            for (String id : acceptedDone) done.put(id, null); // null removes the entry (RFC 7386)
            status.put("acceptedEvents", done);
        }
        status.put("lastFireResult", truncate(result.summary()));
        return patchStatus(trigger, status, "a fire");
    }

    /**
     * Writes the source's own fields of the record (null clears one) when the status does not show them already: a
     * cron source started, stopped, or missed a slot, so its next slot moved without a fire. Returns false if the
     * patch failed.
     */
    public boolean recordSourceFields(Trigger trigger, Map<String, String> sourceFields) {
        if (sourceFields.isEmpty()) return true;
        Map<?, ?> shown = trigger.getStatus() == null ? Map.of() : client.getKubernetesSerialization().convertValue(trigger.getStatus(), Map.class);
        boolean same = sourceFields.entrySet().stream().allMatch(e -> java.util.Objects.equals(shown.get(e.getKey()), e.getValue()));
        return same || patchStatus(trigger, new LinkedHashMap<>(sourceFields), "the source's fields");
    }

    /** Writes the temporary scale-up's part of the record (scaleReverts, lastRevert; see ScaleReverts); throws if it fails. */
    void recordReverts(Trigger trigger, Map<String, Object> status) {
        patch(trigger, status);
    }

    /** Writes status.heldUntil: when the held events fire (null: no window opens again, or nothing is held). */
    public boolean recordHeld(Trigger trigger, Instant until) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("heldUntil", until == null ? null : until.toString());
        return patchStatus(trigger, status, "the held events");
    }

    private boolean patchStatus(Trigger trigger, Map<String, Object> status, String what) {
        try {
            patch(trigger, status);
            return true;
        } catch (RuntimeException e) {
            log.warn("{}/{}: could not record {} on status: {}", trigger.getMetadata().getNamespace(),
                    trigger.getMetadata().getName(), what, KubernetesErrors.describe(e, "patch status of", "Trigger"));
            return false;
        }
    }

    /** A merge patch of these status fields; throws if it fails. */
    private void patch(Trigger trigger, Map<String, Object> status) {
        // Through PatchTargets: fabric8's withName(..).patch(..) would GET the object first.
        client.resources(Trigger.class).resource(PatchTargets.of(trigger)).subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(Map.of("status", status)));
    }

    /** Patches status.lastRollout (a rollout that ended); returns false if the patch failed. */
    public boolean recordRollout(Trigger trigger, RolloutStatus rollout) {
        return patchStatus(trigger, Map.of("lastRollout", rolloutPatch(rollout)), "the end of a rollout");
    }

    /** Patches status.waitingFor (null removes it); a failure is logged, the wait goes on. */
    public void recordWaiting(Trigger trigger, String why) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("waitingFor", why);
        patchStatus(trigger, status, "why events wait");
    }

    /** lastRollout whole, with a null for each field it has not (a merge patch then removes the older rollout's). */
    private static Map<String, Object> rolloutPatch(RolloutStatus rollout) {
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("eventId", rollout.getEventId());
        patch.put("startedAt", rollout.getStartedAt());
        patch.put("state", rollout.getState());
        patch.put("reason", rollout.getReason());
        patch.put("endedAt", rollout.getEndedAt());
        patch.put("workloads", rollout.getWorkloads());
        return patch;
    }

    /**
     * Adds an accepted event to status.acceptedEvents (the next leader fires what is there); throws if the patch
     * fails, so the caller is not told the event was accepted.
     */
    public void recordAccepted(Trigger trigger, TriggerEvent event) {
        var record = new TriggerStatus.EventRecord(event.source(), event.id(), event.receivedAt().toString(), event.caller());
        patch(trigger, Map.of("acceptedEvents", Map.of(event.id(), record)));
    }

    /**
     * Records a Kubernetes Event (Fired / FireFailed, or another reason) on the Trigger. Like the Kubernetes event
     * recorder, a reason seen again on the same Trigger within {@link #AGGREGATE_WITHIN} updates the Event it wrote
     * last (count, lastTimestamp, message) instead of adding one: a Trigger firing every few seconds keeps one Event
     * per reason, not thousands for the API server to store and for `kubectl describe` to list.
     */
    public void recordEvent(Trigger trigger, boolean warning, String reason, String message) {
        String ns = trigger.getMetadata().getNamespace();
        Instant now = Instant.now(clock);
        EventKey key = new EventKey(ns, trigger.getMetadata().getUid(), reason, warning);
        Sent last = sent.getIfPresent(key);
        if (last != null && now.isBefore(last.at().plus(AGGREGATE_WITHIN))) {
            Map<String, Object> update = new LinkedHashMap<>();
            update.put("count", last.count() + 1);
            update.put("lastTimestamp", now.toString());
            update.put("message", truncate(message));
            try {
                var named = new EventBuilder().withNewMetadata().withNamespace(ns).withName(last.name()).endMetadata().build();
                // Through the object in hand: withName(..).patch(..) would GET the Event first.
                client.v1().events().inNamespace(ns).resource(named).patch(PatchContext.of(PatchType.JSON_MERGE),
                        client.getKubernetesSerialization().asJson(update));
                sent.put(key, new Sent(last.name(), last.count() + 1, now));
                return;
            } catch (RuntimeException e) {
                if (!(e instanceof KubernetesClientException k && k.getCode() == 404)) {
                    log.warn("{}/{}: could not record Event {}: {}", ns, trigger.getMetadata().getName(), reason,
                            KubernetesErrors.describe(e, "patch", "Event"));
                    return;
                }
                // Expired (the API server keeps Events for an hour) or deleted: a new one below.
            }
        }
        String name = trigger.getMetadata().getName() + "." + Long.toHexString(now.toEpochMilli()) + Long.toHexString(System.nanoTime() & 0xffff);
        var event = new EventBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(trigger.getApiVersion()).withKind(trigger.getKind())
                        .withNamespace(ns).withName(trigger.getMetadata().getName()).withUid(trigger.getMetadata().getUid())
                        .build())
                .withType(warning ? "Warning" : "Normal")
                .withReason(reason)
                .withMessage(truncate(message))
                .withFirstTimestamp(now.toString())
                .withLastTimestamp(now.toString())
                .withCount(1)
                .withNewSource().withComponent("trigger-operator").endSource()
                .withReportingComponent("triggers.dev/trigger-operator")
                .build();
        try {
            client.v1().events().inNamespace(ns).resource(event).create();
            sent.put(key, new Sent(name, 1, now));
        } catch (RuntimeException e) {
            log.warn("{}/{}: could not record Event {}: {}", ns, trigger.getMetadata().getName(), reason,
                    KubernetesErrors.describe(e, "create", "Event"));
        }
    }

    /** The Trigger (by uid, so a recreated one starts afresh), the reason and the type: what one Event counts. */
    private record EventKey(String namespace, String uid, String reason, boolean warning) {}

    /** The Event written last for a key, its count and when. */
    private record Sent(String name, int count, Instant at) {}

    static String truncate(String message) {
        if (message == null) return "";
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 3) + "...";
    }

    static String outcomeTag(FireResult result) {
        return (result.succeeded() ? "success" : "failure").toLowerCase(Locale.ROOT);
    }
}
