package dev.herald.push;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.push.FakeServer.Answer;
import dev.herald.push.FakeServer.Request;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ApnsSender against fake APNs servers (production and sandbox): HTTP/2 over TLS on loopback that
 * check each request the way Apple documents it (path, headers, ES256 provider token signed by the
 * team's key) and answer as scripted.
 */
class ApnsSenderTest {
    private static final String KEY_ID = "ABC123DEFG";
    private static final String TEAM_ID = "DEF123GHIJ";
    private static final String BUNDLE = "dev.herald.app";
    private static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    private static final Pattern PATH = Pattern.compile("/3/device/([0-9a-f]+)");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final ConcurrentLinkedQueue<Answer> SCRIPT = new ConcurrentLinkedQueue<>();
    private static PublicKey teamPublicKey;
    private static ApnsCredentials credentials;
    private static FakeServer apns;
    private static FakeServer sandboxApns;
    private static EventLoopGroup loop;

    private final TestClock clock = new TestClock(Instant.parse("2025-03-01T12:00:00Z"));
    private ApnsSender sender;

    @BeforeAll
    static void startFakeApns() {
        KeyPair team = TestKeys.ec("secp256r1");
        teamPublicKey = team.getPublic();
        credentials = ApnsCredentials.parse(TestKeys.pem(team.getPrivate()), KEY_ID, TEAM_ID);
        apns = FakeServer.https(ApnsSenderTest::answer);
        sandboxApns = FakeServer.https(ApnsSenderTest::answer);
        loop = new NioEventLoopGroup(1);
    }

    @AfterAll
    static void stopFakeApns() {
        apns.close();
        sandboxApns.close();
        loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    @BeforeEach
    void newSender() {
        sender = sender(apns.uri(""), sandboxApns.uri(""), Duration.ofSeconds(10));
    }

    private ApnsSender sender(URI production, URI sandbox, Duration requestTimeout) {
        return new ApnsSender(credentials, production, sandbox, List.of(TestTls.get().certificate()), loop, clock, requestTimeout);
    }

    @AfterEach
    void checkWhatWasSent() {
        sender.close();
        SCRIPT.clear();
        try {
            apns.assertNoFailures();
            sandboxApns.assertNoFailures();
        } finally {
            apns.reset();
            sandboxApns.reset();
        }
    }

    /** What APNs checks before it looks at the notification. */
    private static Answer answer(Request request) throws Exception {
        assertEquals("POST", request.method());
        assertEquals("2.0", request.protocolVersion(), "APNs only speaks HTTP/2");
        Matcher path = PATH.matcher(request.path());
        assertTrue(path.matches(), "path " + request.path());
        String authorization = request.header("authorization");
        assertTrue(authorization.startsWith("bearer "), authorization);
        TestJwt jwt = TestJwt.verifyAsApns(authorization.substring("bearer ".length()), teamPublicKey);
        assertEquals(KEY_ID, jwt.header().path("kid").asText());
        assertEquals(TEAM_ID, jwt.claims().path("iss").asText());
        assertTrue(jwt.claims().path("iat").isIntegralNumber());
        assertEquals(BUNDLE, request.header("apns-topic"));
        assertEquals("alert", request.header("apns-push-type"));
        Answer scripted = SCRIPT.poll();
        return scripted != null ? scripted : Answer.of(200).with("apns-id", "11111111-2222-3333-4444-" + path.group(1).substring(0, 12));
    }

    private static PushMessage message(boolean important, String topic, Duration ttl) {
        return new PushMessage("ntf_1", "New reply", "in #general", "Ada: sounds good", "herald://c/general/m/9",
                "https://cdn.example/icon.png", important, topic, ttl);
    }

    private PushOutcome send(boolean sandbox) {
        return sender.send(new Device.Apns("dev_1", TOKEN, BUNDLE, sandbox), message(true, "chat-general", Duration.ofHours(1)));
    }

    @Test
    void importantAlertGoesOutOverHttp2WithApplesHeadersAndPayload() throws Exception {
        PushOutcome outcome = send(false);

        assertEquals(new PushOutcome.Sent(200, "11111111-2222-3333-4444-a1b2c3d4e5f6"), outcome);
        Request request = apns.requests().getFirst();
        assertEquals("/3/device/" + TOKEN, request.path());
        assertEquals("10", request.header("apns-priority"));
        assertEquals(Long.toString(clock.instant().getEpochSecond() + 3600), request.header("apns-expiration"));
        assertEquals("chat-general", request.header("apns-collapse-id"));
        TestJwt jwt = TestJwt.verifyAsApns(request.header("authorization").substring(7), teamPublicKey);
        // pushy signs with the wall clock, not ours.
        assertTrue(Math.abs(Instant.now().getEpochSecond() - jwt.claims().path("iat").asLong()) < 60, jwt.claims().toString());
        assertTrue(sandboxApns.requests().isEmpty());
        assertEquals(MAPPER.readTree("""
                {"aps":{"alert":{"title":"New reply","subtitle":"in #general","body":"Ada: sounds good"},
                        "sound":"default","interruption-level":"time-sensitive","thread-id":"chat-general"},
                 "deep_link":"herald://c/general/m/9","notification_id":"ntf_1"}"""), MAPPER.readTree(request.body()));
    }

    @Test
    void ordinaryAlertIsQuietLowPriorityAndSandboxTokensGoToTheSandbox() throws Exception {
        PushMessage quiet = new PushMessage("ntf_2", "Digest", null, "3 new posts", null, null, false, null, Duration.ZERO);

        PushOutcome outcome = sender.send(new Device.Apns("dev_1", TOKEN, BUNDLE, true), quiet);

        assertInstanceOf(PushOutcome.Sent.class, outcome);
        assertTrue(apns.requests().isEmpty());
        Request request = sandboxApns.requests().getFirst();
        assertEquals("/3/device/" + TOKEN, request.path());
        assertEquals("5", request.header("apns-priority"));
        assertEquals("0", request.header("apns-expiration"), "a zero ttl means deliver now or never");
        assertNull(request.header("apns-collapse-id"));
        assertEquals(MAPPER.readTree("""
                {"aps":{"alert":{"title":"Digest","body":"3 new posts"}},"notification_id":"ntf_2"}"""),
                MAPPER.readTree(request.body()));
    }

    @Test
    void topicsLongerThan64BytesBecomeAStableDigest() {
        String longTopic = "channel-" + "x".repeat(80);
        sender.send(new Device.Apns("dev_1", TOKEN, BUNDLE, false), message(false, longTopic, Duration.ofHours(1)));
        sender.send(new Device.Apns("dev_1", TOKEN, BUNDLE, false), message(false, longTopic, Duration.ofHours(1)));
        sender.send(new Device.Apns("dev_1", TOKEN, BUNDLE, false), message(false, longTopic + "y", Duration.ofHours(1)));

        List<String> ids = apns.requests().stream().map(r -> r.header("apns-collapse-id")).toList();
        assertTrue(ids.getFirst().length() <= 64, ids.getFirst());
        assertEquals(ids.get(0), ids.get(1));
        assertNotEquals(ids.get(0), ids.get(2));
    }

    @Test
    void answersMapToOutcomesAsAppleDocumentsThem() {
        Map<Answer, PushOutcome> cases = new LinkedHashMap<>();
        cases.put(Answer.json(410, "{\"reason\":\"Unregistered\",\"timestamp\":1740830400000}"), new PushOutcome.Gone("410 Unregistered"));
        cases.put(Answer.json(410, "{\"reason\":\"ExpiredToken\"}"), new PushOutcome.Gone("410 ExpiredToken"));
        cases.put(Answer.json(400, "{\"reason\":\"BadDeviceToken\"}"), new PushOutcome.Gone("400 BadDeviceToken"));
        cases.put(Answer.json(400, "{\"reason\":\"DeviceTokenNotForTopic\"}"), new PushOutcome.Gone("400 DeviceTokenNotForTopic"));
        cases.put(Answer.json(400, "{\"reason\":\"BadCollapseId\"}"), new PushOutcome.Failed("400 BadCollapseId"));
        cases.put(Answer.json(403, "{\"reason\":\"TopicDisallowed\"}"), new PushOutcome.Failed("403 TopicDisallowed"));
        cases.put(Answer.json(413, "{\"reason\":\"PayloadTooLarge\"}"), new PushOutcome.Failed("413 PayloadTooLarge"));
        cases.put(Answer.json(403, "{\"reason\":\"InvalidProviderToken\"}"), new PushOutcome.Retry(null, "403 InvalidProviderToken"));
        // APNs documents no Retry-After: the retry schedule decides when.
        cases.put(Answer.json(429, "{\"reason\":\"TooManyRequests\"}"), new PushOutcome.Retry(null, "429 TooManyRequests"));
        cases.put(Answer.json(500, "{\"reason\":\"InternalServerError\"}"), new PushOutcome.Retry(null, "500 InternalServerError"));
        cases.put(Answer.json(503, "{\"reason\":\"ServiceUnavailable\"}"), new PushOutcome.Retry(null, "503 ServiceUnavailable"));
        cases.put(Answer.json(502, "<html>Bad Gateway</html>"), new PushOutcome.Retry(null, "HTTP 502"));

        List<PushOutcome> expected = new ArrayList<>();
        List<PushOutcome> actual = new ArrayList<>();
        cases.forEach((answer, outcome) -> {
            SCRIPT.add(answer);
            expected.add(outcome);
            actual.add(send(false));
        });
        assertEquals(expected, actual);
    }

    @Test
    void aBurstOfSendsSharesOneConnectionAndOneProviderToken() throws Exception {
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<PushOutcome>> sends = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                sends.add(threads.submit(() -> send(false)));
            }
            for (Future<PushOutcome> f : sends) {
                assertInstanceOf(PushOutcome.Sent.class, f.get());
            }
        }
        assertEquals(40, apns.requests().size());
        assertEquals(1, apns.requests().stream().map(Request::connection).distinct().count(),
                "a cold burst of sends shares one multiplexed HTTP/2 connection");
        assertEquals(1, authorizations().size(), "one JWT for every send (pushy re-signs every 50 minutes)");
        assertEquals(Duration.ofMinutes(50), ApnsSender.TOKEN_REFRESH);
    }

    @Test
    void anExpiredProviderTokenIsRetriedWithAFreshOne() {
        send(false);
        SCRIPT.add(Answer.json(403, "{\"reason\":\"ExpiredProviderToken\"}"));
        assertEquals(new PushOutcome.Retry(null, "403 ExpiredProviderToken"), send(false));
        assertInstanceOf(PushOutcome.Sent.class, send(false));

        List<String> used = apns.requests().stream().map(r -> r.header("authorization")).toList();
        assertEquals(used.get(0), used.get(1), "the rejected token was the one in use");
        assertNotEquals(used.get(1), used.get(2), "a fresh token after ExpiredProviderToken");
    }

    @Test
    void anApnsThatNeverAnswersIsRetriedAfterTheRequestTimeout() throws Exception {
        // Accepts TCP connections and never says a word: no TLS handshake, no answer.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ApnsSender waiting = sender(URI.create("https://127.0.0.1:" + silent.getLocalPort()), sandboxApns.uri(""), Duration.ofSeconds(1))) {
            long start = System.nanoTime();
            PushOutcome outcome = waiting.send(new Device.Apns("dev_1", TOKEN, BUNDLE, false), message(false, null, null));

            assertEquals(new PushOutcome.Retry(null, "network error: IOException: no answer from APNs within 1 s"), outcome);
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "the send gave up after its timeout");
        }
    }

    @Test
    void tokensThatCannotBeApnsTokensAreGoneWithoutAsking() {
        PushOutcome outcome = sender.send(new Device.Apns("dev_1", "not/a/token", BUNDLE, false), message(false, null, null));

        assertInstanceOf(PushOutcome.Gone.class, outcome);
        assertTrue(apns.requests().isEmpty());
    }

    @Test
    void unreachableApnsIsRetried() throws Exception {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("https://127.0.0.1:" + socket.getLocalPort());
        }
        PushOutcome outcome;
        try (ApnsSender offline = sender(closed, closed, Duration.ofSeconds(10))) {
            outcome = offline.send(new Device.Apns("dev_1", TOKEN, BUNDLE, false), message(false, null, null));
        }

        PushOutcome.Retry retry = assertInstanceOf(PushOutcome.Retry.class, outcome);
        assertNull(retry.after());
        assertTrue(retry.reason().startsWith("network error: "), retry.reason());
    }

    @Test
    void otherDevicesAreAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> sender.send(new Device.Fcm("dev_2", "t"), message(false, null, null)));
    }

    private Set<String> authorizations() {
        Set<String> seen = new HashSet<>();
        apns.requests().forEach(r -> seen.add(r.header("authorization")));
        assertFalse(seen.isEmpty());
        return seen;
    }
}
