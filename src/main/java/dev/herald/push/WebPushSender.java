package dev.herald.push;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Web Push (RFC 8030) with encrypted payloads (RFC 8291) and VAPID (RFC 8292). A VAPID JWT is signed
 * per push-service origin and reused until {@link #VAPID_RENEW_BEFORE} before it expires, so the only
 * public-key work per push is the encryption's fresh ECDH.
 */
public final class WebPushSender implements PushSender {
    static final Duration VAPID_LIFETIME = Duration.ofHours(12);
    static final Duration VAPID_RENEW_BEFORE = Duration.ofHours(1);
    /** Endpoints come from browsers, so their origins are not ours to bound; past this many, start over. */
    private static final int MAX_CACHED_ORIGINS = 1024;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final VapidKeys keys;
    private final String subject;
    private final Exchanges exchanges;
    private final boolean allowHttp;
    private final InstantSource clock;
    private final ConcurrentMap<String, VapidToken> vapid = new ConcurrentHashMap<>();

    private record VapidToken(String authorization, Instant renewAt) {
        @Override
        public String toString() {
            return "VapidToken[<redacted>, renewAt=" + renewAt + "]";
        }
    }

    /** {@code subject} is the contact push services may use: a {@code mailto:} or {@code https:} URL. */
    public WebPushSender(VapidKeys keys, String subject, HttpClient client) {
        this(keys, subject, client, false);
    }

    /**
     * {@code allowHttpForTests} also accepts plain-http endpoints, for fake push services on loopback.
     * Every real push service is https; without the flag an http endpoint is treated as a bad subscription.
     */
    public WebPushSender(VapidKeys keys, String subject, HttpClient client, boolean allowHttpForTests) {
        this(keys, subject, client, allowHttpForTests, InstantSource.system());
    }

    WebPushSender(VapidKeys keys, String subject, HttpClient client, boolean allowHttpForTests, InstantSource clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.subject = validSubject(subject);
        this.exchanges = new Exchanges(Objects.requireNonNull(client, "client"));
        this.allowHttp = allowHttpForTests;
        this.clock = clock;
    }

    @Override
    public PushOutcome send(Device device, PushMessage message) {
        if (!(device instanceof Device.Web web)) {
            throw new IllegalArgumentException("WebPushSender cannot send to " + device.getClass().getSimpleName());
        }
        URI endpoint = endpoint(web.endpoint());
        if (endpoint == null) {
            return new PushOutcome.Gone("push endpoint is not a valid " + (allowHttp ? "http(s)" : "https") + " URL");
        }
        ECPublicKey uaPublic;
        byte[] authSecret;
        try {
            uaPublic = Keys.p256PublicKey(Keys.fromBase64Url(web.p256dh(), "subscription p256dh key"), "subscription p256dh key");
            authSecret = Keys.fromBase64Url(web.auth(), "subscription auth secret");
        } catch (IllegalArgumentException e) {
            return new PushOutcome.Gone(e.getMessage());
        }
        if (authSecret.length != WebPushCrypto.AUTH_SECRET_BYTES) {
            return new PushOutcome.Gone("subscription auth secret must be 16 bytes, got " + authSecret.length);
        }
        byte[] plaintext = payload(message);
        if (plaintext.length > WebPushCrypto.MAX_PLAINTEXT) {
            return new PushOutcome.Failed("payload is " + plaintext.length + " bytes; a Web Push message holds at most "
                    + WebPushCrypto.MAX_PLAINTEXT);
        }
        Instant now = clock.instant();
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", vapidAuthorization(origin(endpoint), now))
                .header("Content-Encoding", "aes128gcm")
                .header("Content-Type", "application/octet-stream")
                .header("TTL", Long.toString(message.ttl().toSeconds()))
                .header("Urgency", message.important() ? "high" : "normal")
                .POST(HttpRequest.BodyPublishers.ofByteArray(WebPushCrypto.encrypt(plaintext, uaPublic, authSecret)));
        if (message.topic() != null) {
            request.header("Topic", Topics.webPushTopic(message.topic()));
        }
        return exchanges.push(request.build(), this::outcome);
    }

    /** RFC 8030 sections 5 and 8 with what push services document: 404 and 410 mean the subscription is gone. */
    private PushOutcome outcome(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        if (status == 200 || status == 201 || status == 202) {
            return new PushOutcome.Sent(status, response.headers().firstValue("location").orElse(null));
        }
        String snippet = Responses.snippet(response.body());
        String reason = "push service answered " + status + (snippet.isEmpty() ? "" : ": " + snippet);
        if (status == 404 || status == 410) {
            return new PushOutcome.Gone(reason);
        }
        if (status == 429 || status >= 500) {
            return Responses.retry(response, clock.instant(), reason);
        }
        return new PushOutcome.Failed(reason);
    }

    private String vapidAuthorization(String origin, Instant now) {
        VapidToken cached = vapid.get(origin);
        if (cached != null && now.isBefore(cached.renewAt())) {
            return cached.authorization();
        }
        if (cached == null && vapid.size() >= MAX_CACHED_ORIGINS) {
            vapid.clear();
        }
        return vapid.compute(origin, (key, current) -> current != null && now.isBefore(current.renewAt())
                ? current : signVapid(key, now)).authorization();
    }

    private VapidToken signVapid(String origin, Instant now) {
        Instant expires = now.plus(VAPID_LIFETIME);
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("typ", "JWT");
        header.put("alg", "ES256");
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", origin);
        claims.put("exp", expires.getEpochSecond());
        claims.put("sub", subject);
        String jwt = Jwt.es256(header, claims, keys.signingKey());
        return new VapidToken("vapid t=" + jwt + ", k=" + keys.publicKey(), expires.minus(VAPID_RENEW_BEFORE));
    }

    static byte[] payload(PushMessage message) {
        return Json.write(json -> {
            json.writeStartObject();
            Json.field(json, "title", message.title());
            Json.field(json, "subtitle", message.subtitle());
            Json.field(json, "body", message.body());
            Json.field(json, "url", message.deepLink());
            Json.field(json, "icon", message.iconUrl());
            json.writeStringField("notification_id", message.notificationId());
            json.writeBooleanField("important", message.important());
            json.writeEndObject();
        });
    }

    private URI endpoint(String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            boolean allowed = scheme.equals("https") || (allowHttp && scheme.equals("http"));
            return allowed && uri.getHost() != null ? uri : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The VAPID audience (RFC 8292 section 2): the endpoint's origin, serialised as a browser would. */
    private static String origin(URI endpoint) {
        String scheme = endpoint.getScheme().toLowerCase(Locale.ROOT);
        int port = endpoint.getPort();
        boolean defaultPort = port == -1 || (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
        return scheme + "://" + endpoint.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    private static String validSubject(String subject) {
        try {
            URI uri = new URI(Objects.requireNonNull(subject, "subject"));
            boolean mailto = "mailto".equals(uri.getScheme()) && uri.getSchemeSpecificPart() != null
                    && uri.getSchemeSpecificPart().contains("@");
            boolean https = "https".equals(uri.getScheme()) && uri.getHost() != null;
            if (mailto || https) {
                return subject;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException("VAPID subject must be a mailto: address or an https: URL, got '" + subject + "'");
    }
}
