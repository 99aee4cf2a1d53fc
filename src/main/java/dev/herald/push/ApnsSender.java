package dev.herald.push;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.DeliveryPriority;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.PushType;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import com.eatthepath.pushy.apns.util.concurrent.PushNotificationFuture;
import io.netty.channel.EventLoopGroup;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Apple Push Notification service over HTTP/2 with token (JWT) authentication, through pushy: one
 * multiplexed connection per APNs host on Netty, which costs a fraction of the CPU per push that the
 * JDK's HttpClient does. pushy signs the provider token itself, once per connection and again every
 * {@link #TOKEN_REFRESH} (Apple rejects tokens older than an hour and answers TooManyProviderTokenUpdates
 * to a provider that re-signs more often than every 20 minutes), and replaces the connection when APNs
 * answers ExpiredProviderToken. Only scheme, host and port of the production and sandbox URLs count:
 * APNs' path is fixed.
 */
public final class ApnsSender implements PushSender, AutoCloseable {
    public static final URI PRODUCTION = URI.create("https://api.push.apple.com");
    public static final URI SANDBOX = URI.create("https://api.sandbox.push.apple.com");
    static final Duration TOKEN_REFRESH = Duration.ofMinutes(50);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** pushy has no per-request timeout, and waits forever on an error answer without a body. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ApnsClient production;
    private final ApnsClient sandbox;
    private final InstantSource clock;
    private final Duration requestTimeout;
    /** The payload of the last message sent: a job sends the same one to every device. */
    private volatile Payload last;

    private record Payload(PushMessage message, String json) {
    }

    /**
     * {@code trusted}: the server certificates to trust, or null for the JDK's default roots;
     * {@code loop}: the Netty event loops the connections run on, shared by every sender and not closed here.
     */
    public ApnsSender(ApnsCredentials credentials, URI production, URI sandbox, List<X509Certificate> trusted, EventLoopGroup loop) {
        this(credentials, production, sandbox, trusted, loop, InstantSource.system(), REQUEST_TIMEOUT);
    }

    ApnsSender(ApnsCredentials credentials, URI production, URI sandbox, List<X509Certificate> trusted, EventLoopGroup loop,
               InstantSource clock, Duration requestTimeout) {
        Objects.requireNonNull(credentials, "credentials");
        this.clock = clock;
        this.requestTimeout = requestTimeout;
        ApnsSigningKey key;
        try {
            key = new ApnsSigningKey(credentials.keyId(), credentials.teamId(), credentials.privateKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("The APNs key cannot sign ES256 tokens: " + e.getMessage(), e);
        }
        this.production = client(production, key, trusted, loop);
        this.sandbox = client(sandbox, key, trusted, loop);
    }

    private static ApnsClient client(URI server, ApnsSigningKey key, List<X509Certificate> trusted, EventLoopGroup loop) {
        ApnsClientBuilder builder = new ApnsClientBuilder()
                .setApnsServer(server.getHost(), server.getPort() == -1 ? 443 : server.getPort())
                .setSigningKey(key)
                .setTokenExpiration(TOKEN_REFRESH)
                .setConnectionTimeout(CONNECT_TIMEOUT)
                .setEventLoopGroup(loop);
        if (trusted != null) {
            builder.setTrustedServerCertificateChain(trusted.toArray(X509Certificate[]::new));
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException("Could not set up TLS for APNs: " + e.getMessage(), e);
        }
    }

    @Override
    public PushOutcome send(Device device, PushMessage message) {
        if (!(device instanceof Device.Apns apns)) {
            throw new IllegalArgumentException("ApnsSender cannot send to " + device.getClass().getSimpleName());
        }
        if (!isHex(apns.token())) {
            return new PushOutcome.Gone("BadDeviceToken: an APNs device token is hexadecimal");
        }
        Instant now = clock.instant();
        // A zero ttl is sent as apns-expiration 0: APNs tries once and does not store the push.
        Instant expiration = message.ttl().isZero() ? null : Instant.ofEpochSecond(now.getEpochSecond() + message.ttl().toSeconds());
        SimpleApnsPushNotification notification = new SimpleApnsPushNotification(apns.token(), apns.bundleId(), payloadOf(message),
                expiration, message.important() ? DeliveryPriority.IMMEDIATE : DeliveryPriority.CONSERVE_POWER, PushType.ALERT,
                message.topic() == null ? null : Topics.apnsCollapseId(message.topic()));
        PushNotificationFuture<SimpleApnsPushNotification, PushNotificationResponse<SimpleApnsPushNotification>> answer =
                (apns.sandbox() ? sandbox : production).sendNotification(notification);
        try {
            return outcome(answer.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return Responses.networkError(cause instanceof IOException io ? io : new IOException(cause.toString(), cause));
        } catch (TimeoutException e) {
            answer.cancel(false);
            return Responses.networkError(new IOException("no answer from APNs within " + requestTimeout.toSeconds() + " s"));
        } catch (InterruptedException e) {
            answer.cancel(false);
            return Responses.interrupted();
        }
    }

    private String payloadOf(PushMessage message) {
        Payload cached = last;
        if (cached != null && cached.message() == message) {
            return cached.json();
        }
        Payload fresh = new Payload(message, new String(payload(message), StandardCharsets.UTF_8));
        last = fresh;
        return fresh.json();
    }

    /** Maps the answer as Apple's "Handling error responses from APNs" describes it. */
    private static PushOutcome outcome(PushNotificationResponse<?> response) {
        int status = response.getStatusCode();
        if (response.isAccepted()) {
            return new PushOutcome.Sent(status, response.getApnsId() == null ? null : response.getApnsId().toString());
        }
        String code = response.getRejectionReason().orElse("");
        String reason = code.isEmpty() ? "HTTP " + status : status + " " + code;
        return switch (status) {
            // Unregistered or ExpiredToken: the app is gone from the device, or the token was replaced.
            case 410 -> new PushOutcome.Gone(reason);
            // We chose the environment from the device record, so a bad token is bad for good.
            case 400 -> code.equals("BadDeviceToken") || code.equals("DeviceTokenNotForTopic")
                    ? new PushOutcome.Gone(reason) : new PushOutcome.Failed(reason);
            // pushy drops an expired token with its connection, so the next attempt signs a new one; an invalid one
            // is retried too, because new credentials (which rebuild the sender) fix it.
            case 403 -> code.equals("ExpiredProviderToken") || code.equals("InvalidProviderToken")
                    ? new PushOutcome.Retry(null, reason) : new PushOutcome.Failed(reason);
            // APNs sends no Retry-After: the retry schedule decides.
            case 429 -> new PushOutcome.Retry(null, reason);
            default -> status >= 500 ? new PushOutcome.Retry(null, reason) : new PushOutcome.Failed(reason);
        };
    }

    static byte[] payload(PushMessage message) {
        return Json.write(json -> {
            json.writeStartObject();
            json.writeObjectFieldStart("aps");
            json.writeObjectFieldStart("alert");
            Json.field(json, "title", message.title());
            Json.field(json, "subtitle", message.subtitle());
            Json.field(json, "body", message.body());
            json.writeEndObject();
            if (message.important()) {
                json.writeStringField("sound", "default");
                json.writeStringField("interruption-level", "time-sensitive");
            }
            Json.field(json, "thread-id", message.topic());
            json.writeEndObject();
            Json.field(json, "deep_link", message.deepLink());
            json.writeStringField("notification_id", message.notificationId());
            json.writeEndObject();
        });
    }

    private static boolean isHex(String token) {
        if (token.isEmpty()) {
            return false;
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        production.close();
        sandbox.close();
    }
}
