package dev.triggers.operator.source.webhook;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.triggers.operator.testing.Triggers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow clients against the real server: connections that stall in their headers or in their body hold no
 * thread, so a valid call is answered while they are all still open, and the server's own timeouts close them.
 */
class WebhookSlowClientsTest {
    static final int PER_ADDRESS = 256;
    // Long enough that opening 600 connections on a loaded machine stays well inside them.
    static final Duration HEADER_TIMEOUT = Duration.ofSeconds(15);
    static final Duration BODY_TIMEOUT = Duration.ofSeconds(15);

    final WebhookFixture f = new WebhookFixture(WebhookFixture.settings()
            .with(s -> { s.headerTimeout = HEADER_TIMEOUT; s.bodyTimeout = BODY_TIMEOUT; s.idleTimeout = Duration.ofSeconds(60); s.maxConnectionsPerAddress = PER_ADDRESS; }));
    final List<SocketChannel> stalled = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (SocketChannel c : stalled) c.close();
        f.close();
    }

    @Test
    void aValidCallIsAnsweredWhileSixHundredStalledConnectionsAreOpenAndTheTimeoutsCloseThem() throws Exception {
        f.cluster.deployment(NS, "web");
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        f.awaitAccepted("deploy-web", token);

        // 100 calls with the right token that stall in their body, then 500 that stall in their headers, all from 127.0.0.1.
        for (int i = 0; i < 100; i++) {
            stalled.add(open("POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Length: 1000\r\n\r\n{\"partial\":"));
        }
        for (int i = 0; i < 500; i++) {
            stalled.add(open("POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: x\r\nAuthorization: Bea"));
        }
        // The server accepted them all: beyond the cap per address, they were closed as soon as accepted.
        await().until(() -> f.counter("trigger_webhook_connections_refused_total") == 600 - PER_ADDRESS);

        // A valid call from another client address (all of 127.0.0.0/8 is loopback on Linux).
        String answer = call(InetAddress.getByName("127.0.0.2"), "POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + token + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
        assertThat(answer).startsWith("HTTP/1.1 202");

        // When it was answered, every admitted stalled connection was still open: none had been waited for.
        List<SocketChannel> open = stalled.stream().filter(WebhookSlowClientsTest::isOpen).toList();
        assertThat(open).as("stalled connections open when the valid call was answered").hasSize(PER_ADDRESS);
        assertThat(open).as("the 100 stalled bodies were admitted first").containsAll(stalled.subList(0, 100));

        // The server's timeouts close them all, and none of them was answered 202 nor fired.
        await().atMost(Duration.ofSeconds(120)).until(() -> stalled.stream().noneMatch(WebhookSlowClientsTest::isOpen));
        await().untilAsserted(() -> assertThat(f.fireCount("deploy-web")).isEqualTo(1L));
        assertThat(f.counter("trigger_events_received_total", "trigger", "deploy-web")).isEqualTo(1.0);
        assertThat(f.counter("trigger_webhook_requests_total", "code", "202")).isEqualTo(1.0);
    }

    @Test
    void aClientAddressIsCappedButAnotherIsNot() throws Exception {
        f.cluster.deployment(NS, "web");
        f.cluster.create(Triggers.redeploy(NS, "deploy-web", "web"));
        f.awaitReady("deploy-web");
        String token = f.token("deploy-web");
        f.awaitAccepted("deploy-web", token);
        for (int i = 0; i < PER_ADDRESS; i++) stalled.add(open("POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\n"));
        await().until(() -> f.factory.openConnections() == PER_ADDRESS);
        String valid = "POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        // One more from 127.0.0.1 is closed without an answer; from 127.0.0.3 it is served.
        assertThat(call(InetAddress.getLoopbackAddress(), valid)).isEmpty();
        assertThat(f.counter("trigger_webhook_connections_refused_total")).isEqualTo(1.0);
        assertThat(call(InetAddress.getByName("127.0.0.3"), valid)).startsWith("HTTP/1.1 202");
        // Once the stalled ones are closed (by the client here), 127.0.0.1 is served again.
        for (SocketChannel c : stalled) c.close();
        await().until(() -> call(InetAddress.getLoopbackAddress(), valid).startsWith("HTTP/1.1 202"));
    }

    SocketChannel open(String start) throws IOException {
        SocketChannel c = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), f.factory.port()));
        c.write(ByteBuffer.wrap(start.getBytes(StandardCharsets.ISO_8859_1)));
        c.configureBlocking(false);
        return c;
    }

    /** Open: nothing to read and no end of stream. Closed: end of stream, or a reset; an answer counts as closed too. */
    static boolean isOpen(SocketChannel c) {
        try {
            ByteBuffer b = ByteBuffer.allocate(256);
            int n = c.read(b);
            if (n > 0) assertThat(new String(b.array(), 0, n, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP/1.1 2");
            return n == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends a whole request from {@code from}; what the server answered before closing ("" when nothing). */
    String call(InetAddress from, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.factory.port(), from, 0)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                return "";
            }
            InputStream in = s.getInputStream();
            try {
                return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            } catch (java.net.SocketException e) {
                return "";
            }
        }
    }
}
