package dev.triggers.operator.support;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;

/**
 * What the JDK's HTTP server (webhook and ops servers) needs to withstand slow clients. Its settings are
 * system properties read once, when the first server of the JVM starts: every server of the operator calls
 * {@link #configure()} before it is created, whichever comes first.
 */
public final class JdkHttpServers {
    private JdkHttpServers() {}

    static {
        // A client that never finishes its request (slowloris) is cut off after 30 s.
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", "30");
        // TCP_NODELAY, else headers and body go out in two segments and wait ~40 ms for a delayed ACK.
        System.getProperties().putIfAbsent("sun.net.httpserver.nodelay", "true");
        // After an answer, the server does not wait for the unread rest of a request body (it would block a
        // request thread on a client that never sends it): such a connection is closed instead. Handlers read
        // what they need, and drainArrived() keeps small bodies' connections alive.
        System.getProperties().putIfAbsent("sun.net.httpserver.drainAmount", "0");
    }

    /** Sets the JDK server's properties (once per JVM; the first call does it). */
    public static void configure() {
        // the static initializer does the work
    }

    /**
     * Reads the request body as far as it has already arrived, never waiting for more. True when it was
     * read to its end: then the connection can serve the client's next request; else it is closed after
     * the answer.
     */
    public static boolean drainArrived(HttpExchange ex) throws IOException {
        if (ex.getRequestHeaders().containsKey("Transfer-Encoding")) return false;
        String v = ex.getRequestHeaders().getFirst("Content-Length");
        long declared;
        try {
            declared = v == null ? 0 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        if (declared < 0 || declared > 64 * 1024) return false;
        InputStream in = ex.getRequestBody();
        byte[] buffer = new byte[8192];
        long read = 0;
        while (read < declared) {
            int n = (int) Math.min(Math.min(buffer.length, declared - read), in.available());
            if (n <= 0) return false;
            int got = in.read(buffer, 0, n);
            if (got < 0) return false;
            read += got;
        }
        // Nothing is left to read: this answers at once, and marks the body as read.
        return in.read() == -1;
    }
}
