package dev.triggers.operator.source.sqs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A real HTTP server on loopback that answers STS AssumeRoleWithWebIdentity the way STS does (query
 * protocol: a form POST in, the AssumeRoleWithWebIdentityResponse XML or an ErrorResponse out), so the
 * SDK's own STS client and credentials provider run unchanged. It checks what it receives: the role and
 * the web identity token (one the Kubernetes API minted), and hands out numbered credentials.
 */
final class LoopbackSts implements AutoCloseable {
    private final HttpServer server;
    private final List<Map<String, String>> calls = new CopyOnWriteArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final List<Instant> received = new CopyOnWriteArrayList<>();
    private final List<Instant> expirations = new CopyOnWriteArrayList<>();
    private final String roleArn;
    private final Predicate<String> validToken;
    private volatile Duration lifetime = Duration.ofHours(1);
    private volatile boolean denied;

    /**
     * @param roleArn the only role it lets be assumed
     * @param validToken which web identity tokens are genuine (minted by the API server's TokenRequest)
     */
    LoopbackSts(String roleArn, Predicate<String> validToken) throws IOException {
        this.roleArn = roleArn;
        this.validToken = validToken;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** From now on answer AccessDenied, as STS does when the role's trust policy does not match the token. */
    void deny() {
        denied = true;
    }

    /** How long the credentials it hands out are valid. */
    void lifetime(Duration lifetime) {
        this.lifetime = lifetime;
    }

    /** Every AssumeRoleWithWebIdentity received: its form parameters. */
    List<Map<String, String>> calls() {
        return calls;
    }

    /** What a call carried that STS would refuse (wrong role, a token the API server did not mint), if anything. */
    List<String> problems() {
        return problems;
    }

    /** When each call arrived (same order as {@link #calls()}). */
    List<Instant> received() {
        return received;
    }

    /** The expiration of each set of credentials handed out, in order. */
    List<Instant> expirations() {
        return expirations;
    }

    static String accessKeyId(int call) {
        return "ASIALOOPBACKSTS" + call;
    }

    static String sessionToken(int call) {
        return "loopback-session-token-" + call;
    }

    private void handle(HttpExchange exchange) throws IOException {
        Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        received.add(Instant.now());
        calls.add(form);
        int call = calls.size();
        if (!"POST".equals(exchange.getRequestMethod()) || !"AssumeRoleWithWebIdentity".equals(form.get("Action"))) {
            problems.add("unexpected call " + exchange.getRequestMethod() + " " + form.get("Action"));
            reply(exchange, 400, error("Sender", "InvalidAction", "only AssumeRoleWithWebIdentity here"));
            return;
        }
        if (!validToken.test(form.get("WebIdentityToken"))) {
            problems.add("a web identity token the API server did not mint");
            reply(exchange, 400, error("Sender", "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider"));
            return;
        }
        if (!roleArn.equals(form.get("RoleArn"))) problems.add("role " + form.get("RoleArn"));
        if (denied || !roleArn.equals(form.get("RoleArn"))) {
            reply(exchange, 403, error("Sender", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"));
            return;
        }
        String session = form.get("RoleSessionName");
        Instant expiration = Instant.now().plus(lifetime).truncatedTo(ChronoUnit.SECONDS);
        expirations.add(expiration);
        reply(exchange, 200, """
                <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <AssumeRoleWithWebIdentityResult>
                    <SubjectFromWebIdentityToken>system:serviceaccount:test</SubjectFromWebIdentityToken>
                    <Audience>sts.amazonaws.com</Audience>
                    <AssumedRoleUser>
                      <Arn>%s/%s</Arn>
                      <AssumedRoleId>AROALOOPBACK:%s</AssumedRoleId>
                    </AssumedRoleUser>
                    <Credentials>
                      <SessionToken>%s</SessionToken>
                      <SecretAccessKey>loopback-secret-%d</SecretAccessKey>
                      <Expiration>%s</Expiration>
                      <AccessKeyId>%s</AccessKeyId>
                    </Credentials>
                    <Provider>oidc.test</Provider>
                  </AssumeRoleWithWebIdentityResult>
                  <ResponseMetadata><RequestId>req-%d</RequestId></ResponseMetadata>
                </AssumeRoleWithWebIdentityResponse>
                """.formatted(roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/"), session, session,
                sessionToken(call), call, expiration, accessKeyId(call), call));
    }

    private static String error(String type, String code, String message) {
        return """
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>
                  <RequestId>req-error</RequestId>
                </ErrorResponse>
                """.formatted(type, code, message);
    }

    private static void reply(HttpExchange exchange, int status, String xml) throws IOException {
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            form.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return form;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
