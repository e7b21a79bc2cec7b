package dev.triggers.operator.ops;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's side of leader election: whether it leads (the trigger_operator_leader gauge), what
 * happens when it loses the Lease, and giving the Lease back on shutdown.
 *
 * <p>Two things JOSDK 5.2.3 does not do for us. It builds fabric8's elector with releaseOnCancel=false,
 * so stopping the operator never gives the Lease back: a standby would wait out the whole lease duration.
 * And its exit-on-stop-leading calls System.exit from the thread that cancels the election, which during
 * a SIGTERM is our shutdown hook: System.exit inside a shutdown hook blocks for ever. So JOSDK is told
 * never to exit, and the exit (on a real loss, not on our own shutdown) happens here, on its own thread.
 */
public final class Leadership {
    private static final Logger log = LoggerFactory.getLogger(Leadership.class);
    // The format of a Lease's MicroTime fields.
    private static final DateTimeFormatter MICRO_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX");

    private final KubernetesClient client;
    private final String leaseNamespace;
    private final String leaseName;
    private final String identity;
    private final boolean exitOnLoss;
    private final Clock clock;
    private final AtomicBoolean leading = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();

    /**
     * @param leaseNamespace the Lease's namespace; null: the client's namespace (as JOSDK does)
     * @param exitOnLoss exit the process when leadership is lost other than by {@link #release()}
     */
    public Leadership(KubernetesClient client, String leaseNamespace, String leaseName, String identity, boolean exitOnLoss,
                      Clock clock, MeterRegistry metrics) {
        this.client = client;
        this.leaseNamespace = leaseNamespace != null ? leaseNamespace : client.getConfiguration().getNamespace();
        this.leaseName = leaseName;
        this.identity = identity;
        this.exitOnLoss = exitOnLoss;
        this.clock = clock;
        Gauge.builder("trigger_operator_leader", leading, l -> l.get() ? 1 : 0)
                .description("1 while this replica holds the leader Lease (only the leader fires)")
                .register(metrics);
    }

    /** For JOSDK's leader election configuration. */
    public LeaderCallbacks callbacks() {
        return new LeaderCallbacks(this::started, this::stopped,
                leader -> log.info("leader is now {} (this replica: {})", leader == null ? "nobody (Lease released)" : leader, identity));
    }

    public boolean isLeader() {
        return leading.get();
    }

    public String identity() {
        return identity;
    }

    private void started() {
        leading.set(true);
        log.info("{} leads: Triggers are reconciled and fired here", identity);
    }

    private void stopped() {
        boolean wasLeading = leading.getAndSet(false);
        if (closing.get()) return;
        if (!wasLeading) return;
        if (exitOnLoss) {
            log.error("{} lost the leader Lease: exiting so that it never fires alongside the new leader", identity);
            Thread exit = new Thread(() -> System.exit(1), "lost-leadership-exit");
            exit.start();
        } else {
            log.warn("{} lost the leader Lease (configured not to exit)", identity);
        }
    }

    /** From now on, losing the Lease is our own doing: no exit. Call before stopping the operator. */
    public void closing() {
        closing.set(true);
    }

    /**
     * Gives the Lease back if this replica still holds it, as fabric8's own release does (no holder, a
     * one-second duration), so a standby takes over at its next retry instead of after the lease
     * duration. Call only once nothing fires here any more.
     */
    public void release() {
        closing();
        leading.set(false);
        try {
            Lease lease = client.leases().inNamespace(leaseNamespace).withName(leaseName).get();
            if (lease == null || lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) return;
            String now = MICRO_TIME.format(clock.instant().atOffset(ZoneOffset.UTC));
            // resourceVersion makes this a conditional write: if another replica took the Lease meanwhile, 409.
            String patch = "{\"metadata\":{\"resourceVersion\":\"" + lease.getMetadata().getResourceVersion() + "\"},"
                    + "\"spec\":{\"holderIdentity\":null,\"leaseDurationSeconds\":1,\"renewTime\":\"" + now + "\"}}";
            client.leases().resource(lease).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            log.info("{} released the leader Lease {}/{}", identity, leaseNamespace, leaseName);
        } catch (KubernetesClientException e) {
            // Not fatal: the standby takes over when the Lease expires.
            log.warn("could not release the leader Lease {}/{} ({}): the standby takes over when it expires",
                    leaseNamespace, leaseName, e.getCode() == 0 ? e.getMessage() : "HTTP " + e.getCode());
        }
    }
}
