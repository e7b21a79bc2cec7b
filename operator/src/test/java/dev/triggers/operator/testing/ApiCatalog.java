package dev.triggers.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the embedded API serves, as a real API server's discovery and OpenAPI documents describe it: the
 * built-in resources the operator, the examples and a newcomer's kubectl use, plus every
 * CustomResourceDefinition stored in the API (MockCluster installs crds/*.yml), so a CRD added to crds/
 * is served without a change here.
 */
final class ApiCatalog {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> VERBS = List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

    /** One resource of one group version; schema and columns only for CRDs (null for built-ins). */
    record Resource(String group, String version, String plural, String singular, String kind, boolean namespaced,
                    List<String> shortNames, List<String> categories, List<String> subresources,
                    JsonNode printerColumns, JsonNode schema) {
        String groupVersion() {
            return group.isEmpty() ? version : group + "/" + version;
        }

        /** "api/v1" or "apis/apps/v1": the key of /openapi/v3's paths. */
        String openApiPath() {
            return group.isEmpty() ? "api/" + version : "apis/" + group + "/" + version;
        }

        boolean isCustom() {
            return schema != null;
        }
    }

    static final List<Resource> BUILT_IN = List.of(
            builtIn("", "v1", "namespaces", "Namespace", false, List.of("ns"), List.of(), List.of("status")),
            builtIn("", "v1", "pods", "Pod", true, List.of("po"), List.of("all"), List.of("status")),
            builtIn("", "v1", "secrets", "Secret", true, List.of(), List.of(), List.of()),
            builtIn("", "v1", "configmaps", "ConfigMap", true, List.of("cm"), List.of(), List.of()),
            builtIn("", "v1", "serviceaccounts", "ServiceAccount", true, List.of("sa"), List.of(), List.of()),
            builtIn("", "v1", "services", "Service", true, List.of("svc"), List.of("all"), List.of("status")),
            builtIn("", "v1", "events", "Event", true, List.of("ev"), List.of(), List.of()),
            builtIn("apps", "v1", "deployments", "Deployment", true, List.of("deploy"), List.of("all"), List.of("scale", "status")),
            builtIn("apps", "v1", "statefulsets", "StatefulSet", true, List.of("sts"), List.of("all"), List.of("scale", "status")),
            builtIn("apps", "v1", "daemonsets", "DaemonSet", true, List.of("ds"), List.of("all"), List.of("status")),
            builtIn("coordination.k8s.io", "v1", "leases", "Lease", true, List.of(), List.of(), List.of()),
            builtIn("events.k8s.io", "v1", "events", "Event", true, List.of("ev"), List.of(), List.of()),
            builtIn("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false,
                    List.of("crd", "crds"), List.of(), List.of("status")));

    private final List<Resource> resources;

    private ApiCatalog(List<Resource> resources) {
        this.resources = resources;
    }

    private static Resource builtIn(String group, String version, String plural, String kind, boolean namespaced,
                                    List<String> shortNames, List<String> categories, List<String> subresources) {
        return new Resource(group, version, plural, kind.toLowerCase(Locale.ROOT), kind, namespaced, shortNames, categories,
                subresources, null, null);
    }

    /** The built-ins plus the served versions of the given CRDs (their JSON as stored). */
    static ApiCatalog of(List<JsonNode> crds) {
        List<Resource> all = new ArrayList<>(BUILT_IN);
        for (JsonNode crd : crds) {
            JsonNode spec = crd.path("spec");
            JsonNode names = spec.path("names");
            for (JsonNode version : spec.path("versions")) {
                if (!version.path("served").asBoolean(true)) continue;
                List<String> subresources = new ArrayList<>();
                version.path("subresources").fieldNames().forEachRemaining(subresources::add);
                all.add(new Resource(spec.path("group").asText(), version.path("name").asText(), names.path("plural").asText(),
                        names.path("singular").asText(names.path("kind").asText().toLowerCase(Locale.ROOT)), names.path("kind").asText(),
                        !"Cluster".equals(spec.path("scope").asText()), strings(names.path("shortNames")),
                        strings(names.path("categories")), subresources, version.path("additionalPrinterColumns"),
                        version.path("schema").path("openAPIV3Schema")));
            }
        }
        return new ApiCatalog(all);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    List<Resource> resources() {
        return resources;
    }

    Optional<Resource> find(String group, String version, String plural) {
        return resources.stream().filter(r -> r.group().equals(group) && r.version().equals(version) && r.plural().equals(plural)).findFirst();
    }

    /** group -> its versions, in the order served (core "" first, as kubectl expects to prefer it). */
    private Map<String, List<String>> groups() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (Resource r : resources) {
            List<String> versions = groups.computeIfAbsent(r.group(), g -> new ArrayList<>());
            if (!versions.contains(r.version())) versions.add(r.version());
        }
        return groups;
    }

    /** GET /api. */
    ObjectNode apiVersions(String serverAddress) {
        ObjectNode doc = JSON.createObjectNode().put("kind", "APIVersions");
        doc.putArray("versions").add("v1");
        doc.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0").put("serverAddress", serverAddress);
        return doc;
    }

    /** GET /apis. */
    ObjectNode apiGroupList() {
        ObjectNode doc = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = doc.putArray("groups");
        groups().forEach((group, versions) -> {
            if (!group.isEmpty()) groups.add(apiGroup(group, versions));
        });
        return doc;
    }

    /** GET /apis/{group}, if served. */
    Optional<ObjectNode> apiGroup(String group) {
        List<String> versions = groups().get(group);
        if (versions == null || group.isEmpty()) return Optional.empty();
        return Optional.of(apiGroup(group, versions).put("kind", "APIGroup").put("apiVersion", "v1"));
    }

    private ObjectNode apiGroup(String group, List<String> versions) {
        ObjectNode node = JSON.createObjectNode().put("name", group);
        ArrayNode list = node.putArray("versions");
        versions.forEach(v -> list.addObject().put("groupVersion", group + "/" + v).put("version", v));
        node.putObject("preferredVersion").put("groupVersion", group + "/" + versions.get(0)).put("version", versions.get(0));
        return node;
    }

    /** GET /api/v1 or /apis/{group}/{version}, if served. */
    Optional<ObjectNode> apiResourceList(String group, String version) {
        List<Resource> served = resources.stream().filter(r -> r.group().equals(group) && r.version().equals(version)).toList();
        if (served.isEmpty()) return Optional.empty();
        ObjectNode doc = JSON.createObjectNode().put("kind", "APIResourceList").put("apiVersion", "v1")
                .put("groupVersion", served.get(0).groupVersion());
        ArrayNode list = doc.putArray("resources");
        for (Resource r : served) {
            ObjectNode node = list.addObject().put("name", r.plural()).put("singularName", r.singular())
                    .put("namespaced", r.namespaced()).put("kind", r.kind());
            VERBS.forEach(node.putArray("verbs")::add);
            if (!r.shortNames().isEmpty()) r.shortNames().forEach(node.putArray("shortNames")::add);
            if (!r.categories().isEmpty()) r.categories().forEach(node.putArray("categories")::add);
            for (String sub : r.subresources()) {
                ObjectNode subNode = list.addObject().put("name", r.plural() + "/" + sub).put("singularName", "")
                        .put("namespaced", r.namespaced()).put("kind", sub.equals("scale") ? "Scale" : r.kind());
                if (sub.equals("scale")) subNode.put("group", "autoscaling").put("version", "v1");
                subNode.putArray("verbs").add("get").add("patch").add("update");
            }
        }
        return Optional.of(doc);
    }

    /** GET /openapi/v3: one entry per group version, the hash changing with its document. */
    ObjectNode openApiRoot() {
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode paths = doc.putObject("paths");
        for (Resource r : resources) {
            if (paths.has(r.openApiPath())) continue;
            String hash = Integer.toHexString(openApi(r.group(), r.version()).orElseThrow().toString().hashCode());
            paths.putObject(r.openApiPath()).put("serverRelativeURL", "/openapi/v3/" + r.openApiPath() + "?hash=" + hash);
        }
        return doc;
    }

    /**
     * GET /openapi/v3/apis/{group}/{version}: each kind's schema (a CRD's own openAPIV3Schema, what
     * `kubectl explain` reads) and its PATCH operations, which declare the fieldValidation parameter:
     * kubectl then validates on the server (KubectlDispatcher checks CRD objects against their schema).
     */
    Optional<ObjectNode> openApi(String group, String version) {
        List<Resource> served = resources.stream().filter(r -> r.group().equals(group) && r.version().equals(version)).toList();
        if (served.isEmpty()) return Optional.empty();
        ObjectNode doc = JSON.createObjectNode().put("openapi", "3.0.0");
        doc.putObject("info").put("title", "Kubernetes").put("version", "v1.31.0");
        ObjectNode paths = doc.putObject("paths");
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        schemas.set(OBJECT_META, objectMeta());
        for (Resource r : served) {
            String schemaName = schemaName(r);
            schemas.set(schemaName, kindSchema(r));
            String base = "/" + r.openApiPath() + (r.namespaced() ? "/namespaces/{namespace}/" : "/") + r.plural();
            ObjectNode item = paths.putObject(base + "/{name}");
            for (String method : List.of("get", "put", "patch", "delete")) {
                ObjectNode op = item.putObject(method);
                op.put("operationId", method + r.kind());
                op.putObject("x-kubernetes-group-version-kind").put("group", r.group()).put("version", r.version()).put("kind", r.kind());
                ArrayNode params = op.putArray("parameters");
                if (!method.equals("get") && !method.equals("delete")) {
                    params.addObject().put("name", "fieldValidation").put("in", "query").putObject("schema").put("type", "string");
                    params.addObject().put("name", "dryRun").put("in", "query").putObject("schema").put("type", "string");
                }
                op.putObject("responses").putObject("200").put("description", "OK").putObject("content")
                        .putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/" + schemaName);
            }
            ObjectNode collection = paths.putObject(base).putObject("post");
            collection.putObject("x-kubernetes-group-version-kind").put("group", r.group()).put("version", r.version()).put("kind", r.kind());
            collection.putArray("parameters").addObject().put("name", "fieldValidation").put("in", "query").putObject("schema").put("type", "string");
            collection.putObject("responses").putObject("201").put("description", "Created");
        }
        return Optional.of(doc);
    }

    private static final String OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    static String schemaName(Resource r) {
        List<String> parts = new ArrayList<>(List.of((r.group().isEmpty() ? "core" : r.group()).split("\\.")));
        java.util.Collections.reverse(parts);
        return String.join(".", parts) + "." + r.version() + "." + r.kind();
    }

    /** The kind's schema: a CRD's openAPIV3Schema with apiVersion, kind and metadata, as a real server publishes it. */
    private static ObjectNode kindSchema(Resource r) {
        ObjectNode schema = r.isCustom() && r.schema().isObject() ? ((ObjectNode) r.schema()).deepCopy() : JSON.createObjectNode();
        schema.put("type", "object");
        if (!schema.has("description")) schema.put("description", r.kind() + " (" + r.groupVersion() + ")");
        ObjectNode properties = schema.has("properties") ? (ObjectNode) schema.get("properties") : schema.putObject("properties");
        properties.putObject("apiVersion").put("type", "string")
                .put("description", "APIVersion defines the versioned schema of this representation of an object.");
        properties.putObject("kind").put("type", "string")
                .put("description", "Kind is a string value representing the REST resource this object represents.");
        properties.putObject("metadata").put("description", "Standard object's metadata.")
                .putArray("allOf").addObject().put("$ref", "#/components/schemas/" + OBJECT_META);
        if (!r.isCustom()) schema.put("x-kubernetes-preserve-unknown-fields", true);
        schema.putArray("x-kubernetes-group-version-kind").addObject().put("group", r.group()).put("kind", r.kind()).put("version", r.version());
        return schema;
    }

    private static ObjectNode objectMeta() {
        ObjectNode meta = JSON.createObjectNode().put("type", "object")
                .put("description", "ObjectMeta is metadata that all persisted resources must have.");
        ObjectNode p = meta.putObject("properties");
        p.putObject("name").put("type", "string").put("description", "Name must be unique within a namespace.");
        p.putObject("namespace").put("type", "string").put("description", "Namespace defines the space within which each name must be unique.");
        p.putObject("generateName").put("type", "string").put("description", "A prefix the server uses to generate a unique name.");
        for (String map : List.of("labels", "annotations")) {
            p.putObject(map).put("type", "object").put("description", "Map of string keys and values.")
                    .putObject("additionalProperties").put("type", "string");
        }
        for (String s : List.of("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp")) {
            p.putObject(s).put("type", "string").put("description", "Set by the server; read-only.");
        }
        p.putObject("generation").put("type", "integer").put("description", "Set by the server; read-only.");
        p.putObject("deletionGracePeriodSeconds").put("type", "integer").put("description", "Set by the server; read-only.");
        for (String list : List.of("finalizers", "ownerReferences", "managedFields")) {
            ObjectNode a = p.putObject(list).put("type", "array").put("description", list + " of the object.");
            ObjectNode items = a.putObject("items");
            if (list.equals("finalizers")) items.put("type", "string");
            else items.put("type", "object").put("x-kubernetes-preserve-unknown-fields", true);
        }
        return meta;
    }
}
