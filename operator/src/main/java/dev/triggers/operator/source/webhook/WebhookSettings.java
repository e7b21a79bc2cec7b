package dev.triggers.operator.source.webhook;

import java.time.Duration;
import java.util.Map;

/**
 * Webhook settings beyond the operator's (port, base URL, default rate limit live in OperatorConfig),
 * read from environment variables.
 *
 * @param bindAddress address the webhook server listens on (WEBHOOK_BIND_ADDRESS, default all interfaces)
 * @param rotationGrace how long the previous token keeps working after a rotation (WEBHOOK_ROTATION_GRACE_SECONDS, 1 h)
 * @param maxBodyBytes larger bodies answer 413 (1 MiB)
 * @param idempotencyTtl how long an Idempotency-Key is remembered (24 h)
 * @param idempotencyMaxKeys at most this many keys are remembered in all (20 000, the oldest go first): a few MiB at most
 * @param threads request threads (WEBHOOK_THREADS, 16)
 * @param fireAttempts an accepted event whose fire fails is retried up to this many attempts in all (WEBHOOK_FIRE_ATTEMPTS, 8)
 * @param firstRetryDelay the first retry's delay, doubled on each further one up to {@code maxRetryDelay}
 * @param maxRetryDelay the longest delay between two attempts
 * @param failedCallsPerMinute refused calls (wrong token, unknown Trigger) one client address may make at once, then
 *     per minute; past that they answer 429 instead of 404 (WEBHOOK_FAILED_CALLS_PER_MINUTE, 120). Valid calls are never
 *     counted nor limited by it, so a flood from the address of an ingress shared with real callers does not block them
 * @param recheckInterval how often the leader GETs each webhook Trigger's token Secret (WEBHOOK_SECRET_RECHECK_SECONDS, 60):
 *     deleting the Secret revokes its token within this much (there is no watch on Secrets), each Trigger at its own
 *     offset inside the interval; also how often every replica forgets the webhook state of deleted Triggers
 */
public record WebhookSettings(
        String bindAddress,
        Duration rotationGrace,
        int maxBodyBytes,
        Duration idempotencyTtl,
        int idempotencyMaxKeys,
        int threads,
        int fireAttempts,
        Duration firstRetryDelay,
        Duration maxRetryDelay,
        int failedCallsPerMinute,
        Duration recheckInterval) {

    public static final int ONE_MIB = 1024 * 1024;

    public static WebhookSettings defaults() {
        return fromEnv(Map.of());
    }

    public static WebhookSettings fromEnv(Map<String, String> env) {
        return new WebhookSettings(
                env.getOrDefault("WEBHOOK_BIND_ADDRESS", "0.0.0.0"),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("WEBHOOK_ROTATION_GRACE_SECONDS", "3600"))),
                ONE_MIB,
                Duration.ofHours(24),
                20_000,
                Integer.parseInt(env.getOrDefault("WEBHOOK_THREADS", "16")),
                Integer.parseInt(env.getOrDefault("WEBHOOK_FIRE_ATTEMPTS", "8")),
                Duration.ofSeconds(1),
                Duration.ofMinutes(2),
                Integer.parseInt(env.getOrDefault("WEBHOOK_FAILED_CALLS_PER_MINUTE", "120")),
                Duration.ofSeconds(Math.max(1, Long.parseLong(env.getOrDefault("WEBHOOK_SECRET_RECHECK_SECONDS", "60")))));
    }

    public WebhookSettings withBindAddress(String address) {
        return new WebhookSettings(address, rotationGrace, maxBodyBytes, idempotencyTtl, idempotencyMaxKeys, threads,
                fireAttempts, firstRetryDelay, maxRetryDelay, failedCallsPerMinute, recheckInterval);
    }

    public WebhookSettings withRotationGrace(Duration grace) {
        return new WebhookSettings(bindAddress, grace, maxBodyBytes, idempotencyTtl, idempotencyMaxKeys, threads,
                fireAttempts, firstRetryDelay, maxRetryDelay, failedCallsPerMinute, recheckInterval);
    }

    public WebhookSettings withFireRetries(int attempts, Duration first, Duration max) {
        return new WebhookSettings(bindAddress, rotationGrace, maxBodyBytes, idempotencyTtl, idempotencyMaxKeys, threads,
                attempts, first, max, failedCallsPerMinute, recheckInterval);
    }

    public WebhookSettings withIdempotencyMaxKeys(int maxKeys) {
        return new WebhookSettings(bindAddress, rotationGrace, maxBodyBytes, idempotencyTtl, maxKeys, threads,
                fireAttempts, firstRetryDelay, maxRetryDelay, failedCallsPerMinute, recheckInterval);
    }

    public WebhookSettings withFailedCallsPerMinute(int perMinute) {
        return new WebhookSettings(bindAddress, rotationGrace, maxBodyBytes, idempotencyTtl, idempotencyMaxKeys, threads,
                fireAttempts, firstRetryDelay, maxRetryDelay, perMinute, recheckInterval);
    }

    public WebhookSettings withRecheckInterval(Duration interval) {
        return new WebhookSettings(bindAddress, rotationGrace, maxBodyBytes, idempotencyTtl, idempotencyMaxKeys, threads,
                fireAttempts, firstRetryDelay, maxRetryDelay, failedCallsPerMinute, interval);
    }

    /** The delay before attempt number {@code attempt} (2 is the first retry). */
    public Duration retryDelay(int attempt) {
        long factor = 1L << Math.min(20, Math.max(0, attempt - 2));
        Duration d = firstRetryDelay.multipliedBy(factor);
        return d.compareTo(maxRetryDelay) > 0 ? maxRetryDelay : d;
    }
}
