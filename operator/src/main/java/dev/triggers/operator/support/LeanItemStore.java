package dev.triggers.operator.support;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.HashMap;
import java.util.Map;

/**
 * An informer's store that keeps no {@code metadata.managedFields} and no
 * {@code kubectl.kubernetes.io/last-applied-configuration} annotation: the operator reads neither, and on a
 * real API server they are most of a small object's size (managedFields parse into maps of maps). Every
 * Trigger is cached, so they were most of the operator's heap.
 *
 * <p>The object is slimmed in place before it is stored: the informer hands the same object to its event
 * handlers, so they and the cache see the same (the update filter compares old and new annotations) and no
 * copy is made. It is fresh from the watch or list, held by nothing else yet. Writes stay safe: the
 * operator writes Triggers only by merge patches of its own fields, JOSDK's status patch is a diff of two
 * copies of the same slimmed object, and a server keeps managedFields that a write leaves out.
 *
 * <p>One store per informer: an informer's relist drops from its store what it did not list, so a store
 * shared by two informers (JOSDK gives one to each watched namespace) would lose the other's objects.
 */
public final class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {
    public static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

    public LeanItemStore() {
        super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public T put(String key, T object) {
        return super.put(key, slim(object));
    }

    /** Drops managedFields and the last-applied annotation from the object itself; returns it. */
    public static <T extends HasMetadata> T slim(T object) {
        ObjectMeta meta = object.getMetadata();
        if (meta == null) return object;
        meta.setManagedFields(null);
        Map<String, String> annotations = meta.getAnnotations();
        if (annotations != null && annotations.containsKey(LAST_APPLIED)) {
            Map<String, String> rest = new HashMap<>(annotations);
            rest.remove(LAST_APPLIED);
            meta.setAnnotations(rest);
        }
        return object;
    }
}
