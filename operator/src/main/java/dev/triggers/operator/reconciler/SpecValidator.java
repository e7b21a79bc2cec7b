package dev.triggers.operator.reconciler;

import java.util.LinkedHashMap;
import java.util.Map;
import dev.triggers.operator.api.v1alpha1.ActionSpec;
import dev.triggers.operator.api.v1alpha1.RolloutSpec;
import dev.triggers.operator.api.v1alpha1.ScaleUpSpec;
import dev.triggers.operator.api.v1alpha1.SourceSpec;
import dev.triggers.operator.api.v1alpha1.SpecObject;
import dev.triggers.operator.api.v1alpha1.TargetRef;
import dev.triggers.operator.api.v1alpha1.Trigger;
import dev.triggers.operator.api.v1alpha1.TriggerSpec;
import dev.triggers.operator.config.OperatorConfig;
import dev.triggers.operator.source.SourceFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The spec rules, enforced by the operator too: the CRD's CEL rules (which the API server checks on a
 * real cluster, but not every API server does), the namespace rule, and each source's own checks.
 * A pure function of the Trigger and the settings.
 */
public final class SpecValidator {
    private static final List<String> SOURCE_TYPES = List.of(SourceSpec.CRON, SourceSpec.SQS, SourceSpec.NATS, SourceSpec.WEBHOOK);

    /** DNS-1123 subdomain, the rule for most object names (and for the webhook Secret named after the Trigger). */
    private static final java.util.regex.Pattern DNS_SUBDOMAIN =
            java.util.regex.Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    static final int MAX_DESCRIPTION = 4096;
    private static final java.util.regex.Pattern DNS_LABEL = java.util.regex.Pattern.compile("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$");

    private SpecValidator() {}

    /** Fields the model does not know (a typo such as `scedule`): named, with where to look them up. */
    private static void reportUnknownFields(Map<String, ? extends SpecObject> parts, List<String> problems) {
        parts.forEach((path, part) -> {
            if (part == null) return;
            for (String field : part.unknownFieldNames()) {
                problems.add("unknown field " + path + "." + field + ": check its spelling (kubectl explain trigger." + path + ")");
            }
        });
    }

    /** The parts of the spec the core reads; each source type names its own ({@link SourceFactory#specParts}). */
    private static Map<String, SpecObject> coreParts(TriggerSpec spec) {
        Map<String, SpecObject> parts = new LinkedHashMap<>();
        parts.put("spec", spec);
        parts.put("spec.target", spec.getTarget());
        parts.put("spec.action", spec.getAction());
        if (spec.getAction() != null) parts.put("spec.action.scaleUp", spec.getAction().getScaleUp());
        parts.put("spec.source", spec.getSource());
        parts.put("spec.rollout", spec.getRollout());
        parts.put("spec.notify", spec.getNotify());
        if (spec.getNotify() != null) parts.put("spec.notify.urlSecretRef", spec.getNotify().getUrlSecretRef());
        return parts;
    }

    public static List<String> validate(Trigger trigger, OperatorConfig config, Function<String, Optional<SourceFactory>> factories) {
        List<String> problems = new ArrayList<>();
        TriggerSpec spec = trigger.getSpec();
        if (spec == null) {
            problems.add("spec is missing: a Trigger needs spec.target and spec.source");
            return problems;
        }
        String name = trigger.getMetadata().getName();
        if (name == null || !DNS_SUBDOMAIN.matcher(name).matches() || name.length() > 240) {
            problems.add("metadata.name '" + name + "' is not a valid Kubernetes name: use at most 240 lowercase letters, digits, '-' and '.'");
        }
        reportUnknownFields(coreParts(spec), problems);
        if (spec.getDescription() != null && spec.getDescription().length() > MAX_DESCRIPTION) {
            problems.add("spec.description is " + spec.getDescription().length() + " characters long: keep it under " + MAX_DESCRIPTION);
        }
        validateTarget(trigger, config, problems);
        validateAction(spec.getAction(), problems);
        validateWaves(trigger, config, problems);
        problems.addAll(dev.triggers.operator.schedule.MaintenanceWindows.problems(spec.getWindows()));
        if (spec.getCooldownSeconds() != null && (spec.getCooldownSeconds() < 0 || spec.getCooldownSeconds() > 86400)) {
            problems.add("spec.cooldownSeconds must be between 0 and 86400, not " + spec.getCooldownSeconds());
        }
        if (spec.getSuspendUntil() != null && spec.suspendUntilInstant().isEmpty()) {
            problems.add("spec.suspendUntil '" + abbreviate(spec.getSuspendUntil()) + "' is not an RFC 3339 time: write it as 2026-12-01T06:00:00Z"
                    + " (or with an offset, 2026-12-01T07:00:00+01:00)");
        }
        validateRollout(spec.getRollout(), problems);
        if (spec.getNotify() != null && (spec.getNotify().getUrlSecretRef() == null || spec.getNotify().getUrlSecretRef().getName() == null
                || !DNS_SUBDOMAIN.matcher(spec.getNotify().getUrlSecretRef().getName()).matches())) {
            problems.add("spec.notify.urlSecretRef.name must name a Secret of the Trigger's namespace (a valid Kubernetes name)");
        }
        SourceSpec source = spec.getSource();
        if (source == null) {
            problems.add("spec.source is missing: set spec.source.type (one of " + String.join(", ", SOURCE_TYPES) + ") and its config block");
            return problems;
        }
        String type = source.getType();
        if (type == null || !SOURCE_TYPES.contains(type)) {
            problems.add("spec.source.type " + (type == null ? "is missing" : "'" + type + "' is unknown") + ": use one of " + String.join(", ", SOURCE_TYPES));
            return problems;
        }
        for (String other : SOURCE_TYPES) {
            String block = other.toLowerCase(java.util.Locale.ROOT);
            boolean present = source.configFor(other) != null;
            if (!other.equals(type) && present) {
                problems.add("spec.source." + block + " is set but spec.source.type is " + type + ": remove it (exactly the block that matches the type)");
            }
        }
        if (!SourceSpec.WEBHOOK.equals(type) && source.configFor(type) == null) {
            problems.add("spec.source.type is " + type + " but spec.source." + type.toLowerCase(java.util.Locale.ROOT) + " is missing");
            return problems;
        }
        Optional<SourceFactory> factory = factories.apply(type);
        if (factory.isEmpty()) {
            problems.add("source type " + type + " is not available in this operator build");
        } else {
            reportUnknownFields(factory.get().specParts(source), problems);
            problems.addAll(factory.get().validate(trigger));
        }
        return problems;
    }

    /** A value quoted back on the status, cut short: the status is not a place to echo kilobytes. */
    private static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 61) + "...";
    }

    private static void validateTarget(Trigger trigger, OperatorConfig config, List<String> problems) {
        TargetRef target = trigger.getSpec().getTarget();
        if (target == null) {
            problems.add("spec.target is missing: name the Deployment (spec.target.name) or the Application to act on");
            return;
        }
        String kind = target.kindOrDefault();
        if (!TargetRef.DEPLOYMENT.equals(kind) && !TargetRef.APPLICATION.equals(kind) && !TargetRef.ROLLOUT.equals(kind)) {
            problems.add("spec.target.kind '" + kind + "' is not supported: use Deployment, Application or Rollout");
        }
        boolean hasName = target.getName() != null && !target.getName().isBlank();
        boolean hasSelector = target.getSelector() != null && !target.getSelector().isEmpty();
        if (hasName && !DNS_SUBDOMAIN.matcher(target.getName()).matches()) {
            problems.add("spec.target.name '" + target.getName() + "' is not a valid Kubernetes name: use lowercase letters, digits, '-' and '.'");
        }
        if (!hasName && !(TargetRef.APPLICATION.equals(kind) && hasSelector)) {
            problems.add("spec.target.name is missing (an Application target may give spec.target.selector instead)");
        }
        if (hasSelector && !TargetRef.APPLICATION.equals(kind)) {
            problems.add("spec.target.selector is only allowed with spec.target.kind Application");
        }
        // Whether another namespace may be acted on is not a property of the spec: FirePermissions asks its grants.
        String ns = target.getNamespace();
        if (ns != null && !ns.isBlank() && !DNS_LABEL.matcher(ns).matches()) {
            problems.add("spec.target.namespace '" + ns + "' is not a valid namespace name: use at most 63 lowercase letters, digits and '-'");
        }
    }

    private static void validateRollout(RolloutSpec rollout, List<String> problems) {
        if (rollout == null) return;
        Integer timeout = rollout.getTimeoutSeconds();
        if (timeout != null && (timeout < 1 || timeout > 86400)) {
            problems.add("spec.rollout.timeoutSeconds must be between 1 and 86400, not " + timeout);
        }
        String mode = rollout.getWhileProgressing();
        if (mode != null && !RolloutSpec.QUEUE.equals(mode) && !RolloutSpec.RESTART.equals(mode)) {
            problems.add("spec.rollout.whileProgressing '" + (mode.length() > 32 ? mode.substring(0, 32) + "..." : mode) + "' is not supported: use Queue (the default) or Restart");
        }
    }

    private static void validateWaves(Trigger trigger, OperatorConfig config, List<String> problems) {
        ActionSpec action = trigger.getSpec().getAction();
        String waves = action == null ? null : action.getMaxConcurrent();
        if (waves == null) return;
        if (!waves.matches(ActionSpec.MAX_CONCURRENT_PATTERN)) {
            problems.add("spec.action.maxConcurrent '" + abbreviate(waves) + "' is not a count (1 to 9999) or a percentage (1% to 100%), e.g. 1 or 25%");
        }
        if (trigger.getSpec().getTarget() == null || !trigger.getSpec().getTarget().isApplication()) {
            problems.add("spec.action.maxConcurrent restarts an Application's workloads in waves: set spec.target.kind Application, or remove it");
        }
        if (!ActionSpec.REDEPLOY.equals(action.typeOrDefault())) {
            problems.add("spec.action.maxConcurrent is only for action type Redeploy");
        }
        if (!config.rollouts().enabled()) {
            problems.add("spec.action.maxConcurrent needs rollout following, which this operator has off (FOLLOW_ROLLOUTS=false): a wave starts when the one before it is Complete");
        }
    }

    private static void validateAction(ActionSpec action, List<String> problems) {
        if (action == null) return;
        String type = action.typeOrDefault();
        if (!ActionSpec.REDEPLOY.equals(type) && !ActionSpec.SCALE_UP.equals(type)) {
            problems.add("spec.action.type '" + type + "' is not supported: use Redeploy or ScaleUp");
            return;
        }
        ScaleUpSpec scaleUp = action.getScaleUp();
        if (ActionSpec.REDEPLOY.equals(type) && scaleUp != null) {
            problems.add("spec.action.scaleUp is only allowed with spec.action.type ScaleUp: remove it, or set the type to ScaleUp");
        }
        if (ActionSpec.SCALE_UP.equals(type)) {
            if (scaleUp == null || scaleUp.getMaxReplicas() == null) {
                problems.add("spec.action.type ScaleUp needs spec.action.scaleUp.maxReplicas (the ceiling)");
                return;
            }
            if (scaleUp.getMaxReplicas() < 1) problems.add("spec.action.scaleUp.maxReplicas must be at least 1, not " + scaleUp.getMaxReplicas());
            if (scaleUp.getStep() != null && scaleUp.getStep() < 1) problems.add("spec.action.scaleUp.step must be at least 1, not " + scaleUp.getStep());
            Integer revert = scaleUp.getRevertAfterSeconds();
            if (revert != null && (revert < 1 || revert > ScaleUpSpec.MAX_REVERT_AFTER_SECONDS)) {
                problems.add("spec.action.scaleUp.revertAfterSeconds must be between 1 and " + ScaleUpSpec.MAX_REVERT_AFTER_SECONDS + " (7 days), not " + revert);
            }
        }
    }
}
