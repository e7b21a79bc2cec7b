package dev.triggers.operator.testing;

import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.ScaleUpSpec;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.TargetRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerSpec;
import dev.triggers.operator.api.v1alpha1.WebhookSource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Trigger objects for tests, built the way a user's manifest would read. */
public final class Triggers {
    private Triggers() {}

    /** A Redeploy of a Deployment, fired by a webhook (or by hand). */
    public static Trigger redeploy(String ns, String name, String deployment) {
        Trigger t = new Trigger();
        t.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        TriggerSpec spec = new TriggerSpec();
        spec.setTarget(new TargetRef(TargetRef.DEPLOYMENT, deployment));
        spec.setAction(new ActionSpec(ActionSpec.REDEPLOY, null));
        SourceSpec source = new SourceSpec(SourceSpec.WEBHOOK);
        source.setWebhook(new WebhookSource());
        spec.setSource(source);
        t.setSpec(spec);
        return t;
    }

    public static Trigger scaleUp(String ns, String name, String deployment, int step, int max) {
        Trigger t = redeploy(ns, name, deployment);
        t.getSpec().setAction(new ActionSpec(ActionSpec.SCALE_UP, new ScaleUpSpec(step, max)));
        return t;
    }

    public static Trigger application(String ns, String name, String app) {
        Trigger t = redeploy(ns, name, app);
        t.getSpec().setTarget(new TargetRef(TargetRef.APPLICATION, app));
        return t;
    }
}
