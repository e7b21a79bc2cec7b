package dev.triggers.operator.reliability;

import static dev.triggers.operator.source.webhook.WebhookFixture.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.WebhookSource;
import dev.triggers.operator.source.webhook.WebhookFixture;
import dev.triggers.operator.source.webhook.WebhookSourceFactory;
import dev.triggers.operator.source.webhook.WebhookTokens;
import dev.triggers.operator.testing.Triggers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Abuse of the webhook server: floods of wrong tokens, other methods, odd and overlong paths and headers,
 * bodies that never end, invalid UTF-8, and calls racing a token revocation. Across every test: no 5xx,
 * an event reaches a Trigger only for a call answered 202, and no token is ever in the logs.
 */
class WebhookAbuseTest {
    static final String TARGET = "web";

    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final List<String> julLogs = new ArrayList<>();
    final Handler julHandler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (julLogs) {
                julLogs.add(r.getLoggerName() + " " + r.getMessage() + " " + java.util.Arrays.toString(r.getParameters())
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    WebhookFixture f;
    /** Every status code seen, and the calls answered 202 per Trigger. */
    final Map<Integer, AtomicLong> codes = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> accepted = new ConcurrentHashMap<>();
    final Set<String> tokens = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        logs.setContext(context);
        logs.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
        java.util.logging.Logger.getLogger("").addHandler(julHandler);
        f = new WebhookFixture();
        f.cluster.deployment(NS, TARGET);
    }

    @AfterEach
    void stop() {
        try {
            assertThat(codes.keySet()).as("status codes seen: %s", codes).allSatisfy(c -> assertThat(c).isLessThan(500));
            // Every accepted call reached its Trigger, and nothing else did.
            for (String trigger : List.of("deploy-web", "limited", "hammered")) {
                if (f.cluster.trigger(NS, trigger) == null) continue;
                long n = accepted(trigger);
                await().untilAsserted(() -> assertThat(received(trigger)).as("events received by %s", trigger).isEqualTo(n));
                assertThat(f.fireCount(trigger)).as("fires of %s", trigger).isLessThanOrEqualTo(n);
            }
            List<String> lines = logLines();
            assertThat(lines).as("captured log lines").isNotEmpty();
            for (String token : tokens) assertThat(lines).noneSatisfy(l -> assertThat(l).contains(token));
        } finally {
            f.close();
            ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(logs);
            java.util.logging.Logger.getLogger("").removeHandler(julHandler);
        }
    }

    @Test
    void tenThousandWrongTokensFromOneClientNeverFireAndLeaveTheRateLimitOfValidCallsAlone() throws Exception {
        String token = create("limited", 5);
        // One client, keep-alive: java.net.http keeps its HTTP/1.1 connections open between calls.
        ExecutorService senders = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int sender = s;
            done.add(senders.submit(() -> {
                for (int i = 0; i < 2500; i++) {
                    String wrong = WebhookTokens.newToken();
                    HttpResponse<String> r = i % 2 == 0 ? record(null, f.bearer("limited", wrong)) : record(null, f.inPath("limited", wrong));
                    assertThat(r.statusCode()).as("wrong token %d of sender %d", i, sender).isIn(404, 429);
                }
                return null;
            }));
        }
        for (Future<?> d : done) d.get();
        senders.shutdown();
        assertThat(count(202)).isZero();
        // Observed: the server limits a flood of failed calls per client address. The first ones answer 404,
        // then 429 with Retry-After; the Trigger's own budget is untouched.
        assertThat(count(404)).isPositive();
        assertThat(count(429)).as("a flood of wrong tokens from one address is limited").isPositive();
        HttpResponse<String> limited = record(null, f.bearer("limited", WebhookTokens.newToken()));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();

        for (int i = 0; i < 5; i++) assertThat(record("limited", f.bearer("limited", token)).statusCode()).as("valid call %d", i).isEqualTo(202);
        HttpResponse<String> over = record("limited", f.bearer("limited", token));
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(over.headers().firstValue("Retry-After")).isPresent();
        assertThat(accepted("limited")).isEqualTo(5);
    }

    @Test
    void methodsOtherThanPostNeverFire() throws Exception {
        String token = create("deploy-web", 0);
        for (String method : List.of("PUT", "DELETE", "PATCH", "GET", "HEAD", "OPTIONS")) {
            for (HttpRequest.Builder b : List.of(
                    request("/hooks/" + NS + "/deploy-web/" + token),
                    request("/hooks/" + NS + "/deploy-web").header("Authorization", "Bearer " + token))) {
                HttpResponse<String> r = record("deploy-web", f.send(b.method(method, HttpRequest.BodyPublishers.ofString("{}")).build()));
                assertThat(r.statusCode()).as(method).isIn(404, 405);
            }
        }
        for (String method : List.of("TRACE", "CONNECT", "FOO", "post")) {
            int code = raw(method + " /hooks/" + NS + "/deploy-web/" + token + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            assertThat(code).as(method).isIn(-1, 400, 404, 405, 501);
        }
        assertThat(accepted("deploy-web")).isZero();
        // The server still works.
        assertThat(record("deploy-web", f.bearer("deploy-web", token)).statusCode()).isEqualTo(202);
    }

    @Test
    void oddOverlongAndInvalidPathsAndHeadersNeverFire() throws Exception {
        String token = create("deploy-web", 0);
        String hundredKb = "a".repeat(100 * 1024);
        List<String> paths = List.of(
                "/hooks/" + NS + "/../" + NS + "/deploy-web/" + token,
                "/hooks/" + NS + "/deploy-web/../deploy-web/" + token,
                "/hooks/../hooks/" + NS + "/deploy-web/" + token,
                "/hooks/" + NS + "/deploy-web/" + token + "/..",
                "/hooks/" + NS + "/deploy-web/%2E%2E/" + token,
                "/hooks/" + NS + "%2Fdeploy-web/" + token,
                "/hooks/" + NS + "/deploy-web%2F" + token,
                "/hooks%2F" + NS + "/deploy-web/" + token,
                "/hooks/" + NS + "/deploy-web/" + token + "%2F",
                "//hooks/" + NS + "/deploy-web/" + token,
                "/hooks//" + NS + "/deploy-web/" + token,
                "/hooks/" + NS + "//deploy-web/" + token,
                "/hooks/" + NS + "/deploy-web//" + token,
                "/hooks/" + NS + "/deploy-web/" + token + "/",
                "/hooks/" + NS + "/deploy-web/" + hundredKb,
                "/hooks/" + NS + "/" + hundredKb + "/" + token,
                "/hooks/" + hundredKb,
                "/hooks/" + NS + "/deploy-web/%FF%FE" + token,
                "/hooks/" + NS + "/deploy-web/" + token + "%00");
        for (String path : paths) {
            int code = raw("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
            assertThat(code).as("POST %s", path.length() > 200 ? path.substring(0, 200) + "..." : path).isIn(400, 404, 414);
        }
        // Invalid UTF-8 as raw bytes in the path, and in the Authorization header.
        assertThat(raw(bytes("POST /hooks/" + NS + "/deploy-web/", new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3},
                " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))).isIn(-1, 400, 404);
        assertThat(raw(bytes("POST /hooks/" + NS + "/deploy-web\u0000/" + token, new byte[] {(byte) 0xc0, (byte) 0xaf},
                " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))).isIn(-1, 400, 404);
        assertThat(raw(bytes("POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
                new byte[] {(byte) 0xff, (byte) 0xc3, (byte) 0x28}, "\r\nContent-Length: 0\r\n\r\n"))).isIn(400, 404);
        // Overlong headers: a 100 KB bearer, a 100 KB header beside a wrong token, a thousand headers.
        assertThat(raw("POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + hundredKb
                + "\r\nContent-Length: 0\r\n\r\n")).isIn(-1, 400, 404, 413, 431);
        assertThat(raw("POST /hooks/" + NS + "/deploy-web/" + WebhookTokens.newToken() + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + hundredKb
                + "\r\nContent-Length: 0\r\n\r\n")).isIn(-1, 400, 404, 413, 431);
        StringBuilder many = new StringBuilder("POST /hooks/" + NS + "/deploy-web/" + WebhookTokens.newToken() + " HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 1000; i++) many.append("X-H").append(i).append(": v\r\n");
        assertThat(raw(many.append("Content-Length: 0\r\n\r\n").toString())).isIn(-1, 400, 404, 413, 431);
        assertThat(accepted("deploy-web")).isZero();

        // With the right token, a body of invalid UTF-8 is just a body: accepted (the body is not read for meaning).
        HttpResponse<String> r = record("deploy-web", f.post(f.factory.port(), "/hooks/" + NS + "/deploy-web",
                Map.of("Authorization", "Bearer " + token, "Content-Type", "application/json"),
                HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, (byte) 0xc3, '"', '}'})));
        assertThat(r.statusCode()).isEqualTo(202);
        // A long header beside the right token does not break anything either: accepted or refused, never 5xx.
        int code = raw("POST /hooks/" + NS + "/deploy-web/" + token + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + hundredKb + "\r\nContent-Length: 0\r\n\r\n");
        assertThat(code).isIn(202, 400, 413, 431);
        if (code == 202) accepted.get("deploy-web").incrementAndGet();
    }

    @Test
    void bodiesThatNeverEndAreBoundedAndDoNotTieUpTheServer() throws Exception {
        String token = create("deploy-web", 0);
        String other = create("limited", 0);
        List<Socket> stalled = new ArrayList<>();
        try {
            // More stalled clients without the token than the server has threads (16), fixed length and chunked.
            for (int i = 0; i < 24; i++) {
                String head = i % 2 == 0
                        ? "Content-Length: 900000\r\n\r\n{\"partial\":"
                        : "Transfer-Encoding: chunked\r\n\r\n100000\r\n{\"partial\":";
                String auth = i % 3 == 0 ? "/" + WebhookTokens.newToken() : "";
                stalled.add(open("POST /hooks/" + NS + "/deploy-web" + auth + " HTTP/1.1\r\nHost: x\r\n"
                        + (auth.isEmpty() ? "Authorization: Bearer " + WebhookTokens.newToken() + "\r\n" : "") + head));
            }
            // And one with the right token: it holds one request thread until the server's request timeout.
            Socket holder = open("POST /hooks/" + NS + "/deploy-web HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Length: 900000\r\n\r\n{\"partial\":");
            stalled.add(holder);

            // Meanwhile a normal call is answered.
            assertThat(record("limited", f.bearer("limited", other)).statusCode()).isEqualTo(202);
            assertThat(record("deploy-web", f.bearer("deploy-web", token)).statusCode()).isEqualTo(202);
            assertThat(answered(holder, Duration.ofMillis(200))).as("the stalled call with the token is still waiting").isFalse();

            // Bounded: every stalled call is answered or cut off by the server (its request timeout).
            for (Socket s : stalled) {
                await().atMost(Duration.ofSeconds(90)).until(() -> answered(s, Duration.ofSeconds(1)));
            }
        } finally {
            for (Socket s : stalled) s.close();
        }
    }

    @Test
    void callsRacingTheDeletionOfTheTokenSecretNeverFailAndTheOldTokenIsRevoked() throws Exception {
        String token = create("hammered", WebhookSourceFactory.MAX_RATE_LIMIT_PER_MINUTE);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong calls = new AtomicLong();
        ExecutorService callers = Executors.newFixedThreadPool(6);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            int caller = c;
            done.add(callers.submit(() -> {
                while (!stop.get()) {
                    HttpResponse<String> r = record("hammered", caller % 2 == 0 ? f.bearer("hammered", token) : f.inPath("hammered", token));
                    calls.incrementAndGet();
                    // 404 once the token is revoked; 429 once this address has made too many refused calls.
                    assertThat(r.statusCode()).as("during revocation").isIn(202, 404, 429);
                }
                return null;
            }));
        }
        try {
            await().until(() -> accepted("hammered") >= 20);
            f.cluster.client().secrets().inNamespace(NS).withName(WebhookTokens.secretName("hammered")).delete();
            // Within the recheck interval the operator sees the Secret gone and mints a new token; the old one is
            // refused from then on.
            await().until(() -> f.secret("hammered") != null && !token.equals(f.token("hammered")));
            tokens.add(f.token("hammered"));
            await().until(() -> f.factory.tokens().verify(NS, "hammered", token).isEmpty());
            long before = calls.get();
            await().until(() -> calls.get() >= before + 50);
        } finally {
            stop.set(true);
            for (Future<?> d : done) d.get();
            callers.shutdown();
        }
        assertThat(count(404)).as("calls with the revoked token").isPositive();
        assertThat(record(null, f.bearer("hammered", token)).statusCode()).isIn(404, 429);
        assertThat(record(null, f.inPath("hammered", token)).statusCode()).isIn(404, 429);
        // The new token works at once, whatever this address's refused calls.
        String minted = f.token("hammered");
        f.awaitAccepted("hammered", minted);
        assertThat(record("hammered", f.bearer("hammered", minted)).statusCode()).isEqualTo(202);
    }

    // --- helpers

    /** A webhook Trigger on the Deployment (rate limit per minute, 0: the default); returns its token once it is usable. */
    String create(String name, int rateLimit) {
        Trigger trigger = Triggers.redeploy(NS, name, TARGET);
        if (rateLimit > 0) {
            WebhookSource webhook = new WebhookSource();
            webhook.setRateLimitPerMinute(rateLimit);
            trigger.getSpec().getSource().setWebhook(webhook);
        }
        f.cluster.create(trigger);
        f.awaitReady(name);
        String token = f.token(name);
        tokens.add(token);
        f.awaitAccepted(name, token);
        return token;
    }

    HttpResponse<String> record(String trigger, HttpResponse<String> r) {
        codes.computeIfAbsent(r.statusCode(), c -> new AtomicLong()).incrementAndGet();
        if (r.statusCode() == 202) {
            assertThat(trigger).as("a call without the right token was accepted").isNotNull();
            accepted.computeIfAbsent(trigger, t -> new AtomicLong()).incrementAndGet();
        }
        return r;
    }

    long accepted(String trigger) {
        AtomicLong n = accepted.get(trigger);
        return n == null ? 0 : n.get();
    }

    long count(int code) {
        AtomicLong n = codes.get(code);
        return n == null ? 0 : n.get();
    }

    long received(String trigger) {
        return (long) f.counter("trigger_events_received_total", "trigger", trigger);
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.factory.port() + path)).timeout(Duration.ofSeconds(10));
    }

    static byte[] bytes(String before, byte[] middle, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(middle);
        out.writeBytes(after.getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    int raw(String request) throws IOException {
        return raw(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends the bytes on a new connection; the status code, or -1 when the server closed it without one. Recorded. */
    int raw(byte[] request) throws IOException {
        int code;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), f.factory.port())) {
            socket.setSoTimeout(30_000);
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // The server may answer and close before reading everything (an overlong line): read what it said.
            }
            code = statusCode(socket.getInputStream());
        }
        codes.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
        return code;
    }

    static int statusCode(InputStream in) throws IOException {
        byte[] line;
        try {
            line = in.readNBytes(12);
        } catch (java.net.SocketException e) {
            return -1; // reset
        }
        if (line.length < 12) return -1;
        return Integer.parseInt(new String(line, 9, 3, StandardCharsets.US_ASCII));
    }

    Socket open(String start) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), f.factory.port());
        OutputStream out = socket.getOutputStream();
        out.write(start.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return socket;
    }

    /** True once the server answered on the socket or closed it; false while it still waits for the rest. */
    boolean answered(Socket socket, Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        try {
            int b = socket.getInputStream().read();
            if (b != -1) {
                // A status line: note its code (the rest of it is not needed).
                byte[] rest = socket.getInputStream().readNBytes(11);
                String line = (char) b + new String(rest, StandardCharsets.US_ASCII);
                if (line.startsWith("HTTP/1.1 ")) {
                    int code = Integer.parseInt(line.substring(9, 12));
                    codes.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
                    assertThat(code).isNotEqualTo(202);
                }
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // reset by the server
        }
    }

    List<String> logLines() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            lines.add(e.getFormattedMessage());
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) lines.add(t.getClassName() + ": " + t.getMessage());
        }
        synchronized (julLogs) {
            lines.addAll(julLogs);
        }
        return lines;
    }
}
