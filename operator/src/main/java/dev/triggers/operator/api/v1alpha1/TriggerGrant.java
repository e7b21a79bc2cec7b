package dev.triggers.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Created in a target namespace by its owners: lets Triggers of other namespaces act on workloads
 * here (in the spirit of Gateway API's ReferenceGrant). Without one, a Trigger acts only in its own
 * namespace. Checked at every fire: deleting or narrowing a grant refuses later fires at once.
 */
@Group(Trigger.GROUP)
@Version(Trigger.VERSION)
@Kind("TriggerGrant")
@Plural("triggergrants")
@Singular("triggergrant")
@ShortNames("trggrant")
@AdditionalPrinterColumn(name = "From", jsonPath = ".spec.from[*].namespace", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Actions", jsonPath = ".spec.actions", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class TriggerGrant extends CustomResource<TriggerGrantSpec, Void> implements Namespaced {
}
