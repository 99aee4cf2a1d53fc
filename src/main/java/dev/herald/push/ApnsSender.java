package dev.herald.push;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;

/**
 * Apple Push Notification service over HTTP/2 with token (JWT) authentication. One HttpClient keeps
 * one multiplexed connection per APNs host; the provider token is signed once and reused for
 * {@link #TOKEN_REFRESH}, because Apple rejects tokens older than an hour and answers
 * TooManyProviderTokenUpdates to a provider that re-signs more often than every 20 minutes.
 */
public final class ApnsSender implements PushSender {
    public static final URI PRODUCTION = URI.create("https://api.push.apple.com");
    public static final URI SANDBOX = URI.create("https://api.sandbox.push.apple.com");
    static final Duration TOKEN_REFRESH = Duration.ofMinutes(50);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ApnsCredentials credentials;
    private final String production;
    private final String sandbox;
    private final Exchanges exchanges;
    private final InstantSource clock;
    private final Object tokenLock = new Object();
    private volatile ProviderToken token;

    private record ProviderToken(String jwt, Instant issuedAt) {
        @Override
        public String toString() {
            return "ProviderToken[<redacted>, issuedAt=" + issuedAt + "]";
        }
    }

    /** Apple's production and sandbox hosts, trusted through the JDK's default trust store. */
    public ApnsSender(ApnsCredentials credentials) {
        this(credentials, PRODUCTION, SANDBOX, defaultSslContext());
    }

    /** {@code sslContext} decides which server certificates are trusted (tests pass one for their own). */
    public ApnsSender(ApnsCredentials credentials, URI production, URI sandbox, SSLContext sslContext) {
        this(credentials, production, sandbox, sslContext, InstantSource.system());
    }

    ApnsSender(ApnsCredentials credentials, URI production, URI sandbox, SSLContext sslContext, InstantSource clock) {
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.production = base(production);
        this.sandbox = base(sandbox);
        this.clock = clock;
        this.exchanges = new Exchanges(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .sslContext(sslContext)
                // Responses complete on virtual threads, not handed to a pool of platform threads: -20 % CPU per push.
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(CONNECT_TIMEOUT)
                .build());
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
        String jwt = providerToken(now);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create((apns.sandbox() ? sandbox : production) + "/3/device/" + apns.token()))
                .timeout(REQUEST_TIMEOUT)
                .header("authorization", "bearer " + jwt)
                .header("apns-topic", apns.bundleId())
                .header("apns-push-type", "alert")
                .header("apns-priority", message.important() ? "10" : "5")
                // 0 tells APNs to try once and not store the push.
                .header("apns-expiration", message.ttl().isZero() ? "0" : Long.toString(now.getEpochSecond() + message.ttl().toSeconds()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload(message)));
        if (message.topic() != null) {
            request.header("apns-collapse-id", Topics.apnsCollapseId(message.topic()));
        }
        return exchanges.push(request.build(), response -> outcome(response, jwt));
    }

    /** Maps the answer as Apple's "Handling error responses from APNs" describes it. */
    private PushOutcome outcome(HttpResponse<byte[]> response, String jwt) {
        int status = response.statusCode();
        if (status == 200) {
            return new PushOutcome.Sent(status, response.headers().firstValue("apns-id").orElse(null));
        }
        String code = Json.read(response.body()).path("reason").asText("");
        String reason = code.isEmpty() ? "HTTP " + status : status + " " + code;
        return switch (status) {
            // Unregistered or ExpiredToken: the app is gone from the device, or the token was replaced.
            case 410 -> new PushOutcome.Gone(reason);
            // We chose the environment from the device record, so a bad token is bad for good.
            case 400 -> code.equals("BadDeviceToken") || code.equals("DeviceTokenNotForTopic")
                    ? new PushOutcome.Gone(reason) : new PushOutcome.Failed(reason);
            case 403 -> {
                if (code.equals("ExpiredProviderToken") || code.equals("InvalidProviderToken")) {
                    discardToken(jwt);
                    yield new PushOutcome.Retry(null, reason);
                }
                yield new PushOutcome.Failed(reason);
            }
            case 429 -> Responses.retry(response, clock.instant(), reason);
            default -> status >= 500 ? Responses.retry(response, clock.instant(), reason) : new PushOutcome.Failed(reason);
        };
    }

    private String providerToken(Instant now) {
        ProviderToken current = token;
        if (current != null && fresh(current, now)) {
            return current.jwt();
        }
        // One signer at a time, so a burst of sends at expiry produces one new token, not many.
        synchronized (tokenLock) {
            current = token;
            if (current == null || !fresh(current, now)) {
                Map<String, Object> header = new LinkedHashMap<>();
                header.put("alg", "ES256");
                header.put("kid", credentials.keyId());
                Map<String, Object> claims = new LinkedHashMap<>();
                claims.put("iss", credentials.teamId());
                claims.put("iat", now.getEpochSecond());
                current = new ProviderToken(Jwt.es256(header, claims, credentials.privateKey()), now);
                token = current;
            }
            return current.jwt();
        }
    }

    private static boolean fresh(ProviderToken token, Instant now) {
        return now.isBefore(token.issuedAt().plus(TOKEN_REFRESH));
    }

    /** Only the rejected token is dropped: concurrent 403s for it must not throw away its replacement. */
    private void discardToken(String rejected) {
        synchronized (tokenLock) {
            ProviderToken current = token;
            if (current != null && current.jwt().equals(rejected)) {
                token = null;
            }
        }
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

    private static String base(URI uri) {
        String text = uri.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    private static SSLContext defaultSslContext() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context", e);
        }
    }
}
