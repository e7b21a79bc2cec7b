package dev.triggers.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Objects on the embedded mock shaped as a real API server's: a real server keeps {@code metadata.managedFields}
 * on every object (who set which field: a FieldsV1 tree per manager and operation), the mock keeps nothing. The
 * operator caches every Trigger (JOSDK's informer) and reads Deployments and Secrets, so without them the
 * heap and CPU per Trigger measured on the mock would be those of smaller objects than a cluster serves.
 *
 * <p>Applied to every create (POST) on the mock that carries no managedFields: the creator's entry, with the
 * fields of the object it sent (the manager named after its User-Agent, as the API server does; Triggers and
 * Deployments as {@code kubectl apply} would have made them); and what later writers add on a real cluster:
 * for a Trigger the operator's own entries (its two labels, and a Ready status with its three conditions),
 * for a Deployment the deployment controller's (the revision annotation, and a rolled-out status). The
 * mock keeps them through the operator's merge and JSON patches, as a real server would.
 */
final class RealShapedObjects {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** metadata fields a real server tracks in managedFields (name, namespace, uid … are not). */
    private static final Set<String> TRACKED_METADATA = Set.of("labels", "annotations", "ownerReferences", "finalizers");

    private RealShapedObjects() {}

    /** For {@code MockCluster.start(port, rewrite)}: a create gets managedFields; every other request is left as it is. */
    static RecordedRequest onRequest(RecordedRequest request) {
        if (request.method() != HttpMethod.POST || request.getBody() == null) return request;
        try {
            JsonNode body = JSON.readTree(request.getUtf8Body());
            if (!(body instanceof ObjectNode object) || !object.path("metadata").isObject() || !object.path("kind").isTextual()) return request;
            if (object.path("metadata").has("managedFields")) return request;
            ((ObjectNode) object.get("metadata")).set("managedFields", managedFields(object, manager(request.getHeader("User-Agent"))));
            return new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(), request.getHeaders(),
                    new Buffer(JSON.writeValueAsBytes(object)));
        } catch (IOException | RuntimeException e) {
            return request; // not JSON (or not an object): served as sent
        }
    }

    /** The field manager a real API server derives from the User-Agent: its product name, "fabric8-kubernetes-client/7.5.2 …" → "fabric8-kubernetes-client". */
    static String manager(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) return "unknown";
        String product = userAgent.trim().split("[/ ]")[0];
        return product.isEmpty() ? "unknown" : product;
    }

    static ArrayNode managedFields(ObjectNode object, String creator) {
        String apiVersion = object.path("apiVersion").asText("v1");
        String kind = object.path("kind").asText();
        String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        ArrayNode entries = JSON.createArrayNode();
        boolean applied = kind.equals("Trigger") || kind.equals("Deployment");
        entries.add(entry(applied ? "kubectl-client-side-apply" : creator, apiVersion, time, null, fieldsOf(object, true)));
        if (kind.equals("Trigger")) {
            entries.add(entry(creator, apiVersion, time, null, (ObjectNode) parse("""
                    {"f:metadata":{"f:labels":{".":{},"f:triggers.dev/source-type":{},"f:triggers.dev/target":{}}}}""")));
            entries.add(entry(creator, apiVersion, time, "status", statusFields(triggerStatus(object))));
        } else if (kind.equals("Deployment")) {
            entries.add(entry("kube-controller-manager", apiVersion, time, null, (ObjectNode) parse("""
                    {"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}}}}""")));
            entries.add(entry("kube-controller-manager", apiVersion, time, "status", statusFields(DEPLOYMENT_STATUS)));
        }
        return entries;
    }

    private static ObjectNode entry(String manager, String apiVersion, String time, String subresource, ObjectNode fields) {
        ObjectNode e = JSON.createObjectNode();
        e.put("manager", manager);
        e.put("operation", "Update");
        e.put("apiVersion", apiVersion);
        e.put("time", time);
        e.put("fieldsType", "FieldsV1");
        e.set("fieldsV1", fields);
        if (subresource != null) e.put("subresource", subresource);
        return e;
    }

    /**
     * The FieldsV1 tree of an object as the API server writes it: "f:name" per field, "." for a map that is
     * itself owned, "k:{...}" for the items of a list keyed by name, type or uid (containers, conditions,
     * ownerReferences), atomic lists as a leaf.
     */
    static ObjectNode fieldsOf(JsonNode node, boolean root) {
        ObjectNode fields = JSON.createObjectNode();
        if (!root) fields.set(".", JSON.createObjectNode());
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode value = f.getValue();
            if (root && (name.equals("apiVersion") || name.equals("kind"))) continue;
            if (root && name.equals("metadata")) {
                ObjectNode meta = JSON.createObjectNode();
                for (String tracked : TRACKED_METADATA) {
                    if (value.has(tracked) && !value.get(tracked).isEmpty()) meta.set("f:" + tracked, fieldsOf(value.get(tracked), tracked));
                }
                if (!meta.isEmpty()) fields.set("f:metadata", meta);
                continue;
            }
            if (root && name.equals("status")) continue; // the status subresource's, owned by its own writer
            fields.set("f:" + name, fieldsOf(value, name));
        }
        return fields;
    }

    private static JsonNode fieldsOf(JsonNode value, String name) {
        if (value.isObject()) return fieldsOf(value, false);
        if (value.isArray() && value.size() > 0 && value.get(0).isObject()) {
            ObjectNode keyed = JSON.createObjectNode();
            boolean anyKey = false;
            for (JsonNode item : value) {
                String key = item.has("uid") ? "uid" : item.has("type") ? "type" : item.has("name") ? "name" : null;
                if (key == null) continue;
                anyKey = true;
                keyed.set("k:{\"" + key + "\":" + item.get(key).toString() + "}", fieldsOf(item, false));
            }
            if (anyKey) {
                ObjectNode list = JSON.createObjectNode();
                list.set(".", JSON.createObjectNode());
                keyed.fields().forEachRemaining(e -> list.set(e.getKey(), e.getValue()));
                return list;
            }
        }
        return JSON.createObjectNode(); // a leaf, or an atomic list
    }

    /** The fields of a status subresource write: {"f:status":{...}}. */
    private static ObjectNode statusFields(JsonNode status) {
        ObjectNode fields = JSON.createObjectNode();
        fields.set("f:status", fieldsOf(status, false));
        return fields;
    }

    /** The status the operator writes on a Ready Trigger of this source type (values do not matter, fields do). */
    private static JsonNode triggerStatus(ObjectNode trigger) {
        String type = trigger.path("spec").path("source").path("type").asText("Webhook");
        ObjectNode status = (ObjectNode) parse("""
                {"status":"Ready","observedGeneration":1,
                 "conditions":[
                   {"type":"Ready","status":"True","reason":"Ready","message":"m","lastTransitionTime":"t","observedGeneration":1},
                   {"type":"SourceReady","status":"True","reason":"Ready","message":"m","lastTransitionTime":"t","observedGeneration":1},
                   {"type":"TargetReady","status":"True","reason":"Found","message":"m","lastTransitionTime":"t","observedGeneration":1}],
                 "fireCount":1,"coalescedCount":0,"lastFiredAt":"t","lastFireResult":"r",
                 "lastEvent":{"source":"s","id":"i","receivedAt":"t"}}""");
        switch (type) {
            case "Webhook" -> {
                status.put("url", "u");
                status.put("webhookSecretName", "n");
                status.set("webhookTokenDigests", parse("[{\"sha256\":\"d\"}]"));
                ((ObjectNode) status.get("lastEvent")).put("caller", "c");
            }
            case "Cron" -> {
                status.put("nextFireAt", "t");
                status.put("lastScheduleTime", "t");
            }
            default -> { }
        }
        return status;
    }

    private static final JsonNode DEPLOYMENT_STATUS = parse("""
            {"availableReplicas":1,"observedGeneration":1,"readyReplicas":1,"replicas":1,"updatedReplicas":1,
             "conditions":[
               {"type":"Available","status":"True","reason":"MinimumReplicasAvailable","message":"m","lastTransitionTime":"t","lastUpdateTime":"t"},
               {"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable","message":"m","lastTransitionTime":"t","lastUpdateTime":"t"}]}""");

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
