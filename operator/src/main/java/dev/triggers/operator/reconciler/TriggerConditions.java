package dev.triggers.operator.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** Standard metav1 Conditions: Ready, SourceReady, TargetReady. */
final class TriggerConditions {
    static final String READY = "Ready";
    static final String SOURCE_READY = "SourceReady";
    static final String TARGET_READY = "TargetReady";

    private TriggerConditions() {}

    /** A condition that keeps its lastTransitionTime while its status does not change. */
    static Condition condition(List<Condition> previous, String type, boolean status, String reason, String message,
                               long generation, Instant now) {
        String value = status ? "True" : "False";
        String transition = previous == null ? null : previous.stream()
                .filter(c -> type.equals(c.getType()) && value.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime).filter(Objects::nonNull).findFirst().orElse(null);
        return new ConditionBuilder()
                .withType(type)
                .withStatus(value)
                .withReason(reason)
                .withMessage(message == null ? "" : message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition != null ? transition : now.toString())
                .build();
    }
}
