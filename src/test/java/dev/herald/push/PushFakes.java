package dev.herald.push;

import dev.herald.Config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fake APNs (HTTP/2 over TLS), FCM (token endpoint and messages:send, over TLS) and a fake Web Push
 * service, as real servers on loopback, started once for the whole suite: the test server pushes to
 * them (see TestServer). Answers are scripted per device token or endpoint path; unscripted pushes succeed.
 */
public final class PushFakes {
    private static PushFakes instance;
    private static final Pattern FCM_TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");

    final FakeServer apns;
    final FakeServer fcm;
    final FakeServer web;
    private final Path trustPem;
    private final Map<String, Deque<FakeServer.Answer>> scripts = new ConcurrentHashMap<>();

    private PushFakes() throws Exception {
        apns = FakeServer.https(request -> next(request.path().substring(request.path().lastIndexOf('/') + 1),
                FakeServer.Answer.of(200).with("apns-id", "apns-" + System.nanoTime())));
        fcm = FakeServer.https(request -> {
            if (request.path().equals("/token")) {
                return FakeServer.Answer.json(200, "{\"access_token\":\"fake-access\",\"expires_in\":3600,\"token_type\":\"Bearer\"}");
            }
            Matcher token = FCM_TOKEN.matcher(request.text());
            return next(token.find() ? token.group(1) : "", FakeServer.Answer.json(200, "{\"name\":\"projects/herald-test/messages/1\"}"));
        });
        web = FakeServer.http(request -> next(request.path(), FakeServer.Answer.of(201).with("location", "/m/" + System.nanoTime())));
        trustPem = Files.createTempFile("herald-push-trust", ".pem");
        trustPem.toFile().deleteOnExit();
        Files.writeString(trustPem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(TestTls.get().certificate().getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    public static synchronized PushFakes get() {
        if (instance == null) {
            try {
                instance = new PushFakes();
            } catch (Exception e) {
                throw new IllegalStateException("could not start the fake push providers", e);
            }
        }
        return instance;
    }

    /** Herald's push settings pointing at these fakes; http and loopback Web Push endpoints allowed. */
    public Config.Push config() {
        return new Config.Push(apns.uri(""), apns.uri(""), fcm.uri(""), trustPem, true, "mailto:tests@herald.invalid");
    }

    /** The next answers for a device token (APNs, FCM) or endpoint path (Web Push), in order; then success. */
    void script(String key, FakeServer.Answer... answers) {
        scripts.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).addAll(List.of(answers));
    }

    private FakeServer.Answer next(String key, FakeServer.Answer otherwise) {
        Deque<FakeServer.Answer> queue = scripts.get(key);
        FakeServer.Answer scripted = queue == null ? null : queue.poll();
        return scripted != null ? scripted : otherwise;
    }
}
