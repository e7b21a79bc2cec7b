package dev.triggers.operator.support;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** Turns API errors into messages a person can act on. */
public final class KubernetesErrors {
    private KubernetesErrors() {}

    public static String describe(Exception e, String verb, Object what) {
        if (e instanceof KubernetesClientException k) {
            return switch (k.getCode()) {
                case 403 -> "forbidden to " + verb + " " + what
                        + ": the operator's ServiceAccount lacks that permission (check its RBAC, or the Helm chart's namespaces)";
                case 404 -> what + " not found";
                case 409 -> what + " changed while it was being patched (conflict); it will be retried";
                case 422 -> verb + " " + what + " was rejected as invalid: " + statusMessage(k);
                default -> k.getCode() > 0
                        ? verb + " " + what + " failed: HTTP " + k.getCode() + " " + statusMessage(k)
                        : verb + " " + what + " failed: Kubernetes API unreachable (" + rootMessage(e) + ")";
            };
        }
        return verb + " " + what + " failed: " + rootMessage(e);
    }

    /** Errors that pass by themselves: no answer, conflicts, throttling, server errors. */
    public static boolean isTransient(Exception e) {
        if (e instanceof KubernetesClientException k) {
            int code = k.getCode();
            return code <= 0 || code == 409 || code == 429 || code >= 500;
        }
        return e instanceof java.io.IOException || e.getCause() instanceof java.io.IOException;
    }

    private static String statusMessage(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : rootMessage(e);
    }

    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
