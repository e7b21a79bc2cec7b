package dev.triggers.operator.source.webhook;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Idempotency-Key → first event id, per Trigger, for a TTL (24 h). Bounded: at most {@code maxKeys}
 * in all, the oldest forgotten first, so a caller sending a new key on every call cannot grow memory.
 * A key is reserved before the call is accepted and released if it is not, so two concurrent calls
 * with one key still give one event.
 */
final class IdempotencyKeys {
    static final int MAX_KEY_LENGTH = 255;

    private final Clock clock;
    private final Duration ttl;
    private final int maxKeys;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

    IdempotencyKeys(Clock clock, Duration ttl, int maxKeys) {
        this.clock = clock;
        this.ttl = ttl;
        this.maxKeys = maxKeys;
    }

    /** The event id already given for this key, or empty after reserving the key for {@code eventId}. */
    synchronized Optional<String> reserve(String trigger, String key, String eventId) {
        Instant now = clock.instant();
        expire(now);
        String k = trigger + "\n" + key;
        Entry existing = entries.get(k);
        if (existing != null) return Optional.of(existing.eventId);
        entries.put(k, new Entry(eventId, now.plus(ttl)));
        while (entries.size() > maxKeys) {
            Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
            oldest.next();
            oldest.remove();
        }
        return Optional.empty();
    }

    /** The call was not accepted after all (rate limited, not handed over): the key may be used again. */
    synchronized void release(String trigger, String key, String eventId) {
        Entry e = entries.get(trigger + "\n" + key);
        if (e != null && e.eventId.equals(eventId)) entries.remove(trigger + "\n" + key);
    }

    /** Forgets the keys of the Triggers {@code gone} accepts (their "namespace/name"): a deleted Trigger's. */
    synchronized void forget(java.util.function.Predicate<String> gone) {
        entries.keySet().removeIf(k -> gone.test(k.substring(0, k.indexOf('\n'))));
    }

    synchronized int size() {
        return entries.size();
    }

    private void expire(Instant now) {
        // Insertion order is expiry order (one TTL for all): stop at the first live entry.
        Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext()) {
            if (it.next().expiresAt.isAfter(now)) break;
            it.remove();
        }
    }

    private record Entry(String eventId, Instant expiresAt) {}
}
