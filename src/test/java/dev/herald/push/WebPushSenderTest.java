package dev.herald.push;

import dev.herald.push.FakeServer.Answer;
import dev.herald.push.FakeServer.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebPushSender against a fake push service on loopback (plain HTTP, allowed by the test flag). The
 * test plays the browser: it makes the subscription's key pair and auth secret. That the body
 * decrypts is checked independently in {@link WebPushConformanceTest}; here the headers, the VAPID
 * token, the aes128gcm header and the answers are.
 */
class WebPushSenderTest {
    private static final String SUBJECT = "mailto:ops@herald.dev";
    private static final VapidKeys VAPID = VapidKeys.generate();
    private static final ConcurrentLinkedQueue<Answer> SCRIPT = new ConcurrentLinkedQueue<>();
    private static FakeServer pushService;
    private static FakeServer otherPushService;

    private final TestClock clock = new TestClock(Instant.parse("2025-03-01T12:00:00Z"));
    private final KeyPair browser = TestKeys.ec("secp256r1");
    private final byte[] authSecret = new byte[16];
    private HttpClient client;
    private WebPushSender sender;

    @BeforeAll
    static void startFakePushServices() {
        pushService = FakeServer.http(WebPushSenderTest::answer);
        otherPushService = FakeServer.http(WebPushSenderTest::answer);
    }

    @AfterAll
    static void stopFakePushServices() {
        pushService.close();
        otherPushService.close();
    }

    @BeforeEach
    void newSender() {
        new SecureRandom().nextBytes(authSecret);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        sender = new WebPushSender(VAPID, SUBJECT, client, true, clock);
    }

    @AfterEach
    void checkWhatWasSent() {
        client.close();
        SCRIPT.clear();
        try {
            pushService.assertNoFailures();
            otherPushService.assertNoFailures();
        } finally {
            pushService.reset();
            otherPushService.reset();
        }
    }

    private static Answer answer(Request request) {
        assertEquals("POST", request.method());
        assertTrue(request.path().startsWith("/push/"), request.path());
        Answer scripted = SCRIPT.poll();
        return scripted != null ? scripted : Answer.of(201).with("location", "https://push.example/m/" + request.path().substring(6));
    }

    private Device.Web subscription(FakeServer service, String id) {
        return new Device.Web("dev_" + id, service.uri("/push/" + id).toString(),
                b64(Keys.raw((ECPublicKey) browser.getPublic())), b64(authSecret));
    }

    private static PushMessage message(boolean important, String topic) {
        return new PushMessage("ntf_1", "New reply", "in #general", "Ada: sounds good", "https://herald.dev/c/general/m/9",
                "https://cdn.example/icon.png", important, topic, Duration.ofHours(1));
    }

    private PushOutcome send() {
        return sender.send(subscription(pushService, "sub1"), message(true, "chat-general"));
    }

    @Test
    void importantPushCarriesRfc8030HeadersAVapidTokenAndOneAes128gcmRecord() throws Exception {
        PushOutcome outcome = send();

        assertEquals(new PushOutcome.Sent(201, "https://push.example/m/sub1"), outcome);
        Request request = pushService.requests().getFirst();
        assertEquals("aes128gcm", request.header("content-encoding"));
        assertEquals("application/octet-stream", request.header("content-type"));
        assertEquals("3600", request.header("ttl"));
        assertEquals("high", request.header("urgency"));
        assertEquals("chat-general", request.header("topic"));

        String authorization = request.header("authorization");
        assertTrue(authorization.matches("vapid t=[A-Za-z0-9_.-]+, k=[A-Za-z0-9_-]+"), authorization);
        assertEquals(VAPID.publicKey(), authorization.substring(authorization.indexOf(", k=") + 4));
        String jwt = authorization.substring("vapid t=".length(), authorization.indexOf(", k="));
        TestJwt token = TestJwt.verify(jwt, "ES256", Keys.p256PublicKey(Base64.getUrlDecoder().decode(VAPID.publicKey()), "vapid"));
        assertEquals("JWT", token.header().path("typ").asText());
        assertEquals("http://127.0.0.1:" + pushService.uri("/").getPort(), token.claims().path("aud").asText());
        assertEquals(SUBJECT, token.claims().path("sub").asText());
        assertEquals(clock.instant().plus(Duration.ofHours(12)).getEpochSecond(), token.claims().path("exp").asLong());

        // RFC 8188 section 2.1: salt(16) || rs(4) || idlen(1) || keyid, then a single record.
        ByteBuffer body = ByteBuffer.wrap(request.body());
        body.position(16);
        assertEquals(4096, body.getInt());
        assertEquals(65, body.get());
        byte[] keyId = new byte[65];
        body.get(keyId);
        assertEquals(4, keyId[0]);
        assertFalse(Arrays.equals(Base64.getUrlDecoder().decode(VAPID.publicKey()), keyId), "the sender key is per message, not the VAPID key");
        int plaintext = WebPushSender.payload(message(true, "chat-general")).length;
        assertEquals(plaintext + 1 + 16, body.remaining(), "plaintext, the 0x02 delimiter and the GCM tag");
    }

    @Test
    void eachPushHasItsOwnSaltAndSenderKey() {
        send();
        send();

        byte[] first = pushService.requests().get(0).body();
        byte[] second = pushService.requests().get(1).body();
        assertFalse(Arrays.equals(Arrays.copyOf(first, 16), Arrays.copyOf(second, 16)));
        assertFalse(Arrays.equals(Arrays.copyOfRange(first, 21, 86), Arrays.copyOfRange(second, 21, 86)));
    }

    @Test
    void ordinaryPushIsNormalUrgencyAndTopicsAreKeptWithinRfc8030sAlphabet() {
        sender.send(subscription(pushService, "sub1"), message(false, null));
        sender.send(subscription(pushService, "sub1"), message(false, "chat/general: a room with a long name"));
        sender.send(subscription(pushService, "sub1"), message(false, "chat/general: a room with a long name"));
        sender.send(subscription(pushService, "sub1"), message(false, "chat/random"));

        List<Request> requests = pushService.requests();
        assertEquals("normal", requests.get(0).header("urgency"));
        assertNull(requests.get(0).header("topic"));
        String derived = requests.get(1).header("topic");
        assertTrue(derived.matches("[A-Za-z0-9_-]{32}"), derived);
        assertEquals(derived, requests.get(2).header("topic"), "the same topic collapses");
        assertNotEquals(derived, requests.get(3).header("topic"));
    }

    @Test
    void answersMapToOutcomes() {
        Map<Answer, PushOutcome> cases = new LinkedHashMap<>();
        cases.put(Answer.of(201).with("location", "https://push.example/m/1"), new PushOutcome.Sent(201, "https://push.example/m/1"));
        cases.put(Answer.of(202), new PushOutcome.Sent(202, null));
        cases.put(Answer.of(200), new PushOutcome.Sent(200, null));
        cases.put(Answer.of(404), new PushOutcome.Gone("push service answered 404"));
        cases.put(Answer.json(410, "{\"code\":410,\"errno\":106,\"error\":\"Gone\",\"message\":\"Request did not validate\"}"),
                new PushOutcome.Gone("push service answered 410: {\"code\":410,\"errno\":106,\"error\":\"Gone\",\"message\":\"Request did not validate\"}"));
        cases.put(Answer.json(400, "{\"error\":\"bad request\"}"), new PushOutcome.Failed("push service answered 400: {\"error\":\"bad request\"}"));
        cases.put(Answer.of(403), new PushOutcome.Failed("push service answered 403"));
        cases.put(Answer.of(413), new PushOutcome.Failed("push service answered 413"));
        cases.put(Answer.of(429).with("retry-after", "30"), new PushOutcome.Retry(Duration.ofSeconds(30), "push service answered 429"));
        cases.put(Answer.of(500), new PushOutcome.Retry(null, "push service answered 500"));
        cases.put(Answer.of(503).with("retry-after", "120"), new PushOutcome.Retry(Duration.ofSeconds(120), "push service answered 503"));

        List<PushOutcome> expected = new ArrayList<>();
        List<PushOutcome> actual = new ArrayList<>();
        cases.forEach((answer, outcome) -> {
            SCRIPT.add(answer);
            expected.add(outcome);
            actual.add(send());
        });
        assertEquals(expected, actual);
    }

    @Test
    void oneVapidTokenPerPushServiceReusedUntilAnHourBeforeItExpires() throws Exception {
        send();
        send();
        sender.send(subscription(otherPushService, "sub2"), message(false, null));
        clock.advance(Duration.ofHours(10).plusMinutes(59));
        send();

        List<String> tokens = pushService.requests().stream().map(r -> r.header("authorization")).distinct().toList();
        assertEquals(1, tokens.size(), "one token for the first 11 hours");
        String other = otherPushService.requests().getFirst().header("authorization");
        assertNotEquals(tokens.getFirst(), other);
        String otherJwt = other.substring("vapid t=".length(), other.indexOf(", k="));
        assertEquals("http://127.0.0.1:" + otherPushService.uri("/").getPort(),
                TestJwt.verify(otherJwt, "ES256", Keys.p256PublicKey(Base64.getUrlDecoder().decode(VAPID.publicKey()), "vapid"))
                        .claims().path("aud").asText());

        clock.advance(Duration.ofMinutes(1));
        send();
        String renewed = pushService.requests().getLast().header("authorization");
        assertNotEquals(tokens.getFirst(), renewed);
        String renewedJwt = renewed.substring("vapid t=".length(), renewed.indexOf(", k="));
        assertEquals(clock.instant().plus(Duration.ofHours(12)).getEpochSecond(),
                TestJwt.verify(renewedJwt, "ES256", Keys.p256PublicKey(Base64.getUrlDecoder().decode(VAPID.publicKey()), "vapid"))
                        .claims().path("exp").asLong());
    }

    @Test
    void plainHttpEndpointsAreRefusedUnlessTheTestFlagAllowsThem() {
        WebPushSender production = new WebPushSender(VAPID, SUBJECT, client);

        assertEquals(new PushOutcome.Gone("push endpoint is not a valid https URL"),
                production.send(subscription(pushService, "sub1"), message(false, null)));
        assertEquals(new PushOutcome.Gone("push endpoint is not a valid https URL"),
                production.send(new Device.Web("d", "not a url", "k", "a"), message(false, null)));
        assertTrue(pushService.requests().isEmpty());
    }

    @Test
    void subscriptionsWithUnusableKeysAreGone() {
        Device.Web good = subscription(pushService, "sub1");
        byte[] offCurve = Keys.raw((ECPublicKey) browser.getPublic());
        offCurve[64] ^= 1;

        assertEquals(new PushOutcome.Gone("subscription p256dh key is not a point on P-256"),
                sender.send(new Device.Web("d", good.endpoint(), b64(offCurve), good.auth()), message(false, null)));
        assertEquals(new PushOutcome.Gone("subscription auth secret must be 16 bytes, got 8"),
                sender.send(new Device.Web("d", good.endpoint(), good.p256dh(), b64(new byte[8])), message(false, null)));
        assertTrue(pushService.requests().isEmpty());
    }

    @Test
    void aPayloadTooLargeForOneRecordFailsBeforeSending() {
        PushMessage huge = new PushMessage("ntf_1", "t", null, "x".repeat(4000), null, null, false, null, null);

        PushOutcome.Failed failed = assertInstanceOf(PushOutcome.Failed.class, sender.send(subscription(pushService, "sub1"), huge));

        assertTrue(failed.reason().endsWith("a Web Push message holds at most 3993"), failed.reason());
        assertTrue(pushService.requests().isEmpty());
    }

    @Test
    void unreachablePushServiceIsRetried() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Device.Web gone = new Device.Web("d", "http://127.0.0.1:" + port + "/push/x", subscription(pushService, "x").p256dh(), b64(authSecret));

        PushOutcome.Retry retry = assertInstanceOf(PushOutcome.Retry.class, sender.send(gone, message(false, null)));

        assertNull(retry.after());
        assertTrue(retry.reason().startsWith("network error: "), retry.reason());
    }

    @Test
    void theSubjectMustBeAContactUrl() {
        assertThrows(IllegalArgumentException.class, () -> new WebPushSender(VAPID, "ops@herald.dev", client));
        assertThrows(IllegalArgumentException.class, () -> new WebPushSender(VAPID, "http://herald.dev", client));
        new WebPushSender(VAPID, "https://herald.dev/contact", client);
    }

    @Test
    void otherDevicesAreAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> sender.send(new Device.Fcm("d", "t"), message(false, null)));
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
