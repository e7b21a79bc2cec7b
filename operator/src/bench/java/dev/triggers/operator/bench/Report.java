package dev.triggers.operator.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The benchmark's figures: printed as a table and written as JSON, the same rows in both. */
public final class Report {
    /** One figure: scenario, name, value, unit, and the goal it is held against (free text). */
    public record Row(String scenario, String figure, double value, String unit, String goal) {}

    private final List<Row> rows = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Object> machine = new LinkedHashMap<>();

    public Report() {
        machine.put("date", Instant.now().toString());
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("java", System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }

    /** One more fact about where the figures come from (the cluster's URL, say). */
    public void machine(String key, Object value) {
        machine.put(key, value);
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    public void add(String scenario, String figure, double value, String unit, String goal) {
        Row row = new Row(scenario, figure, value, unit, goal == null ? "" : goal);
        rows.add(row);
        System.out.printf("  %-10s %-48s %12.2f %-8s %s%n", scenario, figure, value, unit, row.goal());
    }

    public void add(String scenario, String figure, Stats stats, String goal) {
        add(scenario, figure + " p50", stats.p50(), "ms", goal);
        add(scenario, figure + " p95", stats.p95(), "ms", "");
        add(scenario, figure + " p99", stats.p99(), "ms", "");
    }

    public void print() {
        System.out.println();
        System.out.println("| scenario | figure | value | unit | goal |");
        System.out.println("| --- | --- | ---: | --- | --- |");
        for (Row r : rows) {
            System.out.printf("| %s | %s | %.2f | %s | %s |%n", r.scenario(), r.figure(), r.value(), r.unit(), r.goal());
        }
        System.out.println();
        System.out.println("machine: " + machine);
    }

    public void write(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("machine", machine);
        json.put("rows", rows);
        Files.writeString(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
        System.out.println("figures written to " + file.toAbsolutePath());
    }
}
