package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Size;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** A Secret in the Trigger's own namespace (credentials never come from another namespace). */
public class SecretRef extends SpecObject {
    @Required
    @Size(max = 253)
    @JsonPropertyDescription("The Secret's name, in the Trigger's namespace.")
    private String name;

    public SecretRef() {}

    public SecretRef(String name) { this.name = name; }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
}
