package dev.triggers.operator.source.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NATS connection shared by every Trigger with the same servers and credentials, and one
 * dispatcher (one thread) that delivers all their messages. It connects in the background, reconnects
 * for ever with backoff, and tells its users about every change, so that their health follows it.
 */
final class SharedConnection {
    private static final Logger log = LoggerFactory.getLogger(SharedConnection.class);

    enum State { CONNECTING, CONNECTED, DISCONNECTED, CLOSED }

    /** What may wait in the dispatcher for all Triggers of one connection together (jnats's default: 512 Ki messages, 64 MiB). */
    static final long DISPATCHER_PENDING_MESSAGES = 100_000;
    static final long DISPATCHER_PENDING_BYTES = 64L << 20;

    /** A user of the connection: told (on a NATS thread) whenever the state changes. */
    interface Listener {
        void connectionChanged(SharedConnection connection);
    }

    private final String key;
    private final List<String> servers;
    private final NatsCredentials credentials;
    private final ServerRules rules;
    private final ScheduledExecutorService timers;
    private final Set<Listener> listeners = ConcurrentHashMap.newKeySet();
    private volatile Connection connection;
    private volatile Dispatcher dispatcher;
    private volatile long generation;
    private volatile long reconnects;
    private volatile State state = State.CONNECTING;
    private volatile String server;
    private volatile String lastError;
    private volatile boolean released;
    private volatile boolean everConnected;
    private int reopenAttempts;
    int refs;

    SharedConnection(String key, List<String> servers, NatsCredentials credentials, ServerRules rules, ScheduledExecutorService timers) {
        this.key = key;
        this.servers = List.copyOf(servers);
        this.credentials = credentials;
        this.rules = rules;
        this.timers = timers;
    }

    String key() { return key; }
    State state() { return state; }
    boolean isConnected() { return state == State.CONNECTED && dispatcher != null; }
    /** Changes each time a new client connection (and so a new dispatcher) replaces a closed one. */
    long generation() { return generation; }
    /** Counts reconnects of the current client connection (server-side state such as pull requests is lost then). */
    long reconnects() { return reconnects; }
    Connection connection() { return connection; }
    Dispatcher dispatcher() { return dispatcher; }
    int listenerCount() { return listeners.size(); }
    /** False until the first connect succeeded: then a failure is "cannot connect", not "disconnected". */
    boolean everConnected() { return everConnected; }

    /** The server connected to, or the servers tried. */
    String where() {
        String s = server;
        return s != null ? s : String.join(",", servers);
    }

    /** Why it is not connected (the last error the client reported), or null. */
    String lastError() { return lastError; }

    void addListener(Listener listener) { listeners.add(listener); }
    void removeListener(Listener listener) { listeners.remove(listener); }

    void open() {
        Options.Builder options = new Options.Builder()
                .servers(servers.toArray(String[]::new))
                // Every server checked against the tenant rules right before it is dialled; announced servers unused.
                .serverPool(new PolicedServerPool(rules, message -> error(null, message)))
                .ignoreDiscoveredServers()
                .connectionName("trigger-operator")
                .maxReconnects(-1)
                .reconnectDelayHandler(SharedConnection::reconnectDelay)
                .connectionTimeout(Duration.ofSeconds(5))
                .pingInterval(Duration.ofSeconds(20))
                .maxPingsOut(3)
                .connectionListener(this::onEvent)
                .errorListener(new Errors());
        credentials.applyTo(options);
        try {
            // Never blocks the caller; a first connect that fails is retried like a reconnect.
            Nats.connectAsynchronously(options.build(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last user left: close the client (off the caller's thread, closing waits for the socket). */
    void release() {
        released = true;
        Connection c = connection;
        state = State.CLOSED;
        if (c != null) closeLater(c);
    }

    /** Exponential backoff, 250 ms doubling up to 10 s, with some jitter so that replicas do not stampede. */
    static Duration reconnectDelay(long attempt) {
        long millis = Math.min(10_000L, 250L << Math.min(attempt, 6));
        return Duration.ofMillis(millis + (long) (Math.random() * millis / 5));
    }

    private void onEvent(Connection c, ConnectionListener.Events event) {
        capture(c);
        if (released) return;
        switch (event) {
            case CONNECTED, RECONNECTED, RESUBSCRIBED -> {
                synchronized (this) {
                    if (dispatcher == null) {
                        dispatcher = c.createDispatcher();
                        // The backstop for all Triggers of this connection (each core Trigger has its own, smaller limit).
                        dispatcher.setPendingLimits(DISPATCHER_PENDING_MESSAGES, DISPATCHER_PENDING_BYTES);
                        generation++;
                    }
                    reopenAttempts = 0;
                    if (event == ConnectionListener.Events.RECONNECTED) reconnects++;
                }
                server = c.getConnectedUrl();
                lastError = null;
                everConnected = true;
                if (state != State.CONNECTED) log.info("NATS {}: {}", server, event);
                state = State.CONNECTED;
            }
            case DISCONNECTED -> {
                if (state == State.CONNECTED) log.warn("NATS {}: connection lost: {}", server, reasonOr("disconnected"));
                state = State.DISCONNECTED;
            }
            case CLOSED -> {
                // Only we close on purpose; otherwise the client gave up (e.g. repeated authorization errors): open anew.
                state = State.DISCONNECTED;
                scheduleReopen();
            }
            default -> {
                return;
            }
        }
        notifyListeners();
    }

    private synchronized void scheduleReopen() {
        connection = null;
        dispatcher = null;
        Duration delay = reconnectDelay(++reopenAttempts + 4);
        log.warn("NATS {}: the client closed the connection ({}); opening a new one in {} ms", where(), reasonOr("closed"), delay.toMillis());
        try {
            timers.schedule(() -> {
                if (!released) open();
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the operator is stopping
        }
    }

    /** Learns the client connection from its first callback (connectAsynchronously returns none). */
    private void capture(Connection c) {
        if (c == null) return;
        if (released) {
            // Released before the client connected: close it as soon as we get hold of it.
            if (c.getStatus() != Connection.Status.CLOSED) closeLater(c);
            return;
        }
        if (c.getStatus() == Connection.Status.CLOSED) return;
        synchronized (this) {
            if (connection == null) connection = c;
        }
    }

    private void error(Connection c, String message) {
        capture(c);
        lastError = message;
        if (released || state == State.CONNECTED) return;
        notifyListeners();
    }

    private void notifyListeners() {
        for (Listener l : listeners) {
            try {
                l.connectionChanged(this);
            } catch (RuntimeException e) {
                log.warn("NATS {}: a listener failed", where(), e);
            }
        }
    }

    private String reasonOr(String fallback) {
        String e = lastError;
        return e == null ? fallback : e;
    }

    /** Closing waits for the client's threads: never on the caller's (possibly a NATS callback) thread. */
    private void closeLater(Connection c) {
        try {
            timers.execute(() -> closeQuietly(c));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            Thread t = new Thread(() -> closeQuietly(c), "nats-close");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("closing a NATS connection failed", e);
        }
    }

    private final class Errors implements ErrorListener {
        private volatile long lastSlowConsumerLog;

        @Override
        public void errorOccurred(Connection c, String error) {
            error(c, error);
        }

        /** jnats drops what is over the dispatcher's limits and goes on: the connection stays up; said at most once a minute. */
        @Override
        public void slowConsumerDetected(Connection c, io.nats.client.Consumer consumer) {
            long now = System.nanoTime();
            if (now - lastSlowConsumerLog < Duration.ofMinutes(1).toNanos() && lastSlowConsumerLog != 0) return;
            lastSlowConsumerLog = now;
            log.warn("NATS {}: more than {} messages or {} MiB waited for this connection's Triggers; dropping ({} dropped so far)",
                    where(), DISPATCHER_PENDING_MESSAGES, DISPATCHER_PENDING_BYTES >> 20, consumer.getDroppedCount());
        }

        @Override
        public void exceptionOccurred(Connection c, Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
            error(c, message);
        }
    }
}
