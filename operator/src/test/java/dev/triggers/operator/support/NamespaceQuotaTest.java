package dev.triggers.operator.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NamespaceQuotaTest {
    @Test
    void aNamespaceCannotTakeMoreThanItsShareNorAllOfThemMoreThanTheTotal() {
        NamespaceQuota quota = new NamespaceQuota(3, 5);
        assertThat(quota.tryTake("team-a", 3)).isTrue();
        assertThat(quota.tryTake("team-a", 1)).as("over team-a's share").isFalse();
        assertThat(quota.fitsNamespace("team-a", 1)).isFalse();
        assertThat(quota.tryTake("team-b", 3)).as("over the total").isFalse();
        assertThat(quota.fitsNamespace("team-b", 3)).isTrue();
        assertThat(quota.tryTake("team-b", 2)).isTrue();
        assertThat(quota.inAll()).isEqualTo(5);

        quota.release("team-a", 3);
        assertThat(quota.inAll()).isEqualTo(2);
        assertThat(quota.tryTake("team-b", 1)).isTrue();
        assertThat(quota.tryTake("team-a", 2)).isTrue();
        assertThat(quota.inAll()).isEqualTo(5);
    }
}
