package dev.triggers.operator.source;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;

/**
 * The opt-in rule for credentials Secrets: the operator reads a Secret named by a Trigger's
 * credentialsSecretRef only if it carries {@value #LABEL}: "true". Without it, creating a Trigger
 * would let a tenant send any Secret of the namespace to a server of their choice.
 */
public final class CredentialsSecrets {
    public static final String LABEL = "triggers.dev/credentials";

    private CredentialsSecrets() {}

    public static boolean optedIn(Secret secret) {
        Map<String, String> labels = secret.getMetadata() == null ? null : secret.getMetadata().getLabels();
        return labels != null && "true".equals(labels.get(LABEL));
    }

    /** The message for a Secret that did not opt in: names the label and the command that adds it. */
    public static String notOptedInMessage(String field, String namespace, String secretName) {
        return "Secret '" + secretName + "' (" + field + ") does not carry the label " + LABEL + "=true, so the operator will not read it:"
                + " if it holds credentials meant for Triggers, run kubectl label secret -n " + namespace + " " + secretName + " " + LABEL + "=true";
    }
}
