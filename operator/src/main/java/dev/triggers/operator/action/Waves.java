package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * An Application's workloads in waves (spec.action.maxConcurrent): ordered by the label triggers.dev/wave (whole
 * numbers first, in their order, then other values as text, then workloads without it), then by name and kind, and cut
 * into waves of at most that many.
 */
final class Waves {
    static final String WAVE_LABEL = "triggers.dev/wave";

    private Waves() {}

    /** The wave size for this Trigger, or 0 when it restarts every workload at once. */
    static int size(Trigger trigger, int workloads) {
        String max = trigger.getSpec().getTarget() == null || !trigger.getSpec().getTarget().isApplication() ? null
                : trigger.getSpec().actionOrDefault().getMaxConcurrent();
        if (max == null || workloads == 0) return 0;
        try {
            if (max.endsWith("%")) {
                int percent = Integer.parseInt(max.substring(0, max.length() - 1));
                return Math.max(1, (int) Math.ceil(workloads * Math.min(percent, 100) / 100.0));
            }
            return Math.max(1, Integer.parseInt(max));
        } catch (NumberFormatException e) {
            return 0; // the reconciler says the spec is invalid, and the guard refuses its fires
        }
    }

    /** The workloads in wave order, cut into waves of {@code size}. */
    static List<List<HasMetadata>> cut(List<HasMetadata> workloads, int size) {
        List<HasMetadata> ordered = new ArrayList<>(workloads);
        ordered.sort(Comparator.comparing((HasMetadata w) -> waveKey(w)).thenComparing(w -> w.getMetadata().getName())
                .thenComparing(HasMetadata::getKind));
        List<List<HasMetadata>> waves = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i += size) waves.add(List.copyOf(ordered.subList(i, Math.min(ordered.size(), i + size))));
        return waves;
    }

    /** Sorts numbers by value (zero-padded), then other label values, then no label. */
    private static String waveKey(HasMetadata w) {
        Map<String, String> labels = w.getMetadata().getLabels();
        String wave = labels == null ? null : labels.get(WAVE_LABEL);
        if (wave == null) return "2";
        return wave.matches("[0-9]{1,9}") ? "0" + String.format("%09d", Integer.parseInt(wave)) : "1" + wave;
    }
}
