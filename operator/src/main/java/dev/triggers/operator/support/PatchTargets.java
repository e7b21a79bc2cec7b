package dev.triggers.operator.support;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.lang.reflect.InvocationTargetException;

/**
 * The object a patch is sent through, as fabric8's {@code resource(item).patch(..)} needs it: its type, apiVersion,
 * kind, name and namespace. fabric8 clones the item it is handed (serialised and read back, on every call) and a merge
 * patch reads nothing else of it; a real object, managedFields and all, made that clone a good part of each fire's
 * client CPU (the ingest profile: 12% of the operator's threads other than the webhook I/O). The other way,
 * {@code withName(..).patch(..)}, GETs the object first.
 */
public final class PatchTargets {
    private PatchTargets() {}

    @SuppressWarnings("unchecked")
    public static <T extends HasMetadata> T of(T object) {
        T target;
        try {
            target = (T) object.getClass().getDeclaredConstructor().newInstance();
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException | InvocationTargetException e) {
            return object; // every model class has a public no-argument constructor; if not, the clone is only slower
        }
        // A typed model sets its own apiVersion and kind; a generic one (an Argo Rollout) is given them.
        if (target instanceof GenericKubernetesResource generic) {
            generic.setApiVersion(object.getApiVersion());
            generic.setKind(object.getKind());
        }
        ObjectMeta metadata = new ObjectMeta();
        metadata.setName(object.getMetadata().getName());
        metadata.setNamespace(object.getMetadata().getNamespace());
        target.setMetadata(metadata);
        return target;
    }
}
