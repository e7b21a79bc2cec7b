package dev.triggers.operator.tenancy;

import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerGrant;
import dev.triggers.operator.api.v1alpha1.TriggerGrantSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The namespace rule: a Trigger acts in its own namespace, or in one whose owners granted it with a
 * {@link TriggerGrant}, and only while the operator honours grants at all. A pure function of the
 * Trigger, the grants in the target namespace and the operator-wide switch.
 */
public final class TargetAccess {
    private TargetAccess() {}

    /** The namespace the target lives in: its own, or the Trigger's. */
    public static String targetNamespace(Trigger trigger) {
        String ns = trigger.getSpec().getTarget().getNamespace();
        return ns == null || ns.isBlank() ? trigger.getMetadata().getNamespace() : ns;
    }

    public static boolean crossNamespace(Trigger trigger) {
        return !Objects.equals(targetNamespace(trigger), trigger.getMetadata().getNamespace());
    }

    /**
     * Null when the Trigger may act in its target namespace with its action; otherwise the refusal,
     * which shows the grant to create.
     */
    public static String refusal(Trigger trigger, boolean grantsHonoured, List<TriggerGrant> grantsInTarget) {
        if (!crossNamespace(trigger)) return null;
        String own = trigger.getMetadata().getNamespace();
        String target = targetNamespace(trigger);
        if (!grantsHonoured) {
            return "spec.target.namespace '" + target + "' is not the Trigger's namespace '" + own
                    + "': this operator is installed with cross-namespace targets off (chart value allowCrossNamespaceTargets), so it acts only in a Trigger's own namespace";
        }
        String action = trigger.getSpec().actionOrDefault().typeOrDefault();
        if (grantsInTarget.stream().anyMatch(g -> grants(g, own, action))) return null;
        return "spec.target.namespace '" + target + "' is not the Trigger's namespace '" + own + "' and no TriggerGrant in '" + target
                + "' lets Triggers of '" + own + "' " + action + " there: its owners can grant it with kubectl apply -f - <<EOF\n"
                + "apiVersion: triggers.dev/v1alpha1\nkind: TriggerGrant\nmetadata: {name: from-" + own + ", namespace: " + target + "}\n"
                + "spec: {from: [{namespace: " + own + "}], actions: [" + action + "]}\nEOF";
    }

    /** Null when the workload may be acted on (own namespace, or a grant names it or its labels); otherwise why not. */
    public static String workloadRefusal(Trigger trigger, List<TriggerGrant> grantsInTarget, HasMetadata workload) {
        if (!crossNamespace(trigger)) return null;
        String own = trigger.getMetadata().getNamespace();
        String action = trigger.getSpec().actionOrDefault().typeOrDefault();
        boolean granted = grantsInTarget.stream().filter(g -> grants(g, own, action)).anyMatch(g -> covers(g.getSpec().getTo(), workload));
        if (granted) return null;
        return workload.getKind() + " " + workload.getMetadata().getNamespace() + "/" + workload.getMetadata().getName()
                + " is not covered by any TriggerGrant for namespace '" + own + "' (spec.to names and selector): not acted on";
    }

    private static boolean grants(TriggerGrant grant, String fromNamespace, String action) {
        TriggerGrantSpec spec = grant.getSpec();
        if (spec == null || spec.getFrom() == null) return false;
        boolean from = spec.getFrom().stream().anyMatch(f -> f != null && fromNamespace.equals(f.getNamespace()));
        boolean act = spec.getActions() == null || spec.getActions().isEmpty() || spec.getActions().contains(action);
        return from && act;
    }

    private static boolean covers(TriggerGrantSpec.To to, HasMetadata workload) {
        if (to == null) return true;
        boolean byName = to.getNames() != null && to.getNames().contains(workload.getMetadata().getName());
        Map<String, String> selector = to.getSelector();
        Map<String, String> labels = workload.getMetadata().getLabels() == null ? Map.of() : workload.getMetadata().getLabels();
        boolean bySelector = selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
        boolean unrestricted = (to.getNames() == null || to.getNames().isEmpty()) && (selector == null || selector.isEmpty());
        return unrestricted || byName || bySelector;
    }
}
