package dev.triggers.operator.source.nats;

import io.fabric8.kubernetes.api.model.Secret;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What a Trigger's credentials Secret holds: {@code user} and {@code password}, or {@code token}, or
 * {@code creds} (a .creds file: JWT and NKey seed), and optionally {@code ca.crt} (PEM) to trust for
 * TLS. Never logged: {@link #toString()} names only the kinds of secret present.
 */
public final class NatsCredentials {
    public static final String USER = "user";
    public static final String PASSWORD = "password";
    public static final String TOKEN = "token";
    public static final String CREDS = "creds";
    public static final String CA = "ca.crt";

    public static final NatsCredentials NONE = new NatsCredentials(Map.of());

    private final Map<String, byte[]> data;

    private NatsCredentials(Map<String, byte[]> data) {
        this.data = data;
    }

    /** Reads the Secret's keys; throws IllegalArgumentException with what to fix when they do not make sense. */
    public static NatsCredentials fromSecret(Secret secret) {
        Map<String, byte[]> data = new TreeMap<>();
        if (secret.getData() != null) secret.getData().forEach((k, v) -> data.put(k, Base64.getDecoder().decode(v)));
        if (secret.getStringData() != null) secret.getStringData().forEach((k, v) -> data.put(k, v.getBytes(StandardCharsets.UTF_8)));
        data.keySet().retainAll(java.util.Set.of(USER, PASSWORD, TOKEN, CREDS, CA));
        String name = "Secret " + secret.getMetadata().getName();
        int kinds = (data.containsKey(USER) ? 1 : 0) + (data.containsKey(TOKEN) ? 1 : 0) + (data.containsKey(CREDS) ? 1 : 0);
        if (kinds > 1) throw new IllegalArgumentException(name + " holds more than one of user/password, token and creds: keep exactly one");
        if (data.containsKey(USER) != data.containsKey(PASSWORD)) {
            throw new IllegalArgumentException(name + " needs both keys user and password (or use token or creds instead)");
        }
        if (kinds == 0 && !data.containsKey(CA)) {
            throw new IllegalArgumentException(name + " has none of the keys user+password, token, creds or ca.crt");
        }
        NatsCredentials credentials = new NatsCredentials(Map.copyOf(data));
        if (data.containsKey(CA)) credentials.sslContext(); // fail now, with a readable message
        return credentials;
    }

    /** A digest of the values: Triggers with equal credentials share a connection, a changed Secret gets a new one. */
    public String fingerprint() {
        if (data.isEmpty()) return "none";
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : new TreeMap<>(data).entrySet()) {
                digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(e.getValue());
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A password or token: sent to the server as it is (a creds file only signs the server's nonce). */
    boolean sendsSecret() {
        return data.containsKey(PASSWORD) || data.containsKey(TOKEN);
    }

    /** A CA to trust: jnats then encrypts every (non-websocket) connection, whatever the URL's scheme. */
    boolean hasCa() {
        return data.containsKey(CA);
    }

    void applyTo(Options.Builder options) {
        if (data.containsKey(USER)) options.userInfo(chars(USER), chars(PASSWORD));
        if (data.containsKey(TOKEN)) options.token(chars(TOKEN));
        if (data.containsKey(CREDS)) options.authHandler(Nats.staticCredentials(data.get(CREDS)));
        if (data.containsKey(CA)) options.sslContext(sslContext());
    }

    private char[] chars(String key) {
        return new String(data.get(key), StandardCharsets.UTF_8).trim().toCharArray();
    }

    private SSLContext sslContext() {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(data.get(CA)))) {
                trust.setCertificateEntry("ca-" + i++, cert);
            }
            if (i == 0) throw new IllegalArgumentException("no certificate in it");
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalArgumentException("key ca.crt is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "NatsCredentials" + data.keySet();
    }
}
