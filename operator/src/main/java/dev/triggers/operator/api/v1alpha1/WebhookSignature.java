package dev.triggers.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A webhook provider's signature, checked on top of the Trigger's token: GitHub's {@code X-Hub-Signature-256},
 * GitLab's {@code X-Gitlab-Token}, or a generic HMAC-SHA256 over {@code <timestamp>.<body>}.
 */
public class WebhookSignature extends SpecObject {
    public static final String GITHUB = "GitHub";
    public static final String GITLAB = "GitLab";
    public static final String HMAC = "HMAC";
    public static final String DEFAULT_KEY = "secret";
    public static final String DEFAULT_HEADER = "X-Signature";
    public static final String DEFAULT_TIMESTAMP_HEADER = "X-Signature-Timestamp";

    @Required
    @Size(max = 16)
    @Pattern("^(GitHub|GitLab|HMAC)$")
    @JsonPropertyDescription("GitHub (X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>), GitLab (X-Gitlab-Token equals the secret)"
            + " or HMAC (hex HMAC-SHA256 of <timestamp>.<body> in `header`, Unix seconds in `timestampHeader`, within 5 minutes, each signature once).")
    private String type;

    @Required
    @JsonPropertyDescription("The Secret holding the signing secret, in the Trigger's namespace; it must carry the label triggers.dev/credentials=true.")
    private SecretRef secretRef;

    @Size(max = 253)
    @JsonPropertyDescription("The key of the Secret's data holding the signing secret. Default: secret.")
    private String key;

    @Size(max = 128)
    @JsonPropertyDescription("HMAC only: the header carrying the signature (hex, optionally prefixed sha256=). Default: X-Signature.")
    private String header;

    @Size(max = 128)
    @JsonPropertyDescription("HMAC only: the header carrying the Unix time in seconds that was signed. Default: X-Signature-Timestamp.")
    private String timestampHeader;

    public String getType() { return type; }
    public void setType(String type) { this.type = type; }
    public SecretRef getSecretRef() { return secretRef; }
    public void setSecretRef(SecretRef secretRef) { this.secretRef = secretRef; }
    public String getKey() { return key; }
    public void setKey(String key) { this.key = key; }
    public String getHeader() { return header; }
    public void setHeader(String header) { this.header = header; }
    public String getTimestampHeader() { return timestampHeader; }
    public void setTimestampHeader(String timestampHeader) { this.timestampHeader = timestampHeader; }

    public String keyOrDefault() { return key == null || key.isBlank() ? DEFAULT_KEY : key; }
    public String headerOrDefault() { return header == null || header.isBlank() ? DEFAULT_HEADER : header; }
    public String timestampHeaderOrDefault() { return timestampHeader == null || timestampHeader.isBlank() ? DEFAULT_TIMESTAMP_HEADER : timestampHeader; }
}
