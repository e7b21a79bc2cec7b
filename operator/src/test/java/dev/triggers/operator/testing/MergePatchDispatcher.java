package dev.triggers.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.DiffFlags;
import io.fabric8.zjsonpatch.JsonDiff;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Queue;

/**
 * The mock's CRUD dispatcher with JSON merge patch done as RFC 7386 says, like a real API server. The
 * fabric8 mock merges with Jackson's readerForUpdating, which appends to arrays instead of replacing
 * them: every status write of conditions then grows the list, the reconciler sees "changed" and writes
 * again, for ever. Here a merge patch is applied to the stored object and sent on as the equivalent
 * JSON patch, which the mock applies correctly. Expectations still match first (same method and path).
 */
final class MergePatchDispatcher extends KubernetesMixedDispatcher {
    private static final ObjectMapper JSON = new ObjectMapper();

    MergePatchDispatcher(Map<ServerRequest, Queue<ServerResponse>> responses) {
        super(responses);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String type = request.getHeader("Content-Type");
        if (request.method() != HttpMethod.PATCH || type == null || !type.contains("merge-patch")) return super.dispatch(request);
        String path = request.getPath();
        int query = path.indexOf('?');
        String objectPath = query < 0 ? path : path.substring(0, query);
        if (objectPath.endsWith("/status")) objectPath = objectPath.substring(0, objectPath.length() - "/status".length());
        MockResponse current = super.dispatch(new RecordedRequest(request.getHttpVersion(), HttpMethod.GET, objectPath,
                request.getHeaders(), new Buffer()));
        if (current.code() != 200) return super.dispatch(request);
        try {
            JsonNode stored = JSON.readTree(current.getBody().getBytes());
            JsonNode merged = merge(stored.deepCopy(), JSON.readTree(request.getUtf8Body()));
            JsonNode ops = JsonDiff.asJson(stored, merged, EnumSet.of(DiffFlags.OMIT_MOVE_OPERATION, DiffFlags.OMIT_COPY_OPERATION));
            var headers = request.getHeaders().newBuilder().set("Content-Type", "application/json-patch+json").build();
            return super.dispatch(new RecordedRequest(request.getHttpVersion(), HttpMethod.PATCH, path, headers,
                    new Buffer(JSON.writeValueAsBytes(ops))));
        } catch (IOException e) {
            return super.dispatch(request);
        }
    }

    /** RFC 7386: objects merge member by member, null removes, anything else (arrays too) replaces. */
    static JsonNode merge(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) return patch;
        ObjectNode result = target != null && target.isObject() ? (ObjectNode) target : JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getValue().isNull()) result.remove(field.getKey());
            else result.set(field.getKey(), merge(result.get(field.getKey()), field.getValue()));
        }
        return result;
    }

}
