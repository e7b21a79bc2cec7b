package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

/** Settings of a webhook source; the URL and token are minted by the operator. */
public class WebhookSource extends SpecObject {
    @Min(1)
    @JsonPropertyDescription("Accepted calls per minute for this Trigger; more answer 429. Default: the operator's setting.")
    private Integer rateLimitPerMinute;

    public Integer getRateLimitPerMinute() { return rateLimitPerMinute; }
    public void setRateLimitPerMinute(Integer rateLimitPerMinute) { this.rateLimitPerMinute = rateLimitPerMinute; }
}
