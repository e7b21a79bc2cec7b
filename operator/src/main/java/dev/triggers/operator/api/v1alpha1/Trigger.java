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
 * A Trigger names one event source, one target and one action: when the source fires, the operator
 * patches the target and reports what happened on the status.
 */
@Group(Trigger.GROUP)
@Version(Trigger.VERSION)
@Kind("Trigger")
@Plural("triggers")
@Singular("trigger")
@ShortNames("trg")
@AdditionalPrinterColumn(name = "Source", jsonPath = ".spec.source.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Action", jsonPath = ".spec.action.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Target", jsonPath = ".spec.target.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Rollout", jsonPath = ".status.lastRollout.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Last Fired", jsonPath = ".status.lastFiredAt", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Trigger extends CustomResource<TriggerSpec, TriggerStatus> implements Namespaced {
    public static final String GROUP = "triggers.dev";
    public static final String VERSION = "v1alpha1";

    /** Kept by the operator so that `kubectl get trg -l triggers.dev/source-type=SQS` works. */
    public static final String LABEL_SOURCE_TYPE = GROUP + "/source-type";
    /** Kept by the operator: the target's name (or `application.<name>`), for label selectors. */
    public static final String LABEL_TARGET = GROUP + "/target";
    /** Setting this annotation to a new value fires the Trigger once (like Flux's requestedAt). */
    public static final String ANNOTATION_FIRE_REQUEST = GROUP + "/fire-request";
    /** As fire-request, but fires at once: outside the maintenance windows and the cooldown (an override, recorded so). */
    public static final String ANNOTATION_FIRE_NOW = GROUP + "/fire-now";
}
