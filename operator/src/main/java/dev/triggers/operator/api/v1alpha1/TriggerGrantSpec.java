package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/** Who may act in this namespace (from), on what (to) and how (actions). */
public class TriggerGrantSpec {
    @Required
    @Size(min = 1, max = 64)
    @JsonPropertyDescription("The namespaces whose Triggers may act on workloads of this namespace.")
    private List<From> from;

    @JsonPropertyDescription("Which workloads of this namespace they may act on. Omitted: every Deployment, StatefulSet and DaemonSet.")
    private To to;

    @Size(max = 2)
    @ValidationRule(value = "self.all(a, a in ['Redeploy', 'ScaleUp'])", message = "actions may only list Redeploy and ScaleUp")
    @JsonPropertyDescription("The actions granted: Redeploy, ScaleUp. Omitted: both.")
    private List<@Size(max = 16) String> actions;

    public List<From> getFrom() { return from; }
    public void setFrom(List<From> from) { this.from = from; }
    public To getTo() { return to; }
    public void setTo(To to) { this.to = to; }
    public List<String> getActions() { return actions; }
    public void setActions(List<String> actions) { this.actions = actions; }

    /** A namespace whose Triggers are granted. */
    public static class From {
        @Required
        @Size(max = 63)
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
        @JsonPropertyDescription("The Triggers' namespace.")
        private String namespace;

        public From() {}

        public From(String namespace) {
            this.namespace = namespace;
        }

        public String getNamespace() { return namespace; }
        public void setNamespace(String namespace) { this.namespace = namespace; }
    }

    /** The workloads granted: by name, by labels, or both (either matches). */
    public static class To {
        @Size(max = 64)
        @JsonPropertyDescription("Workload names (Deployment, StatefulSet or DaemonSet) that may be acted on.")
        private List<@Size(max = 253) String> names;

        @Size(max = 16)
        @JsonPropertyDescription("Workloads carrying all of these labels may be acted on.")
        private Map<String, @Size(max = 63) String> selector;

        public List<String> getNames() { return names; }
        public void setNames(List<String> names) { this.names = names; }
        public Map<String, String> getSelector() { return selector; }
        public void setSelector(Map<String, String> selector) { this.selector = selector; }
    }
}
