package dev.triggers.operator.api.v1alpha1;

import io.fabric8.generator.annotation.Size;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** The event source: its type and exactly the one config block that matches it. */
@ValidationRule(value = "self.type == oldSelf.type",
        message = "source.type is immutable: create a new Trigger to change it")
@ValidationRule(value = "self.type in ['Cron', 'SQS', 'NATS', 'Webhook']",
        message = "source.type must be one of Cron, SQS, NATS, Webhook")
@ValidationRule(value = "has(self.cron) == (self.type == 'Cron')",
        message = "source.cron is required with type Cron and not allowed with any other type")
@ValidationRule(value = "has(self.sqs) == (self.type == 'SQS')",
        message = "source.sqs is required with type SQS and not allowed with any other type")
@ValidationRule(value = "has(self.nats) == (self.type == 'NATS')",
        message = "source.nats is required with type NATS and not allowed with any other type")
@ValidationRule(value = "!has(self.webhook) || self.type == 'Webhook'",
        message = "source.webhook is only allowed with type Webhook")
public class SourceSpec extends SpecObject {
    public static final String CRON = "Cron";
    public static final String SQS = "SQS";
    public static final String NATS = "NATS";
    public static final String WEBHOOK = "Webhook";

    @Required
    @Size(max = 16)
    @JsonPropertyDescription("Cron | SQS | NATS | Webhook. Immutable after create.")
    private String type;

    @JsonPropertyDescription("type Cron: fire on a schedule.")
    private CronSource cron;

    @JsonPropertyDescription("type SQS: fire on messages of an AWS SQS queue (deleted only after the action succeeded).")
    private SqsSource sqs;

    @JsonPropertyDescription("type NATS: fire on messages of a NATS subject, or of a JetStream durable consumer (acked only after the action succeeded).")
    private NatsSource nats;

    @JsonPropertyDescription("type Webhook (optional block): the operator mints a URL and a token into the Secret named in status.webhookSecretName.")
    private WebhookSource webhook;

    public SourceSpec() {}

    public SourceSpec(String type) { this.type = type; }

    public String getType() { return type; }
    public void setType(String type) { this.type = type; }
    public CronSource getCron() { return cron; }
    public void setCron(CronSource cron) { this.cron = cron; }
    public SqsSource getSqs() { return sqs; }
    public void setSqs(SqsSource sqs) { this.sqs = sqs; }
    public NatsSource getNats() { return nats; }
    public void setNats(NatsSource nats) { this.nats = nats; }
    public WebhookSource getWebhook() { return webhook; }
    public void setWebhook(WebhookSource webhook) { this.webhook = webhook; }

    /** The config block that matches {@link #type}, or null. */
    @JsonIgnore
    public Object configFor(String sourceType) {
        if (sourceType == null) return null;
        return switch (sourceType) {
            case CRON -> cron;
            case SQS -> sqs;
            case NATS -> nats;
            case WEBHOOK -> webhook;
            default -> null;
        };
    }
}
