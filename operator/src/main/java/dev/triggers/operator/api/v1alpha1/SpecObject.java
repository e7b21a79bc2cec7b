package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Set;
import java.util.TreeSet;

/**
 * Base of the spec's objects: a field the model does not know is kept aside instead of failing the
 * whole Trigger's deserialization (which would make it invisible to the operator), so the reconciler
 * can name it on the status. A real API server prunes unknown fields; test servers and old CRDs may not.
 */
public abstract class SpecObject {
    @JsonIgnore
    private final Set<String> unknownFields = new TreeSet<>();

    @JsonAnySetter
    void unknownField(String name, Object value) {
        unknownFields.add(name);
    }

    /** Names of the fields found in the manifest that this object does not have. */
    public Set<String> unknownFieldNames() {
        return unknownFields;
    }
}
