package dev.triggers.operator.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Debian's nats-server (with JetStream) on a free loopback port, started by the test; stop and start
 * it again on the same port and store to test reconnects and redelivery.
 */
public final class NatsServer implements AutoCloseable {
    /** $NATS_SERVER, else Debian's /usr/sbin/nats-server, else nats-server from the PATH. */
    public static final String BINARY = System.getenv().getOrDefault("NATS_SERVER",
            Files.isExecutable(Path.of("/usr/sbin/nats-server")) ? "/usr/sbin/nats-server" : "nats-server");

    private final int port;
    private final Path store;
    private final List<String> extraArgs;
    private final Path log;
    private Process process;

    private NatsServer(int port, Path store, List<String> extraArgs) {
        this.port = port;
        this.store = store;
        this.extraArgs = extraArgs;
        this.log = store.resolve("nats-server.log");
    }

    /** Starts a server; extraArgs e.g. "--user", "u", "--pass", "p". */
    public static NatsServer start(String... extraArgs) {
        try {
            NatsServer server = new NatsServer(freePort(), Files.createTempDirectory("nats-js"), List.of(extraArgs));
            server.startAgain();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** (Re)starts the server on the same port and store, and waits until it accepts connections. */
    public synchronized void startAgain() {
        List<String> command = new ArrayList<>(List.of(BINARY, "-a", "127.0.0.1", "-p", Integer.toString(port), "-js", "-sd", store.toString()));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + BINARY + " (apt-get install -y nats-server)", e);
        }
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(this::accepting);
    }

    /** Kills the server (as a crash would) and waits until the port is closed. */
    public synchronized void stop() {
        if (process == null) return;
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> !accepting());
    }

    private boolean accepting() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(store)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir
        }
    }
}
