package dev.triggers.operator.source.nats;

import dev.triggers.operator.support.DaemonThreads;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The NATS connections of the operator: one per (namespace, servers, credentials), shared by the
 * Triggers of that namespace that use them and counted by reference, so 1 000 Triggers on one server
 * cost one socket, one reader, one writer and one dispatcher thread, not 1 000 of each. Never shared
 * across namespaces: one tenant's flood, slow consumer or refused credentials stay on its own socket.
 */
public final class NatsConnections implements AutoCloseable {
    private final Map<String, SharedConnection> connections = new HashMap<>();
    private final ScheduledExecutorService timers = newTimers();

    /** Delayed tasks (a reopen in 10 s, a retry in a minute) are dropped at shutdown instead of being waited for. */
    private static ScheduledExecutorService newTimers() {
        java.util.concurrent.ScheduledThreadPoolExecutor timers = new java.util.concurrent.ScheduledThreadPoolExecutor(1, DaemonThreads.named("nats-timer"));
        timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }
    private final ExecutorService setups = Executors.newFixedThreadPool(2, DaemonThreads.named("nats-setup"));
    private final MeterRegistry metrics;

    public NatsConnections() {
        this(new SimpleMeterRegistry());
    }

    public NatsConnections(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /** Where the NATS sources count what they drop. */
    MeterRegistry metrics() {
        return metrics;
    }

    /** A lease on the shared connection; the listener hears of its changes until the lease is released. */
    public final class Lease {
        private final SharedConnection connection;
        private final SharedConnection.Listener listener;
        private boolean released;

        private Lease(SharedConnection connection, SharedConnection.Listener listener) {
            this.connection = connection;
            this.listener = listener;
        }

        SharedConnection connection() {
            return connection;
        }

        public void release() {
            synchronized (NatsConnections.this) {
                if (released) return;
                released = true;
                connection.removeListener(listener);
                if (--connection.refs == 0) {
                    connections.remove(connection.key());
                    connection.release();
                }
            }
        }
    }

    synchronized Lease acquire(String namespace, List<String> servers, NatsCredentials credentials, ServerRules rules,
                               SharedConnection.Listener listener) {
        String key = key(namespace, servers, credentials);
        SharedConnection connection = connections.get(key);
        boolean created = connection == null;
        if (created) {
            connection = new SharedConnection(key, servers, credentials, rules, timers);
            connections.put(key, connection);
        }
        connection.refs++;
        connection.addListener(listener);
        if (created) connection.open();
        return new Lease(connection, listener);
    }

    /** The timers shared by the NATS sources (reopening connections, flushing batches, in-progress acks). */
    ScheduledExecutorService timers() {
        return timers;
    }

    /** Where JetStream consumers are set up: that waits for the server's replies, never on a NATS thread. */
    ExecutorService setups() {
        return setups;
    }

    public synchronized int size() {
        return connections.size();
    }

    static String key(String namespace, List<String> servers, NatsCredentials credentials) {
        List<String> sorted = new ArrayList<>(servers);
        sorted.sort(null);
        return namespace + "/" + String.join(",", sorted) + "#" + credentials.fingerprint();
    }

    @Override
    public void close() {
        List<SharedConnection> all;
        synchronized (this) {
            all = new ArrayList<>(connections.values());
            connections.clear();
        }
        all.forEach(SharedConnection::release);
        setups.shutdownNow();
        timers.shutdown();
        try {
            timers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
