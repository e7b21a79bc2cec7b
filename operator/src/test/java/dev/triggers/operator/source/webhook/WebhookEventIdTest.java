package dev.triggers.operator.source.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggers.operator.api.v1alpha1.Trigger;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class WebhookEventIdTest {
    @Test
    void eventIdsAreRandomVersionFourUuidsAndDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = WebhookServer.newEventId();
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.toString()).isEqualTo(id);
            assertThat(seen.add(id)).isTrue();
        }
    }

    @Test
    void aKeyedCallsIdIsTheSameForTheSameTriggerAndKeyAndOtherwiseDiffers() {
        Trigger trigger = dev.triggers.operator.testing.Triggers.redeploy("shop", "deploy-web", "web");
        trigger.getMetadata().setUid("uid-1");
        Trigger recreated = dev.triggers.operator.testing.Triggers.redeploy("shop", "deploy-web", "web");
        recreated.getMetadata().setUid("uid-2");

        String id = WebhookServer.keyedEventId(trigger, "pipeline-4711");
        UUID uuid = UUID.fromString(id);
        assertThat(uuid.version()).isEqualTo(8);
        assertThat(uuid.variant()).isEqualTo(2);
        assertThat(WebhookServer.keyedEventId(trigger, "pipeline-4711")).isEqualTo(id);
        assertThat(WebhookServer.keyedEventId(trigger, "pipeline-4712")).isNotEqualTo(id);
        assertThat(WebhookServer.keyedEventId(recreated, "pipeline-4711")).isNotEqualTo(id);
    }
}
