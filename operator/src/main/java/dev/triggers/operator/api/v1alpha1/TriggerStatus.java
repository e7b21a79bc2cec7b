package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/**
 * What the operator observed. The reconciler owns status, errorMessage, observedGeneration, conditions, url,
 * webhookSecretName, webhookTokenDigests and lastMissedSchedule (a diff-based JSON Patch through JOSDK); the
 * executor's recorder (FireRecorder) writes the fire record (lastFiredAt, fireCount, coalescedCount, droppedCount,
 * lastEvent, lastFireResult, lastFireRequest, lastScheduleTime, nextFireAt, heldUntil, acceptedEvents, scaleReverts,
 * lastRevert, lastRollout, waitingFor: merge patches). Each writes only its own fields.
 *
 * <p>Equality is over the reconciler's fields only: two statuses are equal when the reconciler has nothing to
 * write, whatever the fire record says (it changes on every fire, without the reconciler).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TriggerStatus {
    public static final String PENDING = "Pending";
    public static final String READY = "Ready";
    public static final String ERROR = "Error";
    public static final String SUSPENDED = "Suspended";

    @JsonPropertyDescription("Pending | Ready | Error | Suspended.")
    private String status;

    @JsonPropertyDescription("Empty unless status is Error: what is wrong and how to fix it.")
    private String errorMessage;

    @JsonPropertyDescription("The spec generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready, SourceReady and TargetReady.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Webhook only: the URL to POST to (without the token).")
    private String url;

    @JsonPropertyDescription("Webhook only: the Secret holding the token and the full URL with the token.")
    private String webhookSecretName;

    // Webhook only. What every replica checks a presented token against (from its Trigger informer), so that no
    // replica needs to read or watch Secrets. A digest of a 256-bit random token does not reveal the token.
    @JsonPropertyDescription("Webhook only: SHA-256 digests of the tokens accepted now (the current one; during a rotation's grace period also the previous one, until its expiresAt). Never a token.")
    private List<TokenDigest> webhookTokenDigests;

    @JsonPropertyDescription("When the Trigger last fired (RFC 3339).")
    private String lastFiredAt;

    @JsonPropertyDescription("Cron only: the last schedule slot that fired (RFC 3339).")
    private String lastScheduleTime;

    @JsonPropertyDescription("Cron only: the next schedule slot (RFC 3339).")
    private String nextFireAt;

    @JsonPropertyDescription("Cron only: the last slot that was skipped, and why.")
    private String lastMissedSchedule;

    @JsonPropertyDescription("spec.windows only: events wait, held, until this window start (RFC 3339); absent when nothing is held.")
    private String heldUntil;

    @JsonPropertyDescription("How many times the Trigger fired.")
    private Long fireCount;

    @JsonPropertyDescription("How many events were folded into a fire by the cooldown (each one fired with the fire after it).")
    private Long coalescedCount;

    @JsonPropertyDescription("Events that were refused at the moment of the patch and could not come back (webhook, core NATS, manual, cron): the Trigger was suspended, invalid, deleted or its target namespace not granted. SQS and JetStream messages refused this way are left unacknowledged and come back.")
    private Long droppedCount;

    @JsonPropertyDescription("The event behind the last fire.")
    private EventRecord lastEvent;

    @JsonPropertyDescription("The last value of the triggers.dev/fire-request annotation that was handled.")
    private String lastFireRequest;

    @JsonPropertyDescription("What the last fire did to each workload.")
    private String lastFireResult;

    @JsonPropertyDescription("The rollout the last fire started, followed until it is Complete, Failed or Superseded.")
    private RolloutStatus lastRollout;

    @JsonPropertyDescription("Why the Trigger's events wait instead of firing (a paused Deployment); absent when they do not wait.")
    private String waitingFor;

    // A map, not a list: a JSON merge patch adds and removes one entry without rewriting the others.
    @JsonPropertyDescription("Webhook only: events answered 202 whose fire has not ended yet, by event id (one per coalescing window; later calls of the window fold into its fire). A new leader fires them, so an accepted event survives a crash.")
    private java.util.Map<String, EventRecord> acceptedEvents;

    // A map keyed by workload (Kind/name), as acceptedEvents: a merge patch adds and removes one entry.
    @JsonPropertyDescription("ScaleUp with revertAfterSeconds: the scale-ups waiting to be undone, by workload (Kind/name). The operator lowers each back at its revertAt, also after a restart or failover.")
    private java.util.Map<String, ScaleRevert> scaleReverts;

    @JsonPropertyDescription("ScaleUp with revertAfterSeconds: what the last revert did, or why it left the workload alone.")
    private String lastRevert;

    public java.util.Map<String, ScaleRevert> getScaleReverts() { return scaleReverts; }
    public void setScaleReverts(java.util.Map<String, ScaleRevert> scaleReverts) { this.scaleReverts = scaleReverts; }
    public String getLastRevert() { return lastRevert; }
    public void setLastRevert(String lastRevert) { this.lastRevert = lastRevert; }

    public String getStatus() { return status; }
    public void setStatus(String status) { this.status = status; }
    public String getErrorMessage() { return errorMessage; }
    public void setErrorMessage(String errorMessage) { this.errorMessage = errorMessage; }
    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getWebhookSecretName() { return webhookSecretName; }
    public void setWebhookSecretName(String webhookSecretName) { this.webhookSecretName = webhookSecretName; }
    public List<TokenDigest> getWebhookTokenDigests() { return webhookTokenDigests; }
    public void setWebhookTokenDigests(List<TokenDigest> webhookTokenDigests) { this.webhookTokenDigests = webhookTokenDigests; }
    public String getLastFiredAt() { return lastFiredAt; }
    public void setLastFiredAt(String lastFiredAt) { this.lastFiredAt = lastFiredAt; }
    public String getLastScheduleTime() { return lastScheduleTime; }
    public void setLastScheduleTime(String lastScheduleTime) { this.lastScheduleTime = lastScheduleTime; }
    public String getNextFireAt() { return nextFireAt; }
    public void setNextFireAt(String nextFireAt) { this.nextFireAt = nextFireAt; }
    public String getLastMissedSchedule() { return lastMissedSchedule; }
    public void setLastMissedSchedule(String lastMissedSchedule) { this.lastMissedSchedule = lastMissedSchedule; }
    public String getHeldUntil() { return heldUntil; }
    public void setHeldUntil(String heldUntil) { this.heldUntil = heldUntil; }
    public Long getFireCount() { return fireCount; }
    public void setFireCount(Long fireCount) { this.fireCount = fireCount; }
    public Long getCoalescedCount() { return coalescedCount; }
    public Long getDroppedCount() { return droppedCount; }
    public void setDroppedCount(Long droppedCount) { this.droppedCount = droppedCount; }
    public void setCoalescedCount(Long coalescedCount) { this.coalescedCount = coalescedCount; }
    public EventRecord getLastEvent() { return lastEvent; }
    public void setLastEvent(EventRecord lastEvent) { this.lastEvent = lastEvent; }
    public String getLastFireRequest() { return lastFireRequest; }
    public void setLastFireRequest(String lastFireRequest) { this.lastFireRequest = lastFireRequest; }
    public java.util.Map<String, EventRecord> getAcceptedEvents() { return acceptedEvents; }
    public void setAcceptedEvents(java.util.Map<String, EventRecord> acceptedEvents) { this.acceptedEvents = acceptedEvents; }
    public String getLastFireResult() { return lastFireResult; }
    public void setLastFireResult(String lastFireResult) { this.lastFireResult = lastFireResult; }
    public RolloutStatus getLastRollout() { return lastRollout; }
    public void setLastRollout(RolloutStatus lastRollout) { this.lastRollout = lastRollout; }
    public String getWaitingFor() { return waitingFor; }
    public void setWaitingFor(String waitingFor) { this.waitingFor = waitingFor; }

    /** Equal when the reconciler's own fields are: the fire record is not compared (see the class comment). */
    @Override
    public boolean equals(Object o) {
        return o instanceof TriggerStatus s
                && java.util.Objects.equals(status, s.status)
                && java.util.Objects.equals(errorMessage, s.errorMessage)
                && java.util.Objects.equals(observedGeneration, s.observedGeneration)
                && java.util.Objects.equals(conditions, s.conditions)
                && java.util.Objects.equals(url, s.url)
                && java.util.Objects.equals(webhookSecretName, s.webhookSecretName)
                && java.util.Objects.equals(webhookTokenDigests, s.webhookTokenDigests)
                && java.util.Objects.equals(lastMissedSchedule, s.lastMissedSchedule);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(status, errorMessage, observedGeneration, conditions, url, webhookSecretName,
                webhookTokenDigests, lastMissedSchedule);
    }

    /** The event that caused a fire, as shown on the status. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class EventRecord {
        @JsonPropertyDescription("manual | webhook | cron | sqs | nats.")
        private String source;
        @JsonPropertyDescription("The event id: SQS MessageId, JetStream sequence, cron slot, webhook event id.")
        private String id;
        @JsonPropertyDescription("When the operator received the event (RFC 3339).")
        private String receivedAt;
        @JsonPropertyDescription("Webhook only: the caller's address.")
        private String caller;

        public EventRecord() {}

        public EventRecord(String source, String id, String receivedAt, String caller) {
            this.source = source;
            this.id = id;
            this.receivedAt = receivedAt;
            this.caller = caller;
        }

        public String getSource() { return source; }
        public void setSource(String source) { this.source = source; }
        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public String getReceivedAt() { return receivedAt; }
        public void setReceivedAt(String receivedAt) { this.receivedAt = receivedAt; }
        public String getCaller() { return caller; }
        public void setCaller(String caller) { this.caller = caller; }
    }

    /** A webhook token's SHA-256 digest (lowercase hex) and, for the previous token of a rotation, when it stops working. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class TokenDigest {
        @JsonPropertyDescription("SHA-256 of the token, lowercase hex.")
        private String sha256;
        @JsonPropertyDescription("Absent for the current token; the previous token is accepted until then (RFC 3339).")
        private String expiresAt;

        public TokenDigest() {}

        public TokenDigest(String sha256, String expiresAt) {
            this.sha256 = sha256;
            this.expiresAt = expiresAt;
        }

        public String getSha256() { return sha256; }
        public void setSha256(String sha256) { this.sha256 = sha256; }
        public String getExpiresAt() { return expiresAt; }
        public void setExpiresAt(String expiresAt) { this.expiresAt = expiresAt; }

        @Override
        public boolean equals(Object o) {
            return o instanceof TokenDigest d && java.util.Objects.equals(sha256, d.sha256) && java.util.Objects.equals(expiresAt, d.expiresAt);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(sha256, expiresAt);
        }
    }
}
