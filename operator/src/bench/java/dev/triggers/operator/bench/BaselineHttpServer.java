package dev.triggers.operator.bench;

import dev.triggers.operator.source.webhook.WebhookSettings;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.xnio.Options;

/**
 * The ingest benchmark's baseline: a bare Undertow server set up as the webhook server is (the same
 * library, as many I/O threads, TCP_NODELAY, backlog), answering every request with 202 and a JSON body
 * as long as an accepted webhook call's after reading the body, and nothing else: no token, no rate
 * limit, no event. What it serves on this machine is what the library itself can do. Run in its own JVM
 * by the benchmark: {@code BaselineHttpServer <port>}.
 */
public final class BaselineHttpServer {
    static final byte[] BODY = "{\"eventId\":\"00000000-0000-0000-0000-000000000000\"}".getBytes(StandardCharsets.UTF_8);

    private BaselineHttpServer() {}

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        WebhookSettings settings = WebhookSettings.fromEnv(System.getenv());
        Undertow server = Undertow.builder()
                .addHttpListener(port, "127.0.0.1")
                .setIoThreads(settings.ioThreads())
                .setWorkerThreads(1)
                .setSocketOption(Options.BACKLOG, 1024)
                .setSocketOption(Options.TCP_NODELAY, true)
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) settings.headerTimeout().toMillis())
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, false)
                .setHandler(ex -> ex.getRequestReceiver().receiveFullBytes((e, body) -> {
                    // the body is read and discarded
                    e.setStatusCode(202);
                    e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                    e.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
                    e.getResponseSender().send(ByteBuffer.wrap(BODY));
                }))
                .build();
        server.start();
        System.out.println("baseline Undertow server on 127.0.0.1:" + port);
    }
}
