package dev.triggers.operator.reconciler;

import dev.triggers.operator.action.FireGuard;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactory;
import dev.triggers.operator.tenancy.Grants;
import dev.triggers.operator.tenancy.TargetAccess;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The checks a Trigger must pass, made by the reconciler and again by the executor at the moment of
 * every patch, with the newest spec: it exists and is not being deleted, its spec is valid, it is not
 * suspended, and its target namespace is its own or granted. Spec validation is remembered per
 * generation, so a fire does not repeat it (a source's checks may resolve names).
 */
public final class FirePermissions implements FireGuard {
    private final OperatorConfig config;
    private final Function<String, Optional<SourceFactory>> factories;
    private final Grants grants;
    private final Clock clock;
    private final Map<ResourceID, Validated> validated = new ConcurrentHashMap<>();

    public FirePermissions(OperatorConfig config, Function<String, Optional<SourceFactory>> factories, Grants grants, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.factories = factories;
        this.grants = grants;
    }

    /** What is wrong with the spec (empty when valid), the immutable source type included. */
    public List<String> problems(Trigger trigger) {
        ResourceID id = ResourceID.fromResource(trigger);
        String uid = trigger.getMetadata().getUid();
        long generation = Optional.ofNullable(trigger.getMetadata().getGeneration()).orElse(0L);
        Validated last = validated.get(id);
        List<String> problems;
        if (last != null && Objects.equals(last.uid, uid) && last.generation == generation) {
            problems = last.problems;
        } else {
            problems = List.copyOf(SpecValidator.validate(trigger, config, factories));
            validated.put(id, new Validated(uid, generation, problems));
        }
        String immutable = sourceTypeChange(trigger);
        if (immutable == null) return problems;
        List<String> all = new ArrayList<>(problems.size() + 1);
        all.add(immutable);
        all.addAll(problems);
        return all;
    }

    /** Null when the Trigger may act in its target namespace; otherwise why not, with the grant to create. */
    public String namespaceRefusal(Trigger trigger) {
        if (!TargetAccess.crossNamespace(trigger)) return null;
        return TargetAccess.refusal(trigger, config.allowCrossNamespaceTargets(), grants.in(TargetAccess.targetNamespace(trigger)));
    }

    @Override
    public String refusal(Trigger trigger) {
        if (trigger.getMetadata().getDeletionTimestamp() != null) return "the Trigger is being deleted";
        List<String> problems = problems(trigger);
        if (!problems.isEmpty()) return "the Trigger's spec is invalid: " + String.join("; ", problems);
        String suspended = trigger.getSpec().suspensionReason(clock.instant());
        if (suspended != null) return suspended;
        return namespaceRefusal(trigger);
    }

    @Override
    public String workloadRefusal(Trigger trigger, HasMetadata workload) {
        if (!TargetAccess.crossNamespace(trigger)) return null;
        return TargetAccess.workloadRefusal(trigger, grants.in(TargetAccess.targetNamespace(trigger)), workload);
    }

    public void forget(ResourceID id) {
        validated.remove(id);
    }

    /** source.type is immutable (a CEL rule on real API servers); the label remembers the first type. */
    static String sourceTypeChange(Trigger trigger) {
        Map<String, String> labels = trigger.getMetadata().getLabels();
        String recorded = labels == null ? null : labels.get(Trigger.LABEL_SOURCE_TYPE);
        String type = trigger.getSpec() == null || trigger.getSpec().getSource() == null ? null : trigger.getSpec().getSource().getType();
        if (recorded == null || type == null || recorded.equals(type)) return null;
        return "spec.source.type is immutable: it was " + recorded + " and is now " + type
                + "; change it back, or create a new Trigger for the new source";
    }

    private record Validated(String uid, long generation, List<String> problems) {}
}
