package dev.triggers.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The structural part of a CRD's openAPIV3Schema, checked as the API server does when kubectl writes
 * with fieldValidation=Strict: unknown fields, types, required fields, enums, bounds. CEL rules are not
 * evaluated (the reconciler enforces them; STACK.md).
 */
final class CrdSchemaCheck {
    private CrdSchemaCheck() {}

    /** Fields the schema does not know, as "spec.sorce". */
    static List<String> unknownFields(JsonNode object, JsonNode schema) {
        List<String> unknown = new ArrayList<>();
        walk(object, schema, "", unknown, new ArrayList<>(), false);
        return unknown;
    }

    /** Schema violations, as "spec.cooldownSeconds: Invalid value: ...". A patch skips required checks. */
    static List<String> invalid(JsonNode object, JsonNode schema, boolean partial) {
        List<String> invalid = new ArrayList<>();
        walk(object, schema, "", new ArrayList<>(), invalid, partial);
        return invalid;
    }

    private static void walk(JsonNode value, JsonNode schema, String path, List<String> unknown, List<String> invalid, boolean partial) {
        if (schema == null || schema.isMissingNode() || value == null || value.isNull()) return;
        boolean root = path.isEmpty();
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!value.isTextual() && !value.isIntegralNumber()) invalid.add(path + ": Invalid value: must be an integer or a string");
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    invalid.add(path + ": Invalid value: \"" + kind(value) + "\": " + path + " in body must be of type object");
                    return;
                }
                JsonNode properties = schema.path("properties");
                JsonNode additional = schema.path("additionalProperties");
                boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
                for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    String fieldPath = root ? field.getKey() : path + "." + field.getKey();
                    if (root && List.of("apiVersion", "kind", "metadata").contains(field.getKey())) continue;
                    if (properties.has(field.getKey())) walk(field.getValue(), properties.get(field.getKey()), fieldPath, unknown, invalid, partial);
                    else if (additional.isObject()) walk(field.getValue(), additional, fieldPath, unknown, invalid, partial);
                    else if (!preserve && !additional.asBoolean(false)) unknown.add(fieldPath);
                }
                if (!partial) {
                    for (JsonNode required : schema.path("required")) {
                        if (!value.has(required.asText())) invalid.add((root ? "" : path + ".") + required.asText() + ": Required value");
                    }
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    invalid.add(path + ": Invalid value: \"" + kind(value) + "\": " + path + " in body must be of type array");
                    return;
                }
                for (int i = 0; i < value.size(); i++) walk(value.get(i), schema.path("items"), path + "[" + i + "]", unknown, invalid, partial);
            }
            case "string" -> {
                if (!value.isTextual()) invalid.add(path + ": Invalid value: \"" + kind(value) + "\": " + path + " in body must be of type string");
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) invalid.add(path + ": Invalid value: \"" + kind(value) + "\": " + path + " in body must be of type integer");
            }
            case "number" -> {
                if (!value.isNumber()) invalid.add(path + ": Invalid value: \"" + kind(value) + "\": " + path + " in body must be of type number");
            }
            case "boolean" -> {
                if (!value.isBoolean()) invalid.add(path + ": Invalid value: \"" + kind(value) + "\": " + path + " in body must be of type boolean");
            }
            default -> { }
        }
        if (value.isNumber()) {
            if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
                invalid.add(path + ": Invalid value: " + value + ": " + path + " in body should be greater than or equal to " + schema.get("minimum").asLong());
            }
            if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
                invalid.add(path + ": Invalid value: " + value + ": " + path + " in body should be less than or equal to " + schema.get("maximum").asLong());
            }
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode allowed : schema.get("enum")) listed |= allowed.equals(value);
            if (!listed) invalid.add(path + ": Unsupported value: " + value + ": supported values: " + schema.get("enum"));
        }
    }

    private static String kind(JsonNode value) {
        if (value.isTextual()) return "string";
        if (value.isIntegralNumber()) return "integer";
        if (value.isNumber()) return "number";
        if (value.isBoolean()) return "boolean";
        if (value.isArray()) return "array";
        return "object";
    }
}
