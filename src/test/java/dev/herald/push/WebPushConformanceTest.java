package dev.herald.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.conformance.Npm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What WebPushSender puts on the wire, read back by independent code: the test plays the browser
 * (subscription key pair and auth secret), captures the requests at a fake push service, and
 * {@code conformance/tools/webpush-decrypt.mjs} decrypts them with the npm {@code http_ece} package
 * and verifies the VAPID header with node's crypto. Needs Node.js 20+ and npm on the PATH.
 */
class WebPushConformanceTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SUBJECT = "mailto:ops@herald.dev";
    private static final VapidKeys VAPID = VapidKeys.generate();
    private static FakeServer pushService;
    private static HttpClient client;
    private static WebPushSender sender;
    private static Path dir;

    private final KeyPair browser = TestKeys.ec("secp256r1");
    private final byte[] authSecret = new byte[16];

    @TempDir
    Path work;

    @BeforeAll
    static void start() throws Exception {
        dir = Npm.conformanceDir();
        Npm.install(dir);
        pushService = FakeServer.http(request -> FakeServer.Answer.of(201));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        sender = new WebPushSender(VAPID, SUBJECT, client, true);
    }

    @AfterAll
    static void stop() {
        client.close();
        pushService.close();
    }

    @Test
    void browsersCanDecryptWhatIsSentAndVerifyItsVapidToken() throws Exception {
        PushMessage full = new PushMessage("ntf_1", "New reply", "in #général", "Zoë: sounds good 👍", "https://herald.dev/c/general/m/9",
                "https://cdn.example/icon.png", true, "chat-general", Duration.ofHours(1));
        PushMessage bare = new PushMessage("ntf_2", null, null, "ping", null, null, false, null, null);

        assertEquals(MAPPER.readTree("""
                {"title":"New reply","subtitle":"in #général","body":"Zoë: sounds good 👍","url":"https://herald.dev/c/general/m/9",
                 "icon":"https://cdn.example/icon.png","notification_id":"ntf_1","important":true}"""), decrypted(full, input -> { }));
        assertEquals(MAPPER.readTree("""
                {"body":"ping","notification_id":"ntf_2","important":false}"""), decrypted(bare, input -> { }));
    }

    @Test
    void theLargestPayloadStillDecryptsAsOneRecord() throws Exception {
        String skeleton = new String(WebPushSender.payload(new PushMessage("ntf_3", null, null, "", null, null, false, null, null)), StandardCharsets.UTF_8);
        String body = "x".repeat(WebPushCrypto.MAX_PLAINTEXT - skeleton.length());
        PushMessage largest = new PushMessage("ntf_3", null, null, body, null, null, false, null, null);
        assertEquals(WebPushCrypto.MAX_PLAINTEXT, WebPushSender.payload(largest).length);

        assertEquals(body, decrypted(largest, input -> { }).path("body").asText());
        assertEquals(4096, pushService.requests().getLast().body().length);
    }

    /** The checks can fail: a flipped ciphertext bit, a wrong audience or someone else's key are all caught. */
    @Test
    void tamperedRequestsAreRejected() throws Exception {
        PushMessage message = new PushMessage("ntf_4", "t", null, "b", null, null, false, null, null);

        assertRejected(message, input -> {
            byte[] body = Base64.getUrlDecoder().decode(input.path("body_b64").asText());
            body[body.length - 20] ^= 1;
            input.put("body_b64", b64(body));
        }, "cannot decrypt");
        assertRejected(message, input -> input.put("audience", "https://fcm.googleapis.com"), "JWT aud is");
        assertRejected(message, input -> input.put("vapid_public_key", VapidKeys.generate().publicKey()), "k is not the expected VAPID public key");
        assertRejected(message, input -> input.put("subject", "mailto:someone@else.example"), "JWT sub is");
    }

    private JsonNode decrypted(PushMessage message, Consumer<ObjectNode> tamper) throws Exception {
        Npm.Result result = runDecrypt(message, tamper);
        assertEquals(0, result.exitCode(), () -> "webpush-decrypt.mjs failed:\n" + result.tail());
        return MAPPER.readTree(result.lastLine());
    }

    private void assertRejected(PushMessage message, Consumer<ObjectNode> tamper, String expected) throws Exception {
        Npm.Result result = runDecrypt(message, tamper);
        assertNotEquals(0, result.exitCode(), result.tail());
        assertTrue(result.tail().contains(expected), result.tail());
    }

    private Npm.Result runDecrypt(PushMessage message, Consumer<ObjectNode> tamper) throws Exception {
        new SecureRandom().nextBytes(authSecret);
        String uaPublic = b64(Keys.raw((ECPublicKey) browser.getPublic()));
        Device.Web subscription = new Device.Web("dev_1", pushService.uri("/push/sub1").toString(), uaPublic, b64(authSecret));
        assertInstanceOf(PushOutcome.Sent.class, sender.send(subscription, message));
        FakeServer.Request request = pushService.requests().getLast();

        ObjectNode input = MAPPER.createObjectNode()
                .put("body_b64", b64(request.body()))
                .put("ua_private_key", b64(Keys.raw((ECPrivateKey) browser.getPrivate())))
                .put("ua_public_key", uaPublic)
                .put("auth_secret", b64(authSecret))
                .put("authorization", request.header("authorization"))
                .put("audience", "http://127.0.0.1:" + pushService.uri("/").getPort())
                .put("subject", SUBJECT)
                .put("vapid_public_key", VAPID.publicKey());
        tamper.accept(input);
        Path file = Files.createTempFile(work, "request", ".json");
        Files.writeString(file, input.toString());
        return Npm.run(dir, List.of(Npm.executable("node"), "tools/webpush-decrypt.mjs", file.toString()), Map.of(), 1, "webpush-decrypt");
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
