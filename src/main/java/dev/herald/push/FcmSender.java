package dev.herald.push;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Firebase Cloud Messaging HTTP v1. Authenticates with an OAuth2 access token obtained through the
 * JWT bearer grant (RFC 7523) from the service account's key, cached until shortly before it expires
 * and refreshed by one caller at a time while the others wait for it.
 */
public final class FcmSender implements PushSender {
    public static final URI DEFAULT_BASE = URI.create("https://fcm.googleapis.com");
    static final String SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
    /** The longest assertion Google accepts, and the usual lifetime of the access token it buys. */
    private static final Duration ASSERTION_LIFETIME = Duration.ofHours(1);
    private static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Sends queued behind a failed refresh share its answer instead of each asking the token endpoint again. */
    private static final Duration FAILURE_HOLD = Duration.ofSeconds(1);
    private static final String GRANT = "grant_type=" + URLEncoder.encode("urn:ietf:params:oauth:grant-type:jwt-bearer", StandardCharsets.UTF_8);

    private final FcmCredentials credentials;
    private final URI sendUri;
    private final Exchanges exchanges;
    private final InstantSource clock;
    private final ReentrantLock refreshLock = new ReentrantLock();
    private volatile AccessToken token;
    private TokenFailure lastFailure; // guarded by refreshLock

    private sealed interface TokenResult permits AccessToken, TokenFailure {
    }

    private record AccessToken(String value, Instant refreshAt, Instant expiresAt) implements TokenResult {
        @Override
        public String toString() {
            return "AccessToken[<redacted>, expiresAt=" + expiresAt + "]";
        }
    }

    private record TokenFailure(PushOutcome outcome, Instant until) implements TokenResult {
    }

    public FcmSender(FcmCredentials credentials, HttpClient client) {
        this(credentials, DEFAULT_BASE, client);
    }

    /** {@code client} should be shared: FCM multiplexes every send over one HTTP/2 connection. */
    public FcmSender(FcmCredentials credentials, URI base, HttpClient client) {
        this(credentials, base, client, InstantSource.system());
    }

    FcmSender(FcmCredentials credentials, URI base, HttpClient client, InstantSource clock) {
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        String root = base.toString().endsWith("/") ? base.toString() : base + "/";
        this.sendUri = URI.create(root + "v1/projects/" + credentials.projectId() + "/messages:send");
        this.exchanges = new Exchanges(Objects.requireNonNull(client, "client"));
        this.clock = clock;
    }

    @Override
    public PushOutcome send(Device device, PushMessage message) {
        if (!(device instanceof Device.Fcm fcm)) {
            throw new IllegalArgumentException("FcmSender cannot send to " + device.getClass().getSimpleName());
        }
        return switch (accessToken(clock.instant())) {
            case TokenFailure failure -> failure.outcome();
            case AccessToken access -> deliver(fcm, message, access);
        };
    }

    private PushOutcome deliver(Device.Fcm device, PushMessage message, AccessToken access) {
        HttpRequest request = HttpRequest.newBuilder(sendUri)
                .timeout(REQUEST_TIMEOUT)
                .header("authorization", "Bearer " + access.value())
                .header("content-type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(device.token(), message)))
                .build();
        return exchanges.push(request, response -> outcome(response, access));
    }

    /** Maps the answer as FCM's "ErrorCode" reference describes it. */
    private PushOutcome outcome(HttpResponse<byte[]> response, AccessToken access) {
        int status = response.statusCode();
        if (status == 200) {
            return new PushOutcome.Sent(status, Json.read(response.body()).path("name").asText(null));
        }
        JsonNode error = Json.read(response.body()).path("error");
        String errorStatus = error.path("status").asText("");
        String fcmCode = "";
        boolean tokenViolation = false;
        for (JsonNode detail : error.path("details")) {
            if (detail.path("@type").asText("").endsWith("google.firebase.fcm.v1.FcmError")) {
                fcmCode = detail.path("errorCode").asText("");
            }
            for (JsonNode violation : detail.path("fieldViolations")) {
                tokenViolation |= violation.path("field").asText("").equals("message.token");
            }
        }
        String text = error.path("message").asText("");
        String code = !fcmCode.isEmpty() ? fcmCode : !errorStatus.isEmpty() ? errorStatus : "HTTP";
        String reason = status + " " + code + (text.isEmpty() ? "" : ": " + text);

        // A bare 404 without Google's error body (a wrong base URL, a proxy) says nothing about the token.
        boolean unregistered = fcmCode.equals("UNREGISTERED") || (status == 404 && errorStatus.equals("NOT_FOUND"));
        // INVALID_ARGUMENT covers every malformed field; only a rejected registration token means the device is gone.
        boolean badToken = status == 400 && (tokenViolation || text.toLowerCase(Locale.ROOT).contains("registration token"));
        if (unregistered || badToken || fcmCode.equals("SENDER_ID_MISMATCH")) {
            return new PushOutcome.Gone(reason);
        }
        if (status == 401) {
            // THIRD_PARTY_AUTH_ERROR is FCM failing to reach APNs/Web Push with the project's keys: a new token won't help.
            if (fcmCode.equals("THIRD_PARTY_AUTH_ERROR")) {
                return new PushOutcome.Failed(reason);
            }
            discardToken(access);
            return new PushOutcome.Retry(null, reason);
        }
        if (status == 429 || status >= 500) {
            return Responses.retry(response, clock.instant(), reason);
        }
        return new PushOutcome.Failed(reason);
    }

    private TokenResult accessToken(Instant now) {
        AccessToken current = token;
        if (current != null && now.isBefore(current.refreshAt())) {
            return current;
        }
        refreshLock.lock();
        try {
            current = token;
            if (current != null && now.isBefore(current.refreshAt())) {
                return current;
            }
            // A refresh that fails inside the margin leaves a token that still works.
            boolean usable = current != null && now.isBefore(current.expiresAt());
            if (lastFailure != null && now.isBefore(lastFailure.until())) {
                return usable ? current : lastFailure;
            }
            TokenResult fetched = fetchToken(now);
            if (fetched instanceof AccessToken fresh) {
                token = fresh;
                lastFailure = null;
                return fresh;
            }
            lastFailure = (TokenFailure) fetched;
            return usable ? current : fetched;
        } finally {
            refreshLock.unlock();
        }
    }

    private TokenResult fetchToken(Instant now) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "RS256");
        header.put("typ", "JWT");
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", credentials.clientEmail());
        claims.put("scope", SCOPE);
        claims.put("aud", credentials.tokenUri().toString());
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plus(ASSERTION_LIFETIME).getEpochSecond());
        String assertion = Jwt.rs256(header, claims, credentials.privateKey());
        HttpRequest request = HttpRequest.newBuilder(credentials.tokenUri())
                .timeout(REQUEST_TIMEOUT)
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(GRANT + "&assertion=" + assertion))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = exchanges.send(request);
        } catch (IOException e) {
            return failure(Responses.networkError(e));
        } catch (InterruptedException e) {
            // Not held for the others: only this caller was interrupted.
            return new TokenFailure(Responses.interrupted(), Instant.MIN);
        }
        int status = response.statusCode();
        JsonNode body = Json.read(response.body());
        if (status == 429 || status >= 500) {
            return failure(Responses.retry(response, clock.instant(), "OAuth token endpoint answered " + status));
        }
        if (status != 200) {
            String error = body.path("error").asText("");
            String description = body.path("error_description").asText("");
            return failure(new PushOutcome.Failed("OAuth token request rejected: " + status
                    + (error.isEmpty() ? "" : " " + error) + (description.isEmpty() ? "" : ": " + description)));
        }
        String value = body.path("access_token").asText("");
        if (value.isEmpty()) {
            return failure(new PushOutcome.Retry(null, "OAuth token endpoint answered without an access_token"));
        }
        Duration lifetime = Duration.ofSeconds(body.path("expires_in").asLong(ASSERTION_LIFETIME.toSeconds()));
        Duration margin = lifetime.dividedBy(2).compareTo(REFRESH_MARGIN) < 0 ? lifetime.dividedBy(2) : REFRESH_MARGIN;
        return new AccessToken(value, now.plus(lifetime).minus(margin), now.plus(lifetime));
    }

    private TokenFailure failure(PushOutcome outcome) {
        return new TokenFailure(outcome, clock.instant().plus(FAILURE_HOLD));
    }

    /** Only the rejected token is dropped: a concurrent 401 must not throw away its replacement. */
    private void discardToken(AccessToken rejected) {
        refreshLock.lock();
        try {
            if (token == rejected) {
                token = null;
            }
        } finally {
            refreshLock.unlock();
        }
    }

    static byte[] body(String registrationToken, PushMessage message) {
        return Json.write(json -> {
            json.writeStartObject();
            json.writeObjectFieldStart("message");
            json.writeStringField("token", registrationToken);
            json.writeObjectFieldStart("notification");
            Json.field(json, "title", message.title());
            Json.field(json, "body", message.body());
            Json.field(json, "image", message.iconUrl());
            json.writeEndObject();
            // Data values must be strings; the app reads them when the user taps the notification.
            json.writeObjectFieldStart("data");
            json.writeStringField("notification_id", message.notificationId());
            Json.field(json, "deep_link", message.deepLink());
            Json.field(json, "subtitle", message.subtitle());
            Json.field(json, "topic", message.topic());
            json.writeStringField("important", Boolean.toString(message.important()));
            json.writeEndObject();
            json.writeObjectFieldStart("android");
            json.writeStringField("priority", message.important() ? "high" : "normal");
            json.writeStringField("ttl", message.ttl().toSeconds() + "s");
            Json.field(json, "collapse_key", message.topic());
            json.writeObjectFieldStart("notification");
            Json.field(json, "tag", message.topic());
            json.writeStringField("notification_priority", message.important() ? "PRIORITY_HIGH" : "PRIORITY_DEFAULT");
            json.writeEndObject();
            json.writeEndObject();
            json.writeEndObject();
            json.writeEndObject();
        });
    }
}
