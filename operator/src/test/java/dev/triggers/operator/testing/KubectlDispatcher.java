package dev.triggers.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.CustomResourceAware;
import io.fabric8.kubernetes.client.server.mock.Resetable;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * What a real kubectl needs from an API server and the CRUD mock does not serve, in front of it:
 * discovery (/api, /apis, /api/v1, /apis/{group}/{version}), OpenAPI v3 (explain, and the
 * fieldValidation parameter that makes kubectl validate on the server), Tables for `kubectl get`, field
 * selectors on lists (describe's events, wait), and strict schema checks of CRD objects written with
 * fieldValidation. Everything else goes to the CRUD dispatcher unchanged, so fabric8 clients see no
 * difference.
 */
final class KubectlDispatcher extends Dispatcher implements CustomResourceAware, Resetable {
    private static final String CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    private final Dispatcher crud;
    private final UnaryOperator<RecordedRequest> rewrite;

    KubectlDispatcher(Dispatcher crud) {
        this(crud, UnaryOperator.identity());
    }

    /** @param rewrite applied to every request first (the benchmark shapes objects as a real API server's with it) */
    KubectlDispatcher(Dispatcher crud, UnaryOperator<RecordedRequest> rewrite) {
        this.crud = crud;
        this.rewrite = rewrite;
    }

    /** A parsed object or collection path: /api/v1/namespaces/demo/pods/web/status. */
    record ResourcePath(String group, String version, String namespace, String plural, String name, String subresource) {
        static Optional<ResourcePath> parse(String path) {
            String[] s = path.replaceAll("^/+|/+$", "").split("/");
            int at;
            String group;
            String version;
            if (s.length >= 3 && s[0].equals("api")) {
                group = "";
                version = s[1];
                at = 2;
            } else if (s.length >= 4 && s[0].equals("apis")) {
                group = s[1];
                version = s[2];
                at = 3;
            } else {
                return Optional.empty();
            }
            String namespace = null;
            if (s.length - at >= 3 && s[at].equals("namespaces")) {
                namespace = s[at + 1];
                at += 2;
            }
            String plural = s[at];
            String name = s.length > at + 1 ? s[at + 1] : null;
            String sub = s.length > at + 2 ? s[at + 2] : null;
            return Optional.of(new ResourcePath(group, version, namespace, plural, name, sub));
        }
    }

    @Override
    public MockResponse dispatch(RecordedRequest original) {
        RecordedRequest request = rewrite.apply(original);
        String full = request.getPath();
        int q = full.indexOf('?');
        String path = q < 0 ? full : full.substring(0, q);
        Map<String, String> query = query(q < 0 ? "" : full.substring(q + 1));
        try {
            if (request.method() == HttpMethod.GET) {
                Optional<MockResponse> served = discovery(path, request.getHeader("Host"));
                if (served.isPresent()) return served.get();
            }
            Optional<ResourcePath> resource = ResourcePath.parse(path);
            if (resource.isEmpty()) return crud.dispatch(request);
            return resource(request, resource.get(), query);
        } catch (IOException | RuntimeException e) {
            // An exception here would leave the client waiting for ever: answer it.
            return status(500, "InternalError", "embedded API: " + e);
        }
    }

    private Optional<MockResponse> discovery(String path, String host) throws IOException {
        if (path.equals("/api")) return json(catalog().apiVersions(host == null ? "localhost" : host));
        if (path.equals("/apis")) return json(catalog().apiGroupList());
        if (path.equals("/version")) {
            return json(ApiCatalog.JSON.createObjectNode().put("major", "1").put("minor", "31").put("gitVersion", "v1.31.0-embedded")
                    .put("gitCommit", "").put("gitTreeState", "clean").put("buildDate", "2026-01-01T00:00:00Z")
                    .put("goVersion", "").put("compiler", "").put("platform", "linux/amd64"));
        }
        if (path.equals("/openapi/v3")) return json(catalog().openApiRoot());
        if (path.equals("/openapi/v2")) return Optional.of(status(404, "NotFound", "the embedded API serves OpenAPI v3 only"));
        String[] s = path.replaceAll("^/+|/+$", "").split("/");
        if (path.startsWith("/openapi/v3/")) {
            Optional<ObjectNode> doc = s.length == 4 && s[2].equals("api") ? catalog().openApi("", s[3])
                    : s.length == 5 && s[2].equals("apis") ? catalog().openApi(s[3], s[4]) : Optional.empty();
            return Optional.of(doc.map(KubectlDispatcher::jsonResponse).orElseGet(() -> status(404, "NotFound", path + " not found")));
        }
        if (s.length == 2 && s[0].equals("api")) return Optional.of(orNotFound(catalog().apiResourceList("", s[1]), path));
        if (s.length == 2 && s[0].equals("apis")) return Optional.of(orNotFound(catalog().apiGroup(s[1]), path));
        if (s.length == 3 && s[0].equals("apis")) return Optional.of(orNotFound(catalog().apiResourceList(s[1], s[2]), path));
        return Optional.empty();
    }

    private MockResponse resource(RecordedRequest request, ResourcePath path, Map<String, String> query) throws IOException {
        boolean watch = "true".equals(query.get("watch")) || "1".equals(query.get("watch"));
        String accept = request.getHeader("Accept");
        boolean table = accept != null && accept.contains("as=Table");
        String selector = query.get("fieldSelector");
        boolean filtered = selector != null && !selector.isEmpty() && path.name() == null;
        // Only kubectl's requests take the slower path: the operator's (and the benchmarks') go straight through.
        if (request.method() == HttpMethod.GET && !watch && path.subresource() == null && (table || filtered)) {
            Optional<ApiCatalog.Resource> known = catalog().find(path.group(), path.version(), path.plural());
            if (known.isEmpty()) return crud.dispatch(request);
            MockResponse response = crud.dispatch(filtered ? withoutFieldSelector(request) : request);
            if (response.code() != 200) return response;
            JsonNode body = ApiCatalog.JSON.readTree(response.getBody().getBytes());
            if (filtered && body.has("items")) body = filter((ObjectNode) body, selector);
            // The mock answers kind List; client-go's typed clients (describe's events) only decode EventList.
            if (body.has("items")) ((ObjectNode) body).put("kind", known.get().kind() + "List").put("apiVersion", known.get().groupVersion());
            return jsonResponse(table ? KubectlTables.table(known.get(), body, Instant.now()) : body);
        }
        if (request.method() == HttpMethod.GET && watch && request.getHeader("Upgrade") == null && path.name() == null) {
            return pollingWatch(path, query);
        }
        String validation = query.get("fieldValidation");
        boolean writes = request.method() == HttpMethod.POST || request.method() == HttpMethod.PUT
                || (request.method() == HttpMethod.PATCH && contentType(request).contains("merge-patch"));
        if (writes && validation != null && !validation.equals("Ignore") && path.subresource() == null) {
            Optional<ApiCatalog.Resource> known = catalog().find(path.group(), path.version(), path.plural());
            if (known.isEmpty() || !known.get().isCustom()) return crud.dispatch(request);
            // Reading a request body consumes it: the CRUD dispatcher gets a copy.
            byte[] bytes = request.getBody().readByteArray();
            request = new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(), request.getHeaders(), new Buffer(bytes));
            JsonNode body = ApiCatalog.JSON.readTree(bytes);
            ApiCatalog.Resource r = known.get();
            String name = body.path("metadata").path("name").asText(path.name() == null ? "" : path.name());
            List<String> invalid = CrdSchemaCheck.invalid(body, r.schema(), request.method() == HttpMethod.PATCH);
            if (!invalid.isEmpty()) {
                return status(422, "Invalid", r.kind() + "." + r.group() + " \"" + name + "\" is invalid: "
                        + (invalid.size() == 1 ? invalid.get(0) : invalid.toString()));
            }
            List<String> unknown = CrdSchemaCheck.unknownFields(body, r.schema());
            if (!unknown.isEmpty()) {
                String message = String.join(", ", unknown.stream().map(f -> "unknown field \"" + f + "\"").toList());
                if (validation.equals("Strict")) {
                    return status(400, "BadRequest", r.kind() + " in version \"" + r.version() + "\" cannot be handled as a "
                            + r.kind() + ": strict decoding error: " + message);
                }
                MockResponse response = crud.dispatch(request);
                for (String f : unknown) response.addHeader("Warning", "299 - \"unknown field \\\"" + f + "\\\"\"");
                return response;
            }
        }
        return crud.dispatch(request);
    }

    /**
     * The mock watches over WebSockets only; kubectl watches over plain HTTP. This answers such a watch
     * with the objects changed since its resourceVersion and ends it (after a second when nothing
     * changed): client-go watches again from the newest version, so `kubectl wait` and `get -w` see every
     * change, a second late at most. Deletions are not reported.
     */
    private MockResponse pollingWatch(ResourcePath path, Map<String, String> query) throws IOException {
        Optional<ApiCatalog.Resource> known = catalog().find(path.group(), path.version(), path.plural());
        if (known.isEmpty()) return status(404, "NotFound", "the server could not find the requested resource");
        long since = parseLong(query.get("resourceVersion"));
        String labels = query.get("labelSelector");
        String listPath = "/" + known.get().openApiPath() + (path.namespace() == null ? "" : "/namespaces/" + path.namespace())
                + "/" + path.plural() + (labels == null || labels.isEmpty() ? "" : "?labelSelector=" + java.net.URLEncoder.encode(labels, StandardCharsets.UTF_8));
        MockResponse list = crud.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.GET, listPath, Headers.builder().build(), new Buffer()));
        if (list.code() != 200) return list;
        ObjectNode body = (ObjectNode) ApiCatalog.JSON.readTree(list.getBody().getBytes());
        String selector = query.get("fieldSelector");
        if (selector != null && !selector.isEmpty()) body = filter(body, selector);
        StringBuilder events = new StringBuilder();
        for (JsonNode item : body.path("items")) {
            if (parseLong(item.path("metadata").path("resourceVersion").asText()) <= since) continue;
            ObjectNode object = ((ObjectNode) item.deepCopy()).put("kind", known.get().kind()).put("apiVersion", known.get().groupVersion());
            ObjectNode event = ApiCatalog.JSON.createObjectNode().put("type", since == 0 ? "ADDED" : "MODIFIED");
            event.set("object", object);
            events.append(event).append('\n');
        }
        boolean changed = events.length() > 0;
        if (!changed) {
            // A watch that ends empty within a second makes client-go back off for up to 10 s: a bookmark
            // at the current version, a second later, makes it watch again at once instead.
            long version = Math.max(since, parseLong(body.path("metadata").path("resourceVersion").asText()));
            ObjectNode bookmark = ApiCatalog.JSON.createObjectNode().put("type", "BOOKMARK");
            bookmark.putObject("object").put("kind", known.get().kind()).put("apiVersion", known.get().groupVersion())
                    .putObject("metadata").put("resourceVersion", Long.toString(version));
            events.append(bookmark).append('\n');
        }
        MockResponse response = new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json").setBody(events.toString());
        return changed ? response : response.setBodyDelay(java.time.Duration.ofSeconds(1));
    }

    private static long parseLong(String value) {
        try {
            return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** fieldSelector with = / == / != terms on any field path (metadata.name, involvedObject.uid, ...). */
    static ObjectNode filter(ObjectNode list, String selector) {
        List<String[]> terms = new ArrayList<>();
        for (String term : selector.split(",")) {
            boolean not = term.contains("!=");
            String[] kv = term.split(not ? "!=" : "==?", 2);
            if (kv.length == 2) terms.add(new String[] {kv[0].trim(), kv[1].trim(), not ? "!" : "="});
        }
        var items = ApiCatalog.JSON.createArrayNode();
        for (JsonNode item : list.path("items")) {
            boolean all = true;
            for (String[] t : terms) {
                JsonNode v = KubectlTables.jsonPath(item, "." + t[0]);
                boolean equal = (v == null || v.isNull() ? "" : v.asText()).equals(t[1]);
                all &= t[2].equals("=") == equal;
            }
            if (all) items.add(item);
        }
        ObjectNode copy = list.deepCopy();
        copy.set("items", items);
        return copy;
    }

    /** The CRUD mock knows field selectors on a few fields only: this class filters on any. */
    private static RecordedRequest withoutFieldSelector(RecordedRequest request) {
        String path = request.getPath().replaceAll("([?&])fieldSelector=[^&]*&?", "$1").replaceAll("[?&]$", "");
        return new RecordedRequest(request.getHttpVersion(), request.method(), path, request.getHeaders(), request.getBody());
    }

    private ApiCatalog catalog() throws IOException {
        MockResponse response = crud.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.GET, CRDS, Headers.builder().build(), new Buffer()));
        List<JsonNode> crds = new ArrayList<>();
        if (response.code() == 200) ApiCatalog.JSON.readTree(response.getBody().getBytes()).path("items").forEach(crds::add);
        return ApiCatalog.of(crds);
    }

    private static String contentType(RecordedRequest request) {
        String type = request.getHeader("Content-Type");
        return type == null ? "" : type;
    }

    private static Map<String, String> query(String query) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            params.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

    private static Optional<MockResponse> json(JsonNode body) {
        return Optional.of(jsonResponse(body));
    }

    private static MockResponse orNotFound(Optional<ObjectNode> body, String path) {
        return body.map(KubectlDispatcher::jsonResponse).orElseGet(() -> status(404, "NotFound", "the server could not find " + path));
    }

    private static MockResponse jsonResponse(JsonNode body) {
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json").setBody(body.toString());
    }

    static MockResponse status(int code, String reason, String message) {
        ObjectNode status = ApiCatalog.JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1")
                .put("status", "Failure").put("message", message).put("reason", reason).put("code", code);
        status.putObject("metadata");
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(status.toString());
    }

    @Override
    public void expectCustomResource(CustomResourceDefinitionContext context) {
        if (crud instanceof CustomResourceAware aware) aware.expectCustomResource(context);
    }

    @Override
    public void reset() {
        if (crud instanceof Resetable resetable) resetable.reset();
    }

    @Override
    public void shutdown() {
        crud.shutdown();
    }
}
