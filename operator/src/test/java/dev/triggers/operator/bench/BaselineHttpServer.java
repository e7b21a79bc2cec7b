package dev.triggers.operator.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.triggers.operator.DaemonThreads;
import dev.triggers.operator.ops.JdkHttpServers;
import dev.triggers.operator.source.webhook.WebhookSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The ingest benchmark's baseline: the JDK HTTP server as the webhook server sets it up (same system
 * properties, backlog, and a fixed pool of as many request threads), answering every request with 202 and
 * a JSON body as long as an accepted webhook call's, and nothing else: no token, no rate limit, no event.
 * What it serves on this machine is what the JDK server itself can do. Run in its own JVM by the benchmark:
 * {@code BaselineHttpServer <port>}.
 */
public final class BaselineHttpServer {
    static final byte[] BODY = "{\"eventId\":\"00000000-0000-0000-0000-000000000000\"}".getBytes(StandardCharsets.UTF_8);

    private BaselineHttpServer() {}

    public static void main(String[] args) throws IOException {
        JdkHttpServers.configure();
        int port = Integer.parseInt(args[0]);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.setExecutor(Executors.newFixedThreadPool(WebhookSettings.fromEnv(System.getenv()).threads(), DaemonThreads.named("webhook")));
        server.createContext("/", BaselineHttpServer::handle);
        server.start();
        System.out.println("baseline JDK HTTP server on 127.0.0.1:" + port);
    }

    private static void handle(HttpExchange ex) throws IOException {
        try (ex) {
            InputStream in = ex.getRequestBody();
            byte[] buffer = new byte[8192];
            while (in.read(buffer) != -1) {
                // discarded, as the webhook server does
            }
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(202, BODY.length);
            OutputStream out = ex.getResponseBody();
            out.write(BODY);
        }
    }
}
