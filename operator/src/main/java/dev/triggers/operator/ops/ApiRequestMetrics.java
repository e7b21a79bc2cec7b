package dev.triggers.operator.ops;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the requests the operator's own Kubernetes client sends, as {@code trigger_operator_api_requests_total}
 * with the API server's verb (get, list, watch, create, update, patch, delete, deletecollection) and resource
 * ({@code triggers}, {@code triggers/status}, {@code deployments/scale}, …) as tags, like the API server's
 * {@code apiserver_request_total}: what one Trigger costs the API server can then be read off the operator on
 * any cluster. A fabric8 client interceptor: every attempt is counted (retries too), watches once per
 * connection.
 */
public final class ApiRequestMetrics implements Interceptor {
    public static final String METER = "trigger.operator.api.requests";
    static final String NAME = "api-request-metrics";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public ApiRequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The builder, with every client it builds counting its requests in the registry. */
    public static KubernetesClientBuilder instrument(KubernetesClientBuilder builder, MeterRegistry registry) {
        ApiRequestMetrics metrics = new ApiRequestMetrics(registry);
        return builder.withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor(NAME, metrics));
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        count(request.method(), request.uri());
    }

    void count(String method, URI uri) {
        String[] tags = tags(method, uri);
        counters.computeIfAbsent(tags[0] + ' ' + tags[1], k -> Counter.builder(METER)
                .description("Requests the operator sent to the Kubernetes API, by verb and resource")
                .tag("verb", tags[0]).tag("resource", tags[1]).register(registry)).increment();
    }

    /** {verb, resource} of a request, as the API server names them; "nonresource" for /version, discovery and such. */
    static String[] tags(String method, URI uri) {
        String[] path = uri.getRawPath() == null ? new String[0] : uri.getRawPath().replaceAll("^/+|/+$", "").split("/+");
        // /api/v1/... or /apis/{group}/{version}/...
        int first = path.length > 0 && path[0].equals("api") ? 2 : path.length > 0 && path[0].equals("apis") ? 3 : -1;
        String resource = "nonresource";
        if (first < 0 || path.length <= first) return new String[] {method.toLowerCase(Locale.ROOT), resource};
        int at = first;
        // namespaces/{ns}/{resource}...; namespaces and namespaces/{ns} are the Namespace resource itself
        if (path[at].equals("namespaces") && path.length > at + 2) at += 2;
        resource = path[at];
        boolean named = path.length > at + 1;
        if (path.length > at + 2) resource += "/" + path[at + 2];
        String query = uri.getRawQuery() == null ? "" : "&" + uri.getRawQuery() + "&";
        String verb = switch (method.toUpperCase(Locale.ROOT)) {
            case "GET" -> query.contains("&watch=true&") || query.contains("&watch=1&") ? "watch" : named ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> method.toLowerCase(Locale.ROOT);
        };
        return new String[] {verb, resource};
    }
}
