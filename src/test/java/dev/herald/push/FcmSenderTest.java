package dev.herald.push;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.push.FakeServer.Answer;
import dev.herald.push.FakeServer.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FcmSender against a fake Google over HTTP/2 and TLS on loopback: an OAuth token endpoint that verifies the RS256 assertion of the
 * JWT bearer grant and issues access tokens, and a messages:send endpoint that only accepts those
 * tokens and answers as scripted.
 */
class FcmSenderTest {
    private static final String PROJECT = "herald-test";
    private static final String EMAIL = "push@herald-test.iam.gserviceaccount.com";
    private static final String SEND_PATH = "/v1/projects/" + PROJECT + "/messages:send";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final ConcurrentLinkedQueue<Answer> SEND_SCRIPT = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<Answer> TOKEN_SCRIPT = new ConcurrentLinkedQueue<>();
    private static final Set<String> ISSUED = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger EXCHANGES = new AtomicInteger();
    private static final AtomicInteger MESSAGES = new AtomicInteger();
    private static PublicKey serviceAccountKey;
    private static FakeServer google;
    private static FcmCredentials credentials;

    private final TestClock clock = new TestClock(Instant.parse("2025-03-01T12:00:00Z"));
    private HttpClient client;
    private FcmSender sender;

    @BeforeAll
    static void startFakeGoogle() {
        KeyPair account = TestKeys.rsa();
        serviceAccountKey = account.getPublic();
        google = FakeServer.https(FcmSenderTest::answer);
        ObjectNode json = MAPPER.createObjectNode()
                .put("type", "service_account")
                .put("project_id", PROJECT)
                .put("private_key_id", "k1")
                .put("private_key", TestKeys.pem(account.getPrivate()))
                .put("client_email", EMAIL)
                .put("token_uri", google.uri("/token").toString());
        credentials = FcmCredentials.parse(json.toString());
    }

    @AfterAll
    static void stopFakeGoogle() {
        google.close();
    }

    @BeforeEach
    void newSender() {
        client = HttpClient.newBuilder().sslContext(TestTls.get().clientContext()).build();
        sender = new FcmSender(credentials, google.uri("/"), client, clock);
    }

    @AfterEach
    void checkWhatWasSent() {
        client.close();
        SEND_SCRIPT.clear();
        TOKEN_SCRIPT.clear();
        ISSUED.clear();
        EXCHANGES.set(0);
        MESSAGES.set(0);
        try {
            google.assertNoFailures();
        } finally {
            google.reset();
        }
    }

    private static Answer answer(Request request) throws Exception {
        assertEquals("POST", request.method());
        assertEquals("2.0", request.protocolVersion());
        return switch (request.path()) {
            case "/token" -> token(request);
            case SEND_PATH -> send(request);
            default -> throw new AssertionError("unexpected path " + request.path());
        };
    }

    /** RFC 7523 section 2.1 as Google's token endpoint applies it. */
    private static Answer token(Request request) throws Exception {
        assertTrue(request.header("content-type").startsWith("application/x-www-form-urlencoded"));
        Map<String, String> form = new HashMap<>();
        for (String pair : request.text().split("&")) {
            String[] kv = pair.split("=", 2);
            form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        assertEquals("urn:ietf:params:oauth:grant-type:jwt-bearer", form.get("grant_type"));
        TestJwt assertion = TestJwt.verify(form.get("assertion"), "RS256", serviceAccountKey);
        assertEquals("JWT", assertion.header().path("typ").asText());
        assertEquals(EMAIL, assertion.claims().path("iss").asText());
        assertEquals("https://www.googleapis.com/auth/firebase.messaging", assertion.claims().path("scope").asText());
        assertEquals(google.uri("/token").toString(), assertion.claims().path("aud").asText());
        assertEquals(3600, assertion.claims().path("exp").asLong() - assertion.claims().path("iat").asLong());
        EXCHANGES.incrementAndGet();
        Answer scripted = TOKEN_SCRIPT.poll();
        if (scripted != null) {
            return scripted;
        }
        String token = "ya29.fake-" + EXCHANGES.get();
        ISSUED.add(token);
        return Answer.json(200, "{\"access_token\":\"" + token + "\",\"expires_in\":3600,\"token_type\":\"Bearer\"}");
    }

    private static Answer send(Request request) throws Exception {
        String authorization = request.header("authorization");
        assertTrue(authorization.startsWith("Bearer ") && ISSUED.contains(authorization.substring(7)),
                "messages:send needs an access token from the token endpoint, got " + authorization);
        assertTrue(request.header("content-type").startsWith("application/json"));
        assertTrue(MAPPER.readTree(request.body()).path("message").path("token").isTextual());
        Answer scripted = SEND_SCRIPT.poll();
        return scripted != null ? scripted
                : Answer.json(200, "{\"name\":\"projects/" + PROJECT + "/messages/" + MESSAGES.incrementAndGet() + "\"}");
    }

    private PushOutcome send() {
        return sender.send(new Device.Fcm("dev_1", "fcm-registration-token-1"), new PushMessage("ntf_1", "New reply", "in #general",
                "Ada: sounds good", "herald://c/general/m/9", "https://cdn.example/icon.png", true, "chat-general", Duration.ofHours(2)));
    }

    private List<Request> sends() {
        return google.requests().stream().filter(r -> r.path().equals(SEND_PATH)).toList();
    }

    @Test
    void sendsAV1MessageWithNotificationDataAndAndroidOptions() throws Exception {
        PushOutcome outcome = send();

        assertEquals(new PushOutcome.Sent(200, "projects/herald-test/messages/1"), outcome);
        assertEquals(MAPPER.readTree("""
                {"message":{"token":"fcm-registration-token-1",
                  "notification":{"title":"New reply","body":"Ada: sounds good","image":"https://cdn.example/icon.png"},
                  "data":{"notification_id":"ntf_1","deep_link":"herald://c/general/m/9","subtitle":"in #general",
                          "topic":"chat-general","important":"true"},
                  "android":{"priority":"high","ttl":"7200s","collapse_key":"chat-general",
                             "notification":{"tag":"chat-general","notification_priority":"PRIORITY_HIGH"}}}}"""),
                MAPPER.readTree(sends().getFirst().body()));
        Request exchange = google.requests().getFirst();
        String assertion = URLDecoder.decode(exchange.text().replaceFirst(".*assertion=", ""), StandardCharsets.UTF_8);
        assertEquals(clock.instant().getEpochSecond(), TestJwt.verify(assertion, "RS256", serviceAccountKey).claims().path("iat").asLong());
    }

    @Test
    void ordinaryMessageIsNormalPriorityWithoutCollapseKey() throws Exception {
        PushOutcome outcome = sender.send(new Device.Fcm("dev_1", "tok"),
                new PushMessage("ntf_2", "Digest", null, "3 new posts", null, null, false, null, null));

        assertInstanceOf(PushOutcome.Sent.class, outcome);
        assertEquals(MAPPER.readTree("""
                {"message":{"token":"tok","notification":{"title":"Digest","body":"3 new posts"},
                  "data":{"notification_id":"ntf_2","important":"false"},
                  "android":{"priority":"normal","ttl":"2419200s","notification":{"notification_priority":"PRIORITY_DEFAULT"}}}}"""),
                MAPPER.readTree(sends().getFirst().body()));
    }

    @Test
    void oneOAuthExchangeServesManyConcurrentSends() throws Exception {
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<PushOutcome>> sends = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                sends.add(threads.submit(() -> send()));
            }
            for (Future<PushOutcome> f : sends) {
                assertInstanceOf(PushOutcome.Sent.class, f.get());
            }
        }
        assertEquals(1, EXCHANGES.get(), "concurrent first sends share one token request");
        assertEquals(32, sends().size());
        assertEquals(1, sends().stream().map(r -> r.header("authorization")).distinct().count());
        assertEquals(1, google.requests().stream().map(Request::connection).distinct().count(), "one shared connection");
    }

    @Test
    void accessTokenIsRefreshedFiveMinutesBeforeItExpires() {
        send();
        clock.advance(Duration.ofMinutes(54).plusSeconds(59));
        send();
        assertEquals(1, EXCHANGES.get());

        clock.advance(Duration.ofSeconds(1));
        send();
        assertEquals(2, EXCHANGES.get());
        assertEquals("Bearer ya29.fake-2", sends().getLast().header("authorization"));
    }

    @Test
    void unauthorizedDropsTheAccessTokenAndRetries() {
        send();
        SEND_SCRIPT.add(Answer.json(401, """
                {"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"""));
        assertEquals(new PushOutcome.Retry(null, "401 UNAUTHENTICATED: Request had invalid authentication credentials."), send());

        assertInstanceOf(PushOutcome.Sent.class, send());
        assertEquals(2, EXCHANGES.get());
        List<String> used = sends().stream().map(r -> r.header("authorization")).toList();
        assertEquals(List.of("Bearer ya29.fake-1", "Bearer ya29.fake-1", "Bearer ya29.fake-2"), used);
    }

    @Test
    void answersMapToOutcomesAsFcmDocumentsThem() {
        Map<Answer, PushOutcome> cases = new LinkedHashMap<>();
        cases.put(fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"),
                new PushOutcome.Gone("404 UNREGISTERED: Requested entity was not found."));
        cases.put(fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT"),
                new PushOutcome.Gone("400 INVALID_ARGUMENT: The registration token is not a valid FCM registration token"));
        cases.put(Answer.json(400, """
                {"error":{"code":400,"message":"Invalid value at 'message.token'","status":"INVALID_ARGUMENT",
                  "details":[{"@type":"type.googleapis.com/google.rpc.BadRequest",
                              "fieldViolations":[{"field":"message.token","description":"Invalid registration token"}]}]}}"""),
                new PushOutcome.Gone("400 INVALID_ARGUMENT: Invalid value at 'message.token'"));
        cases.put(Answer.json(400, """
                {"error":{"code":400,"message":"Invalid value at 'message.data[0].value' (TYPE_STRING), 12","status":"INVALID_ARGUMENT",
                  "details":[{"@type":"type.googleapis.com/google.rpc.BadRequest",
                              "fieldViolations":[{"field":"message.data[0].value","description":"Invalid value"}]}]}}"""),
                new PushOutcome.Failed("400 INVALID_ARGUMENT: Invalid value at 'message.data[0].value' (TYPE_STRING), 12"));
        cases.put(fcmError(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"),
                new PushOutcome.Gone("403 SENDER_ID_MISMATCH: SenderId mismatch"));
        cases.put(fcmError(403, "PERMISSION_DENIED", "Permission denied", null),
                new PushOutcome.Failed("403 PERMISSION_DENIED: Permission denied"));
        cases.put(fcmError(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR"),
                new PushOutcome.Failed("401 THIRD_PARTY_AUTH_ERROR: Auth error from APNS or Web Push Service"));
        cases.put(fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded", "QUOTA_EXCEEDED").with("retry-after", "17"),
                new PushOutcome.Retry(Duration.ofSeconds(17), "429 QUOTA_EXCEEDED: Quota exceeded"));
        cases.put(fcmError(500, "INTERNAL", "Internal error", "INTERNAL"),
                new PushOutcome.Retry(null, "500 INTERNAL: Internal error"));
        cases.put(fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE").with("retry-after", "60"),
                new PushOutcome.Retry(Duration.ofSeconds(60), "503 UNAVAILABLE: The service is currently unavailable."));
        cases.put(new Answer(404, Map.of("content-type", "text/html"), "<html>Not Found</html>".getBytes(StandardCharsets.UTF_8)),
                new PushOutcome.Failed("404 HTTP"));

        List<PushOutcome> expected = new ArrayList<>();
        List<PushOutcome> actual = new ArrayList<>();
        cases.forEach((answer, outcome) -> {
            SEND_SCRIPT.add(answer);
            expected.add(outcome);
            actual.add(send());
        });
        assertEquals(expected, actual);
        assertEquals(1, EXCHANGES.get(), "none of these answers touches the access token");
    }

    @Test
    void rejectedTokenRequestFailsAndBusyTokenEndpointIsRetried() {
        TOKEN_SCRIPT.add(Answer.json(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}"));
        assertEquals(new PushOutcome.Failed("OAuth token request rejected: 400 invalid_grant: Invalid JWT Signature."), send());

        clock.advance(Duration.ofSeconds(2));
        TOKEN_SCRIPT.add(Answer.of(503).with("retry-after", "5"));
        assertEquals(new PushOutcome.Retry(Duration.ofSeconds(5), "OAuth token endpoint answered 503"), send());
        assertEquals(new PushOutcome.Retry(Duration.ofSeconds(5), "OAuth token endpoint answered 503"), send(),
                "sends right behind a failed refresh get its answer instead of asking again");
        assertEquals(2, EXCHANGES.get());
        assertTrue(sends().isEmpty(), "nothing is sent without an access token");

        clock.advance(Duration.ofSeconds(2));
        assertInstanceOf(PushOutcome.Sent.class, send());
        assertEquals(3, EXCHANGES.get());
    }

    @Test
    void aFailedRefreshKeepsUsingTheTokenUntilItExpires() {
        send();
        clock.advance(Duration.ofMinutes(56));
        TOKEN_SCRIPT.add(Answer.of(500));

        assertInstanceOf(PushOutcome.Sent.class, send());
        assertEquals(2, EXCHANGES.get());
        assertEquals("Bearer ya29.fake-1", sends().getLast().header("authorization"));
    }

    @Test
    void unreachableFcmIsRetried() throws Exception {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("https://127.0.0.1:" + socket.getLocalPort());
        }
        FcmCredentials offline = new FcmCredentials(PROJECT, EMAIL, credentials.privateKey(), closed.resolve("/token"));
        PushOutcome outcome = new FcmSender(offline, closed, client, clock).send(new Device.Fcm("dev_1", "tok"),
                new PushMessage("ntf_1", "t", null, "b", null, null, false, null, null));

        PushOutcome.Retry retry = assertInstanceOf(PushOutcome.Retry.class, outcome);
        assertNull(retry.after());
        assertTrue(retry.reason().startsWith("network error: "), retry.reason());
    }

    @Test
    void otherDevicesAreAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> sender.send(new Device.Web("d", "https://x", "k", "a"),
                new PushMessage("ntf_1", "t", null, "b", null, null, false, null, null)));
    }

    private static Answer fcmError(int code, String status, String message, String errorCode) {
        ObjectNode error = MAPPER.createObjectNode();
        error.putObject("error").put("code", code).put("message", message).put("status", status);
        if (errorCode != null) {
            ((ObjectNode) error.get("error")).putArray("details").addObject()
                    .put("@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError").put("errorCode", errorCode);
        }
        return Answer.json(code, error.toString());
    }
}
