package dev.triggers.operator.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of the operator's Prometheus endpoint: the figures it reports about itself, on any cluster. */
final class OperatorMetrics {
    static final String API_REQUESTS = "trigger_operator_api_requests_total";
    static final String THREADS_STARTED = "jvm_threads_started_threads_total";
    static final String THREADS_LIVE = "jvm_threads_live_threads";
    static final String SOURCES_RUNNING = "trigger_sources_running";
    /** JOSDK's count of reconciles started (all controllers). */
    static final String RECONCILES = "operator_sdk_reconciliations_started_total";
    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;

    OperatorMetrics(List<Sample> samples) {
        this.samples = samples;
    }

    static OperatorMetrics scrape(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("/metrics answered " + r.statusCode());
        return parse(r.body());
    }

    static OperatorMetrics parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            Matcher m = LINE.matcher(line.trim());
            if (!m.matches()) continue;
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) labels.put(l.group(1), l.group(2));
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        return new OperatorMetrics(samples);
    }

    /** The sum over every series of the name; NaN when there is none. */
    double sum(String name) {
        double sum = 0;
        boolean any = false;
        for (Sample s : samples) {
            if (s.name().equals(name)) {
                sum += s.value();
                any = true;
            }
        }
        return any ? sum : Double.NaN;
    }

    /** The value of a series without labels (or the sum, if it has several). */
    double value(String name) {
        return sum(name);
    }

    List<Sample> series(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The operator's API requests by "verb resource", most first: "patch triggers/status 5012, ...". */
    String topRequests(int n) {
        StringBuilder sb = new StringBuilder();
        series(API_REQUESTS).stream().sorted((a, b) -> Double.compare(b.value(), a.value())).limit(n)
                .forEach(s -> sb.append(sb.length() == 0 ? "" : ", ").append(s.labels().get("verb")).append(' ')
                        .append(s.labels().get("resource")).append(' ').append(Math.round(s.value())));
        return sb.length() == 0 ? "none counted" : sb.toString();
    }

    /** Requests of the series minus those of an earlier scrape, by "verb resource". */
    Map<String, Double> requestsSince(OperatorMetrics before) {
        Map<String, Double> now = new LinkedHashMap<>();
        for (Sample s : series(API_REQUESTS)) now.merge(s.labels().get("verb") + " " + s.labels().get("resource"), s.value(), Double::sum);
        if (before != null) {
            for (Sample s : before.series(API_REQUESTS)) now.merge(s.labels().get("verb") + " " + s.labels().get("resource"), -s.value(), Double::sum);
        }
        return now;
    }
}
