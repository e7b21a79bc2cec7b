package dev.triggers.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `kubectl get` asks for a meta.k8s.io/v1 Table: the server chooses the columns. For a CRD they are its
 * additionalPrinterColumns (simple JSONPaths evaluated on the stored object, dates as ages), after a
 * Name column, as the apiextensions server does; for the built-ins, the main columns kubectl users know.
 */
final class KubectlTables {
    private KubectlTables() {}

    private record Column(String name, String type, String format, int priority, Function<JsonNode, Object> cell) {}

    static ObjectNode table(ApiCatalog.Resource resource, JsonNode listOrObject, Instant now) {
        List<Column> columns = columns(resource, now);
        ObjectNode table = ApiCatalog.JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
        table.putObject("metadata").put("resourceVersion", listOrObject.path("metadata").path("resourceVersion").asText(""));
        ArrayNode definitions = table.putArray("columnDefinitions");
        for (Column c : columns) {
            definitions.addObject().put("name", c.name()).put("type", c.type()).put("format", c.format())
                    .put("description", c.name()).put("priority", c.priority());
        }
        ArrayNode rows = table.putArray("rows");
        List<JsonNode> objects = new ArrayList<>();
        if (listOrObject.has("items")) listOrObject.get("items").forEach(objects::add);
        else objects.add(listOrObject);
        for (JsonNode object : objects) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            for (Column c : columns) cells.addPOJO(c.cell().apply(object));
            ObjectNode full = object.deepCopy();
            // Items of a list carry no kind; kubectl decodes the row's object on its own.
            if (!full.has("kind")) full.put("kind", resource.kind()).put("apiVersion", resource.groupVersion());
            row.set("object", full);
        }
        return table;
    }

    private static List<Column> columns(ApiCatalog.Resource r, Instant now) {
        List<Column> columns = new ArrayList<>();
        columns.add(new Column("Name", "string", "name", 0, o -> o.path("metadata").path("name").asText()));
        Column age = new Column("Age", "date", "", 0, o -> age(o.path("metadata").path("creationTimestamp"), now));
        if (r.isCustom()) {
            if (r.printerColumns() == null || r.printerColumns().isEmpty()) {
                columns.add(age);
                return columns;
            }
            for (JsonNode pc : r.printerColumns()) {
                String type = pc.path("type").asText("string");
                String path = pc.path("jsonPath").asText();
                columns.add(new Column(pc.path("name").asText(), type, pc.path("format").asText(""), pc.path("priority").asInt(0),
                        o -> cell(type, jsonPath(o, path), now)));
            }
            return columns;
        }
        switch (r.kind()) {
            case "Namespace" -> columns.add(text("Status", o -> o.path("status").path("phase").asText("Active")));
            case "Deployment" -> {
                columns.add(text("Ready", o -> o.path("status").path("readyReplicas").asInt(0) + "/" + o.path("spec").path("replicas").asInt(1)));
                columns.add(new Column("Up-to-date", "integer", "", 0, o -> o.path("status").path("updatedReplicas").asInt(0)));
                columns.add(new Column("Available", "integer", "", 0, o -> o.path("status").path("availableReplicas").asInt(0)));
            }
            case "StatefulSet" -> columns.add(text("Ready",
                    o -> o.path("status").path("readyReplicas").asInt(0) + "/" + o.path("spec").path("replicas").asInt(1)));
            case "DaemonSet" -> {
                columns.add(new Column("Desired", "integer", "", 0, o -> o.path("status").path("desiredNumberScheduled").asInt(0)));
                columns.add(new Column("Ready", "integer", "", 0, o -> o.path("status").path("numberReady").asInt(0)));
            }
            case "Pod" -> columns.add(text("Status", o -> o.path("status").path("phase").asText("Pending")));
            case "Secret" -> {
                columns.add(text("Type", o -> o.path("type").asText("Opaque")));
                columns.add(new Column("Data", "integer", "", 0, o -> o.path("data").size()));
            }
            case "ConfigMap" -> columns.add(new Column("Data", "integer", "", 0, o -> o.path("data").size()));
            case "Lease" -> columns.add(text("Holder", o -> o.path("spec").path("holderIdentity").asText("")));
            case "Event" -> {
                // kubectl get events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (and no Name, no Age).
                columns.clear();
                columns.add(new Column("Last Seen", "string", "", 0, o -> age(firstOf(o, "lastTimestamp", "eventTime",
                        "deprecatedLastTimestamp", "metadata.creationTimestamp"), now)));
                columns.add(text("Type", o -> o.path("type").asText()));
                columns.add(text("Reason", o -> o.path("reason").asText()));
                columns.add(text("Object", o -> {
                    JsonNode ref = o.has("involvedObject") ? o.path("involvedObject") : o.path("regarding");
                    return ref.path("kind").asText().toLowerCase(java.util.Locale.ROOT) + "/" + ref.path("name").asText();
                }));
                columns.add(text("Message", o -> o.has("message") ? o.path("message").asText() : o.path("note").asText()));
                columns.add(new Column("Name", "string", "name", 1, o -> o.path("metadata").path("name").asText()));
                return columns;
            }
            case "CustomResourceDefinition" -> {
                columns.add(new Column("Created At", "date", "", 0, o -> o.path("metadata").path("creationTimestamp").asText()));
                return columns;
            }
            default -> { }
        }
        columns.add(age);
        return columns;
    }

    private static Column text(String name, Function<JsonNode, Object> cell) {
        return new Column(name, "string", "", 0, cell);
    }

    private static JsonNode firstOf(JsonNode o, String... paths) {
        for (String p : paths) {
            JsonNode v = jsonPath(o, "." + p);
            if (v != null && !v.isNull() && !v.asText().isEmpty()) return v;
        }
        return NullNode.getInstance();
    }

    /** As the apiextensions server's cellForJSONValue: a missing or mistyped value is an empty cell. */
    private static Object cell(String type, JsonNode value, Instant now) {
        if (value == null || value.isNull() || value.isMissingNode()) return null;
        return switch (type) {
            case "integer" -> value.isNumber() ? value.asLong() : null;
            case "number" -> value.isNumber() ? value.asDouble() : null;
            case "boolean" -> value.isBoolean() ? value.asBoolean() : null;
            case "date" -> value.isTextual() ? age(value, now) : null;
            default -> value.isValueNode() ? value.asText() : value.toString();
        };
    }

    private static String age(JsonNode timestamp, Instant now) {
        if (timestamp == null || !timestamp.isTextual() || timestamp.asText().isEmpty()) return "<unknown>";
        try {
            return humanDuration(Duration.between(Instant.parse(timestamp.asText()), now));
        } catch (DateTimeParseException e) {
            return "<invalid>";
        }
    }

    /** k8s.io/apimachinery/pkg/util/duration.HumanDuration: what kubectl shows in AGE columns. */
    static String humanDuration(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 120) return seconds + "s";
        long minutes = d.toMinutes();
        if (minutes < 10) return seconds % 60 == 0 ? minutes + "m" : minutes + "m" + seconds % 60 + "s";
        if (minutes < 180) return minutes + "m";
        long hours = d.toHours();
        if (hours < 8) return minutes % 60 == 0 ? hours + "h" : hours + "h" + minutes % 60 + "m";
        if (hours < 48) return hours + "h";
        if (hours < 24 * 8) return hours % 24 == 0 ? hours / 24 + "d" : hours / 24 + "d" + hours % 24 + "h";
        if (hours < 24 * 365 * 2) return hours / 24 + "d";
        if (hours < 24 * 365 * 8) {
            long days = (hours / 24) % 365;
            return days == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + days + "d";
        }
        return hours / 24 / 365 + "y";
    }

    private static final Pattern STEP = Pattern.compile("([^.\\[]+)|\\[(\\d+)]|\\[\\?\\(@\\.([\\w.-]+)\\s*==\\s*[\"']([^\"']*)[\"']\\)]");

    /** The simple JSONPaths CRDs use: .a.b, .a[0].b, .a[?(@.type=="Ready")].status; null when absent. */
    static JsonNode jsonPath(JsonNode object, String path) {
        String p = path.trim();
        if (p.startsWith("{") && p.endsWith("}")) p = p.substring(1, p.length() - 1);
        if (p.startsWith("$")) p = p.substring(1);
        JsonNode current = object;
        Matcher m = STEP.matcher(p);
        int at = 0;
        while (current != null && at < p.length()) {
            if (p.charAt(at) == '.') {
                at++;
                continue;
            }
            if (!m.find(at) || m.start() != at) return null;
            if (m.group(1) != null) current = current.get(m.group(1));
            else if (m.group(2) != null) current = current.isArray() ? current.get(Integer.parseInt(m.group(2))) : null;
            else {
                JsonNode match = null;
                if (current.isArray()) {
                    for (JsonNode item : current) {
                        JsonNode field = jsonPath(item, "." + m.group(3));
                        if (field != null && m.group(4).equals(field.asText())) {
                            match = item;
                            break;
                        }
                    }
                }
                current = match;
            }
            at = m.end();
        }
        return current;
    }
}
