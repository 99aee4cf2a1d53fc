package dev.herald.push;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import dev.herald.auth.Permissions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import static dev.herald.World.created;
import static dev.herald.World.eventually;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: devices registered through the API, notifications sent through the API, pushes
 * received by the fake providers (PushFakes), and what Herald makes of their answers, seen
 * through the device list and the delivery status.
 */
class PushTest {
    static final PushFakes fakes = PushFakes.get();
    static World world;
    static Api app;

    @BeforeAll
    static void setUp() {
        world = new World();
        app = TestServer.as(world.appKey(Permissions.NOTIFICATION_CREATE));
        KeyPair apnsKey = TestKeys.ec("secp256r1");
        ok(TestServer.admin().put("/api/v1/push/credentials/apns", Map.of(
                "key_id", "KEY1234567", "team_id", "TEAM123456", "private_key", TestKeys.pem(apnsKey.getPrivate()))));
        ok(TestServer.admin().put("/api/v1/push/credentials/fcm", Map.of("service_account", Map.of(
                "type", "service_account", "project_id", "herald-test", "client_email", "push@herald-test.iam.gserviceaccount.com",
                "private_key", TestKeys.pem(TestKeys.rsa().getPrivate()), "token_uri", fakes.fcm.uri("/token").toString()))));
    }

    static String hexToken() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** A browser's subscription: its endpoint on the fake push service and its own keys. */
    static Map<String, Object> subscription(String path) {
        KeyPair ua = TestKeys.ec("secp256r1");
        byte[] point = Keys.raw((ECPublicKey) ua.getPublic());
        byte[] auth = new byte[16];
        ThreadLocalRandom.current().nextBytes(auth);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return Map.of("endpoint", fakes.web.uri(path).toString(),
                "keys", Map.of("p256dh", b64.encodeToString(point), "auth", b64.encodeToString(auth)));
    }

    /** Sends to an experience and returns the notification's id, read from a recipient's feed. */
    static String notify(String experienceId, String title, Api reader) {
        ok(app.post("/api/v1/notifications", Map.of("experience_id", experienceId, "title", title, "content", title + " body")));
        return idInFeed(reader, title);
    }

    static String idInFeed(Api reader, String title) {
        JsonNode feed = eventually(() -> ok(reader.get("/api/v1/notifications?first=50")),
                f -> f.get("data").findValuesAsText("subject").contains(title));
        for (JsonNode n : feed.get("data")) {
            if (n.get("subject").asText().equals(title)) {
                return n.get("id").asText();
            }
        }
        throw new AssertionError("not in the feed: " + title);
    }

    static JsonNode delivery(String notificationId) {
        return ok(app.get("/api/v1/notifications/" + notificationId + "/delivery")).get("push");
    }

    static List<FakeServer.Request> received(FakeServer server, String needle) {
        List<FakeServer.Request> out = new ArrayList<>();
        for (FakeServer.Request r : server.requests()) {
            if (r.path().contains(needle) || r.text().contains(needle)) {
                out.add(r);
            }
        }
        return out;
    }

    @Test
    void everyDeviceOfEveryRecipientGetsThePush() {
        String user = world.customer("pushed", world.productA);
        String outsider = world.customer("other", world.productB);
        Api phone = world.as(user);
        String ios = hexToken();
        String android = "fcm-" + hexToken();
        String webPath = "/push/" + hexToken();
        JsonNode iosDevice = created(phone.post("/api/v1/push/devices", Map.of("platform", "ios", "token", ios,
                "bundle_id", "dev.herald.test", "environment", "sandbox", "name", "iPhone")));
        assertEquals("push_device", iosDevice.get("object").asText());
        assertFalse(iosDevice.toString().contains(ios), "the token is not echoed");
        created(phone.post("/api/v1/push/devices", Map.of("platform", "android", "token", android)));
        JsonNode web = created(phone.post("/api/v1/push/devices", Map.of("platform", "web", "subscription", subscription(webPath))));
        assertFalse(web.toString().contains("p256dh"));
        created(world.as(outsider).post("/api/v1/push/devices", Map.of("platform", "android", "token", "outsider-" + hexToken())));
        assertEquals(3, ok(phone.get("/api/v1/push/devices")).get("data").size());

        String id = notify(world.experienceA, "Restock", phone);
        JsonNode status = eventually(() -> delivery(id), s -> s.get("status").asText().equals("done"));
        assertEquals(3, status.get("devices").asInt(), status.toString());
        assertEquals(3, status.get("sent").asInt(), status.toString());
        for (String platform : List.of("ios", "android", "web")) {
            assertEquals(1, status.get("platforms").get(platform).get("sent").asInt(), platform);
        }

        List<FakeServer.Request> toApple = received(fakes.apns, ios);
        assertEquals(1, toApple.size());
        assertEquals("/3/device/" + ios, toApple.getFirst().path());
        assertEquals("dev.herald.test", toApple.getFirst().header("apns-topic"));
        assertTrue(toApple.getFirst().text().contains("\"title\":\"Restock\""), toApple.getFirst().text());
        assertTrue(toApple.getFirst().text().contains(world.experienceA), "deep link to the experience: " + toApple.getFirst().text());
        List<FakeServer.Request> toGoogle = received(fakes.fcm, android);
        assertEquals(1, toGoogle.size());
        assertTrue(toGoogle.getFirst().text().contains("Restock body"));
        assertEquals("Bearer fake-access", toGoogle.getFirst().header("authorization"));
        List<FakeServer.Request> toBrowser = received(fakes.web, webPath);
        assertEquals(1, toBrowser.size());
        assertEquals("aes128gcm", toBrowser.getFirst().header("content-encoding"));
        assertTrue(toBrowser.getFirst().header("authorization").startsWith("vapid t="));
        assertFalse(new String(toBrowser.getFirst().body()).contains("Restock"), "the payload is encrypted");
        assertTrue(received(fakes.fcm, "outsider-").isEmpty(), "a user outside the audience gets nothing");
    }

    @Test
    void anAudienceLargerThanABatchGetsOnePushPerDevice() throws Exception {
        // A tenant of its own: other tests here count the devices their experience reaches.
        World own = new World();
        Api ownApp = TestServer.as(own.appKey(Permissions.NOTIFICATION_CREATE));
        Api phone = own.as(own.customer("many-phones", own.productA));
        int devices = Pusher.BATCH * 2 + 1; // three batches, the last of one device
        String prefix = "batch-" + hexToken().substring(0, 8) + "-";
        try (var threads = Executors.newFixedThreadPool(8)) {
            List<Future<?>> registered = new ArrayList<>();
            for (int i = 0; i < devices; i++) {
                String token = prefix + i;
                registered.add(threads.submit(() -> created(phone.post("/api/v1/push/devices", Map.of("platform", "android", "token", token)))));
            }
            for (var f : registered) {
                f.get();
            }
        }

        ok(ownApp.post("/api/v1/notifications", Map.of("experience_id", own.experienceA, "title", "Everyone", "content", "Everyone body")));
        String id = idInFeed(phone, "Everyone");
        JsonNode status = eventually(() -> ok(ownApp.get("/api/v1/notifications/" + id + "/delivery")).get("push"),
                s -> s.get("status").asText().equals("done"), Duration.ofSeconds(60));

        assertEquals(devices, status.get("platforms").get("android").get("sent").asInt(), status.toString());
        List<String> paths = new ArrayList<>();
        for (FakeServer.Request r : received(fakes.fcm, prefix)) {
            if (r.text().contains("Everyone")) {
                String text = r.text();
                int at = text.indexOf(prefix);
                paths.add(text.substring(at, text.indexOf('"', at)));
            }
        }
        assertEquals(devices, paths.size(), "one push per device");
        assertEquals(devices, new HashSet<>(paths).size(), "every device, none twice");
    }

    @Test
    void goneTokensAreRemovedAndFailuresRecorded() {
        String user = world.customer("gone", world.productA);
        Api phone = world.as(user);
        String dead = hexToken();
        String webPath = "/push/" + hexToken();
        created(phone.post("/api/v1/push/devices", Map.of("platform", "ios", "token", dead, "bundle_id", "dev.herald.test")));
        created(phone.post("/api/v1/push/devices", Map.of("platform", "web", "subscription", subscription(webPath))));
        fakes.script(dead, FakeServer.Answer.json(410, "{\"reason\":\"Unregistered\",\"timestamp\":1700000000000}"));
        fakes.script(webPath, FakeServer.Answer.of(413));

        String id = notify(world.experienceA, "Gone", phone);
        JsonNode status = eventually(() -> delivery(id), s -> s.get("status").asText().equals("done")
                && s.get("platforms").get("ios").get("removed").asInt() == 1);
        assertEquals(1, status.get("platforms").get("web").get("failed").asInt(), status.toString());
        assertFalse(status.get("platforms").get("web").get("errors").isEmpty(), "the reason is kept: " + status);
        JsonNode devices = ok(phone.get("/api/v1/push/devices")).get("data");
        assertEquals(1, devices.size(), "the unregistered iPhone is gone: " + devices);
        assertEquals("web", devices.get(0).get("platform").asText());
    }

    @Test
    void retryableAnswersAreRetriedAfterBackoff() {
        String user = world.customer("retry", world.productB);
        String android = "retry-" + hexToken();
        created(world.as(user).post("/api/v1/push/devices", Map.of("platform", "android", "token", android)));
        fakes.script(android, FakeServer.Answer.json(503, "{\"error\":{\"code\":503,\"status\":\"UNAVAILABLE\",\"message\":\"busy\"}}")
                .with("retry-after", "1"));

        String id = notify(world.experienceB, "Later", world.as(user));
        JsonNode first = eventually(() -> delivery(id), s -> s.get("retrying").asInt() == 1);
        assertEquals("sending", first.get("status").asText(), "a retry is pending: " + first);
        int sentBefore = first.get("sent").asInt(); // other devices of product B's customers
        JsonNode done = eventually(() -> delivery(id), s -> s.get("retrying").asInt() == 0, Duration.ofSeconds(15));
        assertEquals(sentBefore + 1, done.get("sent").asInt(), done.toString());
        assertEquals("done", done.get("status").asText());
        assertEquals(2, received(fakes.fcm, android).size(), "one refused attempt, one delivered");
    }

    @Test
    void preferencesSilenceATopicAndInAppOnlyIsNotPushed() {
        JsonNode topic = created(app.post("/api/v1/apps/" + world.appId + "/notification_topics", Map.of("identifier", "restock")));
        String user = world.customer("quiet", world.productA);
        Api phone = world.as(user);
        String android = "quiet-" + hexToken();
        created(phone.post("/api/v1/push/devices", Map.of("platform", "android", "token", android)));
        JsonNode pref = ok(phone.post("/api/v1/notification_preferences", Map.of("topic_id", topic.get("id").asText(),
                "channel", "push", "enabled", false)));
        assertFalse(pref.get("enabled").asBoolean());
        assertEquals(1, ok(phone.get("/api/v1/notification_preferences")).get("data").size());

        ok(app.post("/api/v2/app/notifications", Map.of("topic_identifier", "restock",
                "notification_data", Map.of("all", Map.of("subject", "Quiet", "content", "shh")),
                "targets", List.of(Map.of("users", List.of(user))))));
        String id = idInFeed(phone, "Quiet");
        JsonNode status = eventually(() -> delivery(id), s -> s.get("status").asText().equals("done"));
        assertEquals(1, status.get("skipped").asInt(), status.toString());
        assertEquals(0, status.get("sent").asInt());
        assertTrue(received(fakes.fcm, android).isEmpty());

        // Muting the topic in_app takes it out of the feed (what is already there too), and back when turned on.
        ok(phone.post("/api/v1/notification_preferences", Map.of("topic_id", topic.get("id").asText(), "channel", "in_app", "enabled", false)));
        assertFalse(ok(phone.get("/api/v1/notifications")).get("data").findValuesAsText("subject").contains("Quiet"));
        assertEquals(404, phone.get("/api/v1/notifications/" + id).status());
        ok(phone.post("/api/v1/notification_preferences", Map.of("topic_id", topic.get("id").asText(), "channel", "in_app", "enabled", true)));
        assertTrue(ok(phone.get("/api/v1/notifications")).get("data").findValuesAsText("subject").contains("Quiet"));

        // A topic off by default stays out of the feed (and off the phone) until the user turns it on.
        created(app.post("/api/v1/apps/" + world.appId + "/notification_topics",
                Map.of("identifier", "digest", "default_preference_value", false)));
        ok(app.post("/api/v2/app/notifications", Map.of("topic_identifier", "digest",
                "notification_data", Map.of("all", Map.of("subject", "Digest", "content", "weekly")),
                "targets", List.of(Map.of("users", List.of(user))))));
        ok(app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "After digest", "content", "x")));
        idInFeed(phone, "After digest"); // delivered after the digest, so the digest was delivered too
        assertFalse(ok(phone.get("/api/v1/notifications")).get("data").findValuesAsText("subject").contains("Digest"));
    }

    @Test
    void credentialsAreNeverReturnedAndBadInputIsRefused() {
        JsonNode list = ok(TestServer.admin().get("/api/v1/push/credentials"));
        assertFalse(list.toString().contains("PRIVATE KEY"), list.toString());
        assertTrue(list.toString().contains("KEY1234567"));
        assertEquals(400, TestServer.admin().put("/api/v1/push/credentials/apns", Map.of("key_id", "K", "team_id", "T",
                "private_key", "not a key")).status());
        assertEquals(403, app.put("/api/v1/push/credentials/apns", Map.of()).status(), "needs developer:manage_push");
        String user = world.customer("bad", world.productA);
        Api phone = world.as(user);
        assertEquals("parameter_invalid", phone.post("/api/v1/push/devices", Map.of("platform", "pager", "token", "x")).errorCode());
        assertEquals("parameter_invalid", phone.post("/api/v1/push/devices", Map.of("platform", "ios", "token", "zz",
                "bundle_id", "b")).errorCode());
        assertEquals(400, phone.post("/api/v1/push/devices", Map.of("platform", "web",
                "subscription", Map.of("endpoint", "ftp://x/y", "keys", Map.of("p256dh", "a", "auth", "b")))).status());
        assertEquals(403, app.post("/api/v1/push/devices", Map.of("platform", "android", "token", "t")).status());
        assertEquals(404, phone.delete("/api/v1/push/devices/device_nope").status());
        String key = ok(phone.get("/api/v1/push/vapid_public_key")).get("public_key").asText();
        assertEquals(87, key.length(), "a raw P-256 point, base64url");
        assertEquals(key, ok(phone.get("/api/v1/push/vapid_public_key")).get("public_key").asText(), "kept, not regenerated");
        assertEquals(404, phone.get("/api/v1/notifications/" + notify(world.experienceA, "Mine", phone) + "/delivery").status());
    }
}
