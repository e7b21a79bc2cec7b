package dev.triggers.operator.source.sqs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HTTP forwarder on loopback in front of ElasticMQ that notes who signed each SQS call: the access
 * key id in the SigV4 Authorization header and the session token. ElasticMQ does not check signatures,
 * so this is how a test sees which credentials the operator used.
 */
final class SigningRecorder implements AutoCloseable {
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/]+)/");
    /** Headers the JDK client sets itself (or refuses). */
    private static final Set<String> HOP = Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding");

    /** One signed call: the X-Amz-Target (the SQS operation), the access key id and the session token. */
    record Signed(String target, String accessKeyId, String sessionToken) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final HttpClient http = HttpClient.newHttpClient();
    private final URI target;
    private final List<Signed> calls = new CopyOnWriteArrayList<>();

    SigningRecorder(String targetEndpoint) throws IOException {
        this.target = URI.create(targetEndpoint);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::forward);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Signed> calls() {
        return calls;
    }

    private void forward(HttpExchange exchange) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        Matcher m = authorization == null ? null : CREDENTIAL.matcher(authorization);
        calls.add(new Signed(exchange.getRequestHeaders().getFirst("X-Amz-Target"), m != null && m.find() ? m.group(1) : null,
                exchange.getRequestHeaders().getFirst("X-Amz-Security-Token")));
        byte[] body = exchange.getRequestBody().readAllBytes();
        HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase())) values.forEach(v -> request.header(name, v));
        });
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            response.headers().firstValue("Content-Type").ifPresent(v -> exchange.getResponseHeaders().set("Content-Type", v));
            exchange.sendResponseHeaders(response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.sendResponseHeaders(502, -1);
        } catch (IOException e) {
            exchange.sendResponseHeaders(502, -1);
        } finally {
            exchange.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
