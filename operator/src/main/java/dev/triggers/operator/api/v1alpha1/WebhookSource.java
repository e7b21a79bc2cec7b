package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Max;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

/** Settings of a webhook source; the URL and token are minted by the operator. */
public class WebhookSource extends SpecObject {
    /** 10 a second: a Trigger fires at most once per cooldown anyway, so more only costs the operator. */
    public static final int MAX_RATE_LIMIT_PER_MINUTE = 600;
    /** A filter is a short expression: 4 096 characters is far more than any real one. */
    public static final int MAX_FILTER_LENGTH = 4096;

    @Min(1)
    @Max(WebhookSource.MAX_RATE_LIMIT_PER_MINUTE)
    @JsonPropertyDescription("Accepted calls per minute for this Trigger (at most 600); more answer 429. Default: the operator's setting.")
    private Integer rateLimitPerMinute;

    @JsonPropertyDescription("Optional: a provider signature checked on every call, on top of the token (which stays required:"
            + " GitHub and GitLab call the URL with the token as its last path segment).")
    private WebhookSignature signature;

    @io.fabric8.generator.annotation.Size(max = WebhookSource.MAX_FILTER_LENGTH)
    @JsonPropertyDescription("Optional: a CEL expression over `body` (the JSON body) and `headers` (lower-case names);"
            + " a call it does not match answers 202 with matched: false and fires nothing. Example: body.ref == 'refs/heads/main'")
    private String filter;

    public WebhookSignature getSignature() { return signature; }
    public void setSignature(WebhookSignature signature) { this.signature = signature; }
    public String getFilter() { return filter; }
    public void setFilter(String filter) { this.filter = filter; }

    public Integer getRateLimitPerMinute() { return rateLimitPerMinute; }
    public void setRateLimitPerMinute(Integer rateLimitPerMinute) { this.rateLimitPerMinute = rateLimitPerMinute; }
}
