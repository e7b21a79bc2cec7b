package dev.triggers.operator.tenancy;

import dev.triggers.operator.api.v1alpha1.TriggerGrant;
import dev.triggers.operator.support.LeanItemStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The TriggerGrants of the cluster (or of the watched namespaces), as one informer sees them, so a
 * fire checks its grant without a request. A change is passed on with the grant's namespace, so the
 * Triggers targeting it are reconciled and a withdrawn grant shows on their status at once.
 */
public final class Grants implements AutoCloseable {
    private final List<SharedIndexInformer<TriggerGrant>> informers = new ArrayList<>();

    public Grants(KubernetesClient client, Set<String> namespaces, Consumer<String> changedIn) {
        ResourceEventHandler<TriggerGrant> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(TriggerGrant grant) {
                changedIn.accept(grant.getMetadata().getNamespace());
            }

            @Override
            public void onUpdate(TriggerGrant before, TriggerGrant after) {
                changedIn.accept(after.getMetadata().getNamespace());
            }

            @Override
            public void onDelete(TriggerGrant grant, boolean unknownFinalState) {
                changedIn.accept(grant.getMetadata().getNamespace());
            }
        };
        if (namespaces.isEmpty()) {
            informers.add(inform(client.resources(TriggerGrant.class).inAnyNamespace(), handler));
        } else {
            for (String ns : namespaces) informers.add(inform(client.resources(TriggerGrant.class).inNamespace(ns), handler));
        }
    }

    /** As {@code inform(handler, 0)} (started, initial list done), caching the grants without managedFields. */
    private static SharedIndexInformer<TriggerGrant> inform(Informable<TriggerGrant> grants, ResourceEventHandler<TriggerGrant> handler) {
        SharedIndexInformer<TriggerGrant> informer = grants.runnableInformer(0);
        informer.itemStore(new LeanItemStore<>());
        informer.addEventHandler(handler);
        return informer.run();
    }

    /** The grants in a namespace, as last seen. */
    public List<TriggerGrant> in(String namespace) {
        List<TriggerGrant> found = new ArrayList<>();
        for (SharedIndexInformer<TriggerGrant> informer : informers) found.addAll(informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace));
        return found;
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
    }
}
