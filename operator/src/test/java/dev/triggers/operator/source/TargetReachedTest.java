package dev.triggers.operator.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.action.FireResult;
import dev.triggers.operator.action.WorkloadRef;
import dev.triggers.operator.action.WorkloadResult;
import dev.triggers.operator.source.cron.MutableClock;
import dev.triggers.operator.testing.MockCluster;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A successful fire vouches for its Trigger generation's target (the reconciler then skips reading it again so soon),
 * and only that: not a failed fire, not another generation, not a Trigger deleted since.
 */
class TargetReachedTest {
    static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    final MutableClock clock = new MutableClock(T0);
    final SourceRegistry sources = new SourceRegistry(null, clock, MockCluster.testConfig(), List.of());
    final ResourceID id = new ResourceID("web", "shop");

    static FireResult patched() {
        return FireResult.of(List.of(new WorkloadResult(new WorkloadRef("Deployment", "shop", "web"), WorkloadResult.Outcome.PATCHED, "restarted")));
    }

    @Test
    void aSuccessfulFireVouchesForItsGenerationOnly() {
        assertThat(sources.targetReachedAt(id, 2)).isEmpty();
        sources.onFired(id, patched().onGeneration(2));
        assertThat(sources.targetReachedAt(id, 2)).contains(T0);
        assertThat(sources.targetReachedAt(id, 3)).as("a newer spec may name another target").isEmpty();
    }

    @Test
    void aFailedFireOrAnUnknownGenerationVouchesForNothing() {
        sources.onFired(id, FireResult.failed("Deployment shop/web not found").onGeneration(2));
        sources.onFired(id, patched());
        assertThat(sources.targetReachedAt(id, 2)).isEmpty();
        assertThat(sources.targetReachedAt(id, 0)).isEmpty();
    }

    @Test
    void aDeletedTriggerIsForgotten() {
        sources.onFired(id, patched().onGeneration(1));
        sources.forget(id);
        assertThat(sources.targetReachedAt(id, 1)).isEmpty();
    }
}
