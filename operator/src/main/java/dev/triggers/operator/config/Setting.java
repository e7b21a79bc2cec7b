package dev.triggers.operator.config;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One setting of the operator: the environment variable it is read from, the Helm chart value that sets it
 * (null: none, set it with the chart's extraEnv), its default, what it means, and what it accepts. Every
 * setting is declared once, in {@link Settings}.
 *
 * <p>An unset or blank variable means the default. A value the kind does not accept is refused with a
 * {@link BadSettingsException} naming the variable, the value and what it accepts: nothing is silently
 * read as something else.
 *
 * @param env the environment variable
 * @param chartValue the chart value it is set from, e.g. {@code webhook.port}; null when the chart has none
 * @param defaultText the default as README shows it: a value of the kind, or words for a default computed at start
 * @param defaultValue the default's text, parsed like a value; empty: unset (the kind's empty value)
 * @param description one line: what it means
 * @param kind how its text becomes a value, and what it accepts
 */
public record Setting<T>(String env, String chartValue, String defaultText, Supplier<String> defaultValue,
                         String description, Kind<T> kind) {

    /** A setting whose default is a fixed value ("" for none). */
    public static <T> Setting<T> of(String env, String chartValue, String defaultValue, String description, Kind<T> kind) {
        return new Setting<>(env, chartValue, defaultValue, () -> defaultValue, description, kind);
    }

    /** The value in this environment: its variable's, else the default. */
    public T read(Function<String, String> environment) {
        String given = environment.apply(env);
        boolean unset = given == null || given.isBlank();
        String text = unset ? defaultValue.get() : given.trim();
        if (text.isEmpty()) return kind.empty();
        try {
            return kind.parse().apply(text);
        } catch (IllegalArgumentException e) {
            String why = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
            throw new BadSettingsException(List.of(env + "=" + text + ": expected " + kind.accepts() + why));
        }
    }

    /** Whether the README shows the default as a value (else it is words, such as "the number of CPUs"). */
    public boolean defaultIsValue() {
        return defaultText.equals(defaultValue.get());
    }

    /**
     * How a setting's text becomes a value.
     *
     * @param accepts what it accepts, for a person: "a whole number from 1 to 65535"
     * @param parse text (trimmed, not empty) to value; throws IllegalArgumentException, with a detail or none,
     *     when the text is not accepted
     * @param empty the value of an unset setting without a default
     */
    public record Kind<T>(String accepts, Function<String, T> parse, T empty) {

        /** A whole number from min to max (no upper bound when max is Integer.MAX_VALUE). */
        public static Kind<Integer> wholeNumber(int min, int max) {
            return new Kind<>(range("a whole number", min, max), text -> number(text, min, max), null);
        }

        /** A whole number of seconds from min to max. */
        public static Kind<Duration> seconds(int min, int max) {
            return new Kind<>(range("a whole number of seconds", min, max), text -> Duration.ofSeconds(number(text, min, max)), null);
        }

        private static String range(String what, int min, int max) {
            return max == Integer.MAX_VALUE ? what + ", at least " + min : what + " from " + min + " to " + max;
        }

        private static int number(String text, int min, int max) {
            if (!text.matches("[+-]?[0-9]{1,10}")) throw new IllegalArgumentException();
            long n = Long.parseLong(text);
            if (n < min || n > max) throw new IllegalArgumentException();
            return (int) n;
        }

        /** true or false, in any case; nothing else ("ture", "yes", "1" are refused). */
        public static Kind<Boolean> bool() {
            return new Kind<>("true or false", text -> {
                if (text.equalsIgnoreCase("true")) return true;
                if (text.equalsIgnoreCase("false")) return false;
                throw new IllegalArgumentException();
            }, null);
        }

        /** One of these words, exactly or in any case. */
        public static Kind<String> oneOf(boolean anyCase, String... words) {
            String list = words.length == 2 ? words[0] + " or " + words[1]
                    : "one of " + String.join(", ", Arrays.asList(words).subList(0, words.length - 1)) + " or " + words[words.length - 1];
            return new Kind<>(list + (anyCase ? " (any case)" : ""), text -> Arrays.stream(words)
                    .filter(w -> anyCase ? w.equalsIgnoreCase(text) : w.equals(text)).findFirst()
                    .orElseThrow(IllegalArgumentException::new), null);
        }

        /** An http or https URL with a host. */
        public static Kind<URI> url(String example) {
            return new Kind<>("an http or https URL such as " + example, text -> {
                URI uri;
                try {
                    uri = new URI(text);
                } catch (java.net.URISyntaxException e) {
                    throw new IllegalArgumentException();
                }
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) throw new IllegalArgumentException();
                return uri;
            }, null);
        }

        /** Any text. */
        public static Kind<String> text(String accepts) {
            return new Kind<>(accepts, text -> text, null);
        }

        /** One word matching this pattern. */
        public static Kind<String> word(String accepts, String pattern) {
            return new Kind<>(accepts, text -> {
                if (!text.matches(pattern)) throw new IllegalArgumentException();
                return text;
            }, null);
        }

        /**
         * Items separated by commas (blanks around them and empty items ignored), each turned into a value
         * by {@code item}, which throws IllegalArgumentException for an item it does not accept. Unset is the
         * empty list.
         */
        public static <I> Kind<List<I>> list(String accepts, Function<String, I> item) {
            return new Kind<>(accepts, text -> Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .map(s -> {
                        try {
                            return item.apply(s);
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("not '" + s + "'");
                        }
                    }).toList(), List.of());
        }
    }
}
