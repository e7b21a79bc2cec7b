package dev.triggers.operator.source.sqs;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;

/**
 * The URL-connection client, plus a way to cut the call a given thread is blocked in. A sync long poll
 * ignores interrupts; aborting closes its connection, so a stopped Trigger lets go of its poll thread
 * at once instead of after waitTimeSeconds.
 */
final class AbortableHttpClient implements SdkHttpClient {
    private final SdkHttpClient delegate;
    private final Map<Thread, ExecutableHttpRequest> calls = new ConcurrentHashMap<>();
    // Aborted threads fail every call until cleared, or the SDK's own retry would start the long poll again.
    private final Set<Thread> aborted = ConcurrentHashMap.newKeySet();

    AbortableHttpClient(SdkHttpClient delegate) {
        this.delegate = delegate;
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        ExecutableHttpRequest prepared = delegate.prepareRequest(request);
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() throws IOException {
                Thread caller = Thread.currentThread();
                calls.put(caller, prepared);
                if (aborted.contains(caller)) {
                    calls.remove(caller, prepared);
                    throw new IOException("SQS call aborted: the source is stopping");
                }
                try {
                    return prepared.call();
                } finally {
                    calls.remove(caller, prepared);
                }
            }

            @Override
            public void abort() {
                prepared.abort();
            }
        };
    }

    /** Aborts the call the thread is in, and any it makes (SDK retries), until {@link #clearAbort}. */
    void abort(Thread thread) {
        aborted.add(thread);
        ExecutableHttpRequest call = calls.get(thread);
        if (call != null) call.abort();
    }

    void clearAbort(Thread thread) {
        aborted.remove(thread);
    }

    @Override
    public String clientName() {
        return delegate.clientName();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
