package dev.triggers.operator.source.sqs;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/** A real SQS-protocol server (ElasticMQ) inside the test JVM on loopback, and a client to look at it. */
public final class ElasticMq implements AutoCloseable {
    public static final String REGION = "eu-west-1";
    private final int port;
    private SQSRestServer server;
    private final SqsClient sqs;

    private ElasticMq(int port) {
        this.server = SQSRestServerBuilder.withInterface("127.0.0.1").withPort(port).start();
        this.port = server.waitUntilStarted().localAddress().getPort();
        this.sqs = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.of(REGION))
                .endpointOverride(URI.create(endpoint()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
    }

    /** On a free port. */
    public static ElasticMq start() {
        return new ElasticMq(0);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public SqsClient sqs() {
        return sqs;
    }

    /** Stops the server (the port answers nothing until {@link #restart()}); its queues are gone. */
    public void stop() {
        server.stopAndWait();
        server = null;
    }

    /** Starts again on the same port, empty. */
    public void restart() {
        server = SQSRestServerBuilder.withInterface("127.0.0.1").withPort(port).start();
        server.waitUntilStarted();
    }

    public String createQueue(String name, int visibilityTimeoutSeconds) {
        return sqs.createQueue(r -> r.queueName(name)
                .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibilityTimeoutSeconds)))).queueUrl();
    }

    public String send(String queueUrl, String body) {
        return sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(body)).messageId();
    }

    /** Sends in batches of 10; returns the message ids. */
    public List<String> sendMany(String queueUrl, int count) {
        List<String> ids = new ArrayList<>();
        for (int start = 0; start < count; start += 10) {
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(count, start + 10); i++) {
                entries.add(SendMessageBatchRequestEntry.builder().id("m" + i).messageBody("message " + i).build());
            }
            sqs.sendMessageBatch(r -> r.queueUrl(queueUrl).entries(entries)).successful().forEach(s -> ids.add(s.messageId()));
        }
        return ids;
    }

    /** Visible + in flight + delayed: 0 means every message was deleted. */
    public int messagesLeft(String queueUrl) {
        Map<QueueAttributeName, String> a = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes();
        return a.values().stream().mapToInt(Integer::parseInt).sum();
    }

    public int messagesInFlight(String queueUrl) {
        return Integer.parseInt(sqs.getQueueAttributes(r -> r.queueUrl(queueUrl)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    @Override
    public void close() {
        sqs.close();
        if (server != null) server.stopAndWait();
    }
}
