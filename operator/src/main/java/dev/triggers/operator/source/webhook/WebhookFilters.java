package dev.triggers.operator.source.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Webhook filters ({@code spec.source.webhook.filter}): CEL expressions over {@code body} (the parsed JSON body)
 * and {@code headers} (lower-case names, first value). Each expression is compiled once and its program kept (by
 * its text, so a spec generation with the same filter reuses it); a call matches only when it evaluates to true.
 */
final class WebhookFilters {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Cel CEL = CelFactory.standardCelBuilder()
            .addVar("body", SimpleType.DYN)
            .addVar("headers", MapType.create(SimpleType.STRING, SimpleType.STRING))
            .build();

    /** A compiled filter, or the compiler's message. */
    record Compiled(CelRuntime.Program program, String error) {}

    /** What a call's evaluation gave: matched, or not (with why, for the log, never quoting the body). */
    record Outcome(boolean matched, String why) {}

    private final Cache<String, Compiled> programs = Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).build();

    /** The compiler's message for a bad expression, or null. */
    String problem(String expression) {
        return compiled(expression).error();
    }

    Compiled compiled(String expression) {
        return programs.get(expression, WebhookFilters::compile);
    }

    private static Compiled compile(String expression) {
        try {
            var ast = CEL.compile(expression).getAst();
            return new Compiled(CEL.createProgram(ast), null);
        } catch (CelValidationException e) {
            return new Compiled(null, e.getMessage());
        } catch (CelEvaluationException | RuntimeException e) {
            return new Compiled(null, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** Evaluates the filter; a body that is not JSON, a missing field, or a result that is not true: not matched. */
    Outcome evaluate(String expression, byte[] body, Map<String, String> headers) {
        Compiled c = compiled(expression);
        if (c.program() == null) return new Outcome(false, "the filter does not compile");
        Object parsed;
        try {
            parsed = body.length == 0 ? Map.of() : value(JSON.readTree(body));
        } catch (IOException e) {
            return new Outcome(false, "the body is not JSON");
        }
        try {
            Object result = c.program().eval(Map.of("body", parsed, "headers", headers));
            return Boolean.TRUE.equals(result) ? new Outcome(true, null) : new Outcome(false, "the filter gave " + result);
        } catch (CelEvaluationException | RuntimeException e) {
            // e.g. no such key: the call is not what the filter looks for. The class only: a message may quote the body.
            return new Outcome(false, "evaluation failed: " + e.getClass().getSimpleName());
        }
    }

    /** JSON as CEL's Java values: maps, lists, strings, booleans, int64 / double, null. */
    private static Object value(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return com.google.protobuf.NullValue.NULL_VALUE;
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), value(e.getValue()));
            }
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>(n.size());
            for (JsonNode e : n) l.add(value(e));
            return l;
        }
        if (n.isBoolean()) return n.booleanValue();
        if (n.isIntegralNumber() && n.canConvertToLong()) return n.longValue();
        if (n.isNumber()) return n.doubleValue();
        return n.asText();
    }
}
