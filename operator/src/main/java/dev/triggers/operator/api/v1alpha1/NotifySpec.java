package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Where the operator tells how each rollout ended. */
public class NotifySpec extends SpecObject {
    public static final String URL_KEY = "url";

    @Required
    @JsonPropertyDescription("A Secret of the Trigger's namespace, labelled triggers.dev/credentials=true, whose key `url` holds the URL to POST each outcome (Complete or Failed) to, as one JSON document with a Slack-compatible `text` field. A Secret, because such URLs are credentials (Slack's are).")
    private SecretRef urlSecretRef;

    public NotifySpec() {}

    public NotifySpec(SecretRef urlSecretRef) {
        this.urlSecretRef = urlSecretRef;
    }

    public SecretRef getUrlSecretRef() { return urlSecretRef; }
    public void setUrlSecretRef(SecretRef urlSecretRef) { this.urlSecretRef = urlSecretRef; }
}
