package dev.triggers.operator.action;

import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Asked at the moment of every patch, with the Trigger's newest spec: may it fire, and on this
 * workload? A spec that changed after its events were queued (moved to another namespace, suspended,
 * made invalid) or a grant withdrawn meanwhile refuses the fire, so no queued event outlives the
 * checks the reconciler makes.
 */
public interface FireGuard {
    /** Fires whatever is asked (tests that exercise the executor alone). */
    FireGuard ALLOW_ALL = new FireGuard() {
        @Override
        public String refusal(Trigger trigger) {
            return null;
        }

        @Override
        public String workloadRefusal(Trigger trigger, HasMetadata workload) {
            return null;
        }
    };

    /** Null when the Trigger may fire now; otherwise why not, for a person. */
    String refusal(Trigger trigger);

    /** Null when the Trigger may act on this workload; otherwise why not. */
    String workloadRefusal(Trigger trigger, HasMetadata workload);
}
