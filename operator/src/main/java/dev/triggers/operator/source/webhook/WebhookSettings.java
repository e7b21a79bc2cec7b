package dev.triggers.operator.source.webhook;

import dev.triggers.operator.config.Settings;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Webhook settings beyond the operator's (port, base URL, default rate limit live in OperatorConfig),
 * read from environment variables through {@link Settings}, which declares each one.
 *
 * @param bindAddress address the webhook server listens on (WEBHOOK_BIND_ADDRESS, default all interfaces)
 * @param rotationGrace how long the previous token keeps working after a rotation (WEBHOOK_ROTATION_GRACE_SECONDS, 1 h)
 * @param maxBodyBytes larger bodies answer 413 (1 MiB)
 * @param idempotencyTtl how long an Idempotency-Key is remembered (24 h)
 * @param idempotencyMaxKeys at most this many keys are remembered in all (20 000, the oldest go first): a few MiB at most
 * @param threads threads for hand-overs to the leader, which block on a PATCH (WEBHOOK_THREADS, 16)
 * @param fireAttempts an accepted event whose fire fails is retried up to this many attempts in all (WEBHOOK_FIRE_ATTEMPTS, 8)
 * @param firstRetryDelay the first retry's delay, doubled on each further one up to {@code maxRetryDelay}
 * @param maxRetryDelay the longest delay between two attempts
 * @param failedCallsPerMinute refused calls (wrong token, unknown Trigger) one client address may make at once, then
 *     per minute; past that they answer 429 instead of 404 (WEBHOOK_FAILED_CALLS_PER_MINUTE, 120). Valid calls are never
 *     counted nor limited by it, so a flood from the address of an ingress shared with real callers does not block them
 * @param recheckInterval how often the leader GETs each webhook Trigger's token Secret (WEBHOOK_SECRET_RECHECK_SECONDS, 60):
 *     deleting the Secret revokes its token within this much (there is no watch on Secrets), each Trigger at its own
 *     offset inside the interval; also how often every replica forgets the webhook state of deleted Triggers
 * @param headerTimeout a request's line and headers must arrive within this, else the connection is closed
 *     (WEBHOOK_HEADER_TIMEOUT_SECONDS, 5)
 * @param bodyTimeout a body (of a call with the right token) must arrive within this (WEBHOOK_BODY_TIMEOUT_SECONDS, 10)
 * @param idleTimeout a connection with no request under way is closed after this (WEBHOOK_IDLE_TIMEOUT_SECONDS, 30)
 * @param maxHeaderBytes request line and headers together at most this (16 KiB); more closes the connection with 400
 * @param maxConnectionsPerAddress open connections one client address may hold; more are closed as soon as accepted
 *     (WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS, 1024: high, since behind an Ingress every call comes from its few addresses)
 * @param ioThreads the server's non-blocking I/O threads (WEBHOOK_IO_THREADS, the number of CPUs); {@code threads}
 *     are only for hand-overs to the leader (one PATCH each)
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
        Duration recheckInterval,
        Duration headerTimeout,
        Duration bodyTimeout,
        Duration idleTimeout,
        int maxHeaderBytes,
        int maxConnectionsPerAddress,
        int ioThreads) {

    public static final int ONE_MIB = 1024 * 1024;

    public static WebhookSettings defaults() {
        return fromEnv(Map.of());
    }

    /** Reads the settings from this environment ({@link Settings}); the others are fixed. */
    public static WebhookSettings fromEnv(Map<String, String> env) {
        Function<String, String> get = env::get;
        return new WebhookSettings(
                Settings.WEBHOOK_BIND_ADDRESS.read(get),
                Settings.WEBHOOK_ROTATION_GRACE_SECONDS.read(get),
                ONE_MIB,
                Duration.ofHours(24),
                20_000,
                Settings.WEBHOOK_THREADS.read(get),
                Settings.WEBHOOK_FIRE_ATTEMPTS.read(get),
                Duration.ofSeconds(1),
                Duration.ofMinutes(2),
                Settings.WEBHOOK_FAILED_CALLS_PER_MINUTE.read(get),
                Settings.WEBHOOK_SECRET_RECHECK_SECONDS.read(get),
                Settings.WEBHOOK_HEADER_TIMEOUT_SECONDS.read(get),
                Settings.WEBHOOK_BODY_TIMEOUT_SECONDS.read(get),
                Settings.WEBHOOK_IDLE_TIMEOUT_SECONDS.read(get),
                16 * 1024,
                Settings.WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS.read(get),
                Settings.WEBHOOK_IO_THREADS.read(get));
    }

    /** A copy with some components changed, e.g. {@code settings.with(s -> s.bindAddress = "127.0.0.1")}. */
    public WebhookSettings with(Consumer<Builder> changes) {
        Builder b = new Builder(this);
        changes.accept(b);
        return b.build();
    }

    /** The components of a {@link WebhookSettings}, to change with {@link #with}. */
    public static final class Builder {
        public String bindAddress;
        public Duration rotationGrace;
        public int maxBodyBytes;
        public Duration idempotencyTtl;
        public int idempotencyMaxKeys;
        public int threads;
        public int fireAttempts;
        public Duration firstRetryDelay;
        public Duration maxRetryDelay;
        public int failedCallsPerMinute;
        public Duration recheckInterval;
        public Duration headerTimeout;
        public Duration bodyTimeout;
        public Duration idleTimeout;
        public int maxHeaderBytes;
        public int maxConnectionsPerAddress;
        public int ioThreads;

        private Builder(WebhookSettings s) {
            bindAddress = s.bindAddress;
            rotationGrace = s.rotationGrace;
            maxBodyBytes = s.maxBodyBytes;
            idempotencyTtl = s.idempotencyTtl;
            idempotencyMaxKeys = s.idempotencyMaxKeys;
            threads = s.threads;
            fireAttempts = s.fireAttempts;
            firstRetryDelay = s.firstRetryDelay;
            maxRetryDelay = s.maxRetryDelay;
            failedCallsPerMinute = s.failedCallsPerMinute;
            recheckInterval = s.recheckInterval;
            headerTimeout = s.headerTimeout;
            bodyTimeout = s.bodyTimeout;
            idleTimeout = s.idleTimeout;
            maxHeaderBytes = s.maxHeaderBytes;
            maxConnectionsPerAddress = s.maxConnectionsPerAddress;
            ioThreads = s.ioThreads;
        }

        private WebhookSettings build() {
            return new WebhookSettings(bindAddress, rotationGrace, maxBodyBytes, idempotencyTtl, idempotencyMaxKeys, threads,
                    fireAttempts, firstRetryDelay, maxRetryDelay, failedCallsPerMinute, recheckInterval,
                    headerTimeout, bodyTimeout, idleTimeout, maxHeaderBytes, maxConnectionsPerAddress, ioThreads);
        }
    }

    /** The delay before attempt number {@code attempt} (2 is the first retry). */
    public Duration retryDelay(int attempt) {
        long factor = 1L << Math.min(20, Math.max(0, attempt - 2));
        Duration d = firstRetryDelay.multipliedBy(factor);
        return d.compareTo(maxRetryDelay) > 0 ? maxRetryDelay : d;
    }
}
