package dev.triggers.operator.support;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Units of something held at once (rollouts followed, notifications under way), bounded per namespace (a tenant) and in
 * all, so one namespace cannot take what the others share. A namespace's count goes when it falls to zero: namespaces
 * seen once cost nothing later.
 */
public final class NamespaceQuota {
    private final int perNamespace;
    private final int total;
    private final Map<String, AtomicInteger> held = new ConcurrentHashMap<>();
    private final AtomicInteger inAll = new AtomicInteger();

    public NamespaceQuota(int perNamespace, int total) {
        this.perNamespace = perNamespace;
        this.total = total;
    }

    /** Takes {@code n} units for the namespace if both limits allow them; false (nothing taken) otherwise. */
    public boolean tryTake(String namespace, int n) {
        AtomicInteger inNamespace = held.computeIfAbsent(namespace, k -> new AtomicInteger());
        if (inNamespace.addAndGet(n) > perNamespace) {
            giveBack(namespace, n);
            return false;
        }
        if (inAll.addAndGet(n) > total) {
            inAll.addAndGet(-n);
            giveBack(namespace, n);
            return false;
        }
        return true;
    }

    /** Gives back {@code n} units taken for the namespace. */
    public void release(String namespace, int n) {
        inAll.addAndGet(-n);
        giveBack(namespace, n);
    }

    /** Whether {@code n} more units would pass the namespace's own limit (what a refusal names). */
    public boolean fitsNamespace(String namespace, int n) {
        AtomicInteger inNamespace = held.get(namespace);
        return (inNamespace == null ? 0 : inNamespace.get()) + n <= perNamespace;
    }

    /** Units held now, in all. */
    public int inAll() {
        return inAll.get();
    }

    private void giveBack(String namespace, int n) {
        held.computeIfPresent(namespace, (k, c) -> c.addAndGet(-n) <= 0 ? null : c);
    }
}
