package dev.triggers.operator.source.webhook;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggers.operator.testing.MockCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Closing the webhook source twice (an operator closed, then its cluster) returns, and the port is released. */
class WebhookServerCloseTest {
    @Test
    @Timeout(120) // the bug was a hang: this turns it into a failure
    void closingTwiceReturnsAndThePortIsClosed() {
        try (MockCluster cluster = MockCluster.start()) {
            WebhookSourceFactory factory = WebhookSourceFactory.open(cluster.client(), MockCluster.testConfig(),
                    WebhookFixture.settings(), Clock.systemUTC(), new SimpleMeterRegistry());
            int port = factory.port();
            factory.close();
            factory.close();
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close()).isInstanceOf(IOException.class);
        }
    }
}
