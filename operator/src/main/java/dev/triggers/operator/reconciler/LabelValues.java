package dev.triggers.operator.reconciler;

import java.util.regex.Pattern;

/** Kubernetes label values: at most 63 characters, alphanumerics and -_. inside. */
final class LabelValues {
    private static final Pattern VALID = Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");

    private LabelValues() {}

    static boolean isValid(String value) {
        return value != null && value.length() <= 63 && VALID.matcher(value).matches();
    }

    /** The value itself when valid, else null (the label is then left off rather than guessed). */
    static String sanitize(String value) {
        return isValid(value) && !value.isEmpty() ? value : null;
    }
}
