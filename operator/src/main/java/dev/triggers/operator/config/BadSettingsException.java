package dev.triggers.operator.config;

import java.util.List;

/**
 * Settings the operator does not accept, each as "VARIABLE=value: expected what it accepts". The operator
 * stops at start with them (Main: one line on stderr, exit status 2).
 */
public final class BadSettingsException extends IllegalArgumentException {
    private final List<String> problems;

    public BadSettingsException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /** One entry per bad setting, in the order of {@link Settings#ALL}. */
    public List<String> problems() {
        return problems;
    }
}
