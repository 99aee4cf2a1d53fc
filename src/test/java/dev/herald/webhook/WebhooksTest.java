package dev.herald.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.events.Events;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Json;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import static dev.herald.World.created;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Webhooks end to end: the API, fan-out from the outbox, and delivery to real receivers on loopback
 * (the test server runs with HERALD_WEBHOOKS_ALLOW_PRIVATE=true), signatures checked by recomputing
 * the Standard Webhooks HMAC. Retries are brought forward by moving {@code next_attempt_at}, so the
 * production schedule is exercised without waiting for it.
 */
class WebhooksTest {
    static World world;
    static String customer;
    static String companyKey;
    static final Jdbi jdbi = TestServer.get().database().jdbi();
    final List<Receiver> receivers = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        world = new World();
        customer = world.customer("hooked", world.productA);
        companyKey = world.companyKey(Permissions.MANAGE_WEBHOOK);
    }

    @AfterEach
    void stopReceivers() {
        receivers.forEach(Receiver::close);
    }

    // --- API

    @Test
    void createRetrieveListUpdateDelete() {
        Api company = TestServer.as(companyKey);
        JsonNode hook = created(company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/in")));
        String id = hook.get("id").asText();
        assertTrue(id.startsWith("hook_"), id);
        assertTrue(hook.get("webhook_secret").asText().startsWith("whsec_"));
        assertEquals(32, Base64.getDecoder().decode(hook.get("webhook_secret").asText().substring(6)).length);
        assertEquals(world.companyId, hook.get("resource_id").asText());
        assertEquals(List.of("chat.message.created", "chat.reaction.created", "membership.activated", "membership.deactivated"),
                strings(hook.get("events")));
        assertTrue(hook.get("enabled").asBoolean());
        assertEquals("v1", hook.get("api_version").asText());
        assertFalse(hook.get("child_resource_events").asBoolean());
        assertEquals(0, hook.get("testable_events").size());

        JsonNode fetched = ok(company.get("/api/v1/webhooks/" + id));
        assertFalse(fetched.has("webhook_secret"), "the secret is shown once, at creation");
        assertEquals(hook.get("url"), fetched.get("url"));

        JsonNode page = ok(company.get("/api/v1/webhooks?company_id=" + world.companyId));
        assertTrue(ids(page).contains(id));

        JsonNode updated = ok(company.patch("/api/v1/webhooks/" + id, Map.of("events", List.of("membership.activated"),
                "enabled", false, "url", "https://hooks.example.test/v2")));
        assertEquals(List.of("membership.activated"), strings(updated.get("events")));
        assertFalse(updated.get("enabled").asBoolean());
        assertEquals("https://hooks.example.test/v2", updated.get("url").asText());

        assertEquals(true, ok(company.delete("/api/v1/webhooks/" + id)).asBoolean());
        assertEquals(404, company.get("/api/v1/webhooks/" + id).status());
    }

    @Test
    void listPagesNewestFirst() {
        World w = new World();
        Api company = TestServer.as(w.companyKey(Permissions.MANAGE_WEBHOOK));
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            made.addFirst(created(company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/" + i))).get("id").asText());
        }
        JsonNode first = ok(company.get("/api/v1/webhooks?company_id=" + w.companyId + "&first=2"));
        assertTrue(first.get("page_info").get("has_next_page").asBoolean());
        JsonNode second = ok(company.get("/api/v1/webhooks?company_id=" + w.companyId + "&first=2&after="
                + first.get("page_info").get("end_cursor").asText()));
        List<String> walked = new ArrayList<>(ids(first));
        walked.addAll(ids(second));
        assertEquals(made, walked);
        assertTrue(second.get("page_info").get("end_cursor").isNull());
        assertEquals(400, company.get("/api/v1/webhooks?company_id=" + w.companyId + "&last=2").status());
    }

    @Test
    void permissionsAndTenancy() {
        Api company = TestServer.as(companyKey);
        String id = created(company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/t"))).get("id").asText();

        Api withoutPermission = TestServer.as(world.companyKey(Permissions.CHAT_READ));
        assertEquals(403, withoutPermission.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/x")).status());
        assertEquals(403, withoutPermission.get("/api/v1/webhooks/" + id).status());
        assertEquals(403, world.as(customer).get("/api/v1/webhooks?company_id=" + world.companyId).status());
        assertEquals(403, world.as(customer).post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/x")).status());
        assertEquals(200, world.admin.get("/api/v1/webhooks/" + id).status());

        World other = new World();
        Api stranger = TestServer.as(other.companyKey(Permissions.MANAGE_WEBHOOK));
        assertEquals(404, stranger.get("/api/v1/webhooks/" + id).status());
        assertEquals(404, stranger.patch("/api/v1/webhooks/" + id, Map.of("enabled", false)).status());
        assertEquals(404, stranger.delete("/api/v1/webhooks/" + id).status());
        assertEquals(404, stranger.get("/api/v1/webhooks/" + id + "/deliveries").status());
        assertEquals(404, stranger.get("/api/v1/webhooks?company_id=" + world.companyId).status());
        assertEquals(404, stranger.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/x",
                "resource_id", world.experienceA)).status());
        assertFalse(ids(ok(stranger.get("/api/v1/webhooks?company_id=" + other.companyId))).contains(id));

        // An app's endpoints are the app's: the company's key does not see them, nor another app's key.
        Api app = TestServer.as(world.appKey(Permissions.MANAGE_WEBHOOK));
        JsonNode appHook = created(app.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/app")));
        assertEquals(world.appId, appHook.get("resource_id").asText());
        assertEquals(404, company.get("/api/v1/webhooks/" + appHook.get("id").asText()).status());
        assertEquals(404, TestServer.as(other.appKey(Permissions.MANAGE_WEBHOOK)).get("/api/v1/webhooks/" + appHook.get("id").asText()).status());
        assertEquals(404, TestServer.as(other.appKey(Permissions.MANAGE_WEBHOOK)).post("/api/v1/webhooks",
                Map.of("url", "https://hooks.example.test/x", "resource_id", world.companyId)).status());
        assertTrue(ids(ok(app.get("/api/v1/webhooks?company_id=" + world.companyId))).contains(appHook.get("id").asText()));
        assertFalse(ids(ok(company.get("/api/v1/webhooks?company_id=" + world.companyId))).contains(appHook.get("id").asText()));
        assertEquals(400, company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/x", "resource_id", world.appId)).status());

        // The admin names the resource; the endpoint then belongs to its owner.
        assertEquals(400, world.admin.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/x")).status());
        String adminMade = created(world.admin.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/a",
                "resource_id", world.productA))).get("id").asText();
        assertEquals(world.productA, ok(company.get("/api/v1/webhooks/" + adminMade)).get("resource_id").asText());
    }

    @Test
    void invalidSettingsAreRefused() {
        Api company = TestServer.as(companyKey);
        assertEquals("url", company.post("/api/v1/webhooks", Map.of("url", "ftp://hooks.example.test/")).errorParam());
        assertEquals("url", company.post("/api/v1/webhooks", Map.of("url", "https://user:pw@hooks.example.test/")).errorParam());
        assertEquals("url", company.post("/api/v1/webhooks", Map.of("url", "/relative")).errorParam());
        assertEquals("url", company.post("/api/v1/webhooks", Map.of()).errorParam());
        assertEquals("events", company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/",
                "events", List.of("payment.succeeded"))).errorParam());
        assertEquals("events", company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/",
                "events", List.of())).errorParam());
        assertEquals("api_version", company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/",
                "api_version", "v2")).errorParam());
        assertEquals(404, company.post("/api/v1/webhooks", Map.of("url", "https://hooks.example.test/",
                "resource_id", "exp_doesnotexist000")).status());
    }

    @Test
    void privateTargetsAreRefusedUnlessAllowed() throws Exception {
        WebhookService strict = new WebhookService(new WebhookStore(jdbi), TestServer.get().services().directory(), false);
        for (String url : List.of("http://127.0.0.1:9/", "http://localhost/", "http://10.1.2.3/", "http://[::1]/",
                "http://169.254.169.254/latest/meta-data")) {
            ApiException refused = assertThrows(ApiException.class, () -> strict.create(new Credential.Admin(),
                    Body.parse(Json.bytes(Map.of("url", url, "resource_id", world.companyId)))), url);
            assertEquals("url", refused.param(), url);
        }

        for (String address : List.of("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fd12:3456::1", "::ffff:10.0.0.1", "64:ff9b::7f00:1")) {
            assertFalse(Destinations.isPublic(InetAddress.getByName(address)), address);
        }
        for (String address : List.of("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111")) {
            assertTrue(Destinations.isPublic(InetAddress.getByName(address)), address);
        }

        // At send time, the address the name resolves to is what is checked, and nothing is sent.
        Receiver receiver = receiver(n -> Reply.status(200));
        WebhookHttp.Result result = new WebhookHttp(new Destinations(false), WebhookHttp.TIMEOUT)
                .post(receiver.url("/in"), Map.of("webhook-id", "evt_x"), "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, result.status());
        assertTrue(result.error().startsWith("refused: 127.0.0.1 resolves to 127.0.0.1"), result.error());
        WebhookHttp.Result byName = new WebhookHttp(new Destinations(false), WebhookHttp.TIMEOUT)
                .post("http://localhost:" + receiver.port() + "/in", Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
        assertTrue(byName.error().startsWith("refused: localhost resolves to"), byName.error());
        assertEquals(0, receiver.hits.size());
    }

    // --- events

    @Test
    void chatEventsReachEveryMatchingEndpointOnceSigned() throws Exception {
        Receiver company = receiver(n -> Reply.status(200));
        Receiver app = receiver(n -> Reply.status(204));
        Receiver experienceB = receiver(n -> Reply.status(200));
        Receiver membershipOnly = receiver(n -> Reply.status(200));
        String companySecret = create(TestServer.as(companyKey), company.url("/hook"), Map.of()).get("webhook_secret").asText();
        String appSecret = create(TestServer.as(world.appKey(Permissions.MANAGE_WEBHOOK)), app.url("/hook"),
                Map.of("events", List.of("chat.message.created"))).get("webhook_secret").asText();
        create(TestServer.as(companyKey), experienceB.url("/hook"), Map.of("resource_id", world.experienceB));
        create(TestServer.as(companyKey), membershipOnly.url("/hook"), Map.of("events", List.of("membership.activated")));

        String messageId = ok(world.as(customer).post("/api/v1/messages",
                Map.of("channel_id", world.experienceA, "content", "Hello, hooks ✓"))).get("id").asText();
        Receiver.Hit toCompany = company.await(1).getFirst();
        Receiver.Hit toApp = app.await(1).getFirst();

        JsonNode event = verified(toCompany, companySecret);
        verified(toApp, appSecret);
        assertEquals("chat.message.created", event.get("type").asText());
        assertEquals(toCompany.header("webhook-id"), event.get("id").asText());
        assertEquals(toCompany.header("webhook-id"), toApp.header("webhook-id"), "one event, one webhook-id for every endpoint");
        assertArrayEquals(toCompany.body(), toApp.body());
        assertEquals("v1", event.get("api_version").asText());
        assertEquals(world.companyId, event.get("company_id").asText());
        assertEquals(messageId, event.at("/data/message/id").asText());
        assertEquals("Hello, hooks ✓", event.at("/data/message/content").asText());
        assertEquals("channel", event.at("/data/audience/type").asText());
        assertEquals("chat", event.at("/data/channel/type").asText());
        assertEquals(world.experienceA, event.at("/data/channel/experience_id").asText());
        assertEquals("application/json", toCompany.header("content-type"));

        String reactionId = ok(world.as(customer).post("/api/v1/reactions", Map.of("resource_id", messageId, "emoji", ":+1:")))
                .get("id").asText();
        JsonNode reaction = verified(company.await(2).get(1), companySecret);
        assertEquals("chat.reaction.created", reaction.get("type").asText());
        assertEquals(reactionId, reaction.at("/data/reaction/id").asText());
        assertEquals("👍", reaction.at("/data/reaction/emoji").asText());
        assertEquals(messageId, reaction.at("/data/message/id").asText());

        // Once per endpoint, and only where the event belongs.
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "A second")));
        company.await(3);
        app.await(2);
        Thread.sleep(300);
        assertEquals(3, company.hits.size());
        assertEquals(2, app.hits.size(), "the app endpoint subscribed to messages only");
        assertEquals(0, experienceB.hits.size(), "an endpoint on experience B hears nothing of A");
        assertEquals(0, membershipOnly.hits.size());
        assertEquals(3, Set.copyOf(company.hits.stream().map(h -> h.header("webhook-id")).toList()).size());
    }

    @Test
    void membershipEventsFollowTheDirectory() throws Exception {
        Receiver productA = receiver(n -> Reply.status(200));
        String secret = create(TestServer.as(companyKey), productA.url("/members"), Map.of("resource_id", world.productA,
                "events", List.of("membership.activated", "membership.deactivated"))).get("webhook_secret").asText();
        String user = world.user("joiner");
        String membership = world.member(user, world.productA);
        JsonNode activated = verified(productA.await(1).getFirst(), secret);
        assertEquals("membership.activated", activated.get("type").asText());
        assertEquals(membership, activated.at("/data/id").asText());
        assertEquals("active", activated.at("/data/status").asText());
        assertEquals(world.productA, activated.at("/data/product/id").asText());

        ok(world.admin.post("/api/v1/memberships/" + membership + "/cancel", Map.of()));
        JsonNode deactivated = verified(productA.await(2).get(1), secret);
        assertEquals("membership.deactivated", deactivated.get("type").asText());
        assertEquals("canceled", deactivated.at("/data/status").asText());

        world.member(user, world.productB);
        Thread.sleep(500);
        assertEquals(2, productA.hits.size(), "a membership of product B is not product A's");
    }

    @Test
    void rolledBackChangesDeliverNothing() throws Exception {
        World w = new World();
        String poster = w.customer("poster", w.productA);
        Receiver receiver = receiver(n -> Reply.status(200));
        String hookId = create(TestServer.as(w.companyKey(Permissions.MANAGE_WEBHOOK)), receiver.url("/rb"), Map.of()).get("id").asText();
        ok(w.admin.patch("/api/v1/chat_channels/" + w.experienceA, Map.of("banned_words", List.of("forbidden"))));
        assertEquals(400, w.as(poster).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "forbidden words")).status());
        assertThrows(IllegalStateException.class, () -> jdbi.useTransaction(h -> {
            Events.emit(h, "chat.message.created", w.companyId, Map.of("note", "rolled back"));
            throw new IllegalStateException("abort");
        }));
        jdbi.useTransaction(h -> Events.emit(h, "chat.message.created", w.companyId, Map.of("note", "committed")));

        JsonNode only = Json.tree(new String(receiver.await(1).getFirst().body(), StandardCharsets.UTF_8));
        assertEquals("committed", only.at("/data/note").asText());
        Thread.sleep(500);
        assertEquals(1, receiver.hits.size());
        assertEquals(1, deliveries(hookId, w).get("data").size());
    }

    // --- delivery faults

    @Test
    void aFailedDeliveryIsRetriedWithTheSameIdAndBytes() throws Exception {
        Receiver receiver = receiver(n -> n == 1 ? Reply.status(500).body("boom") : Reply.status(200).body("thanks"));
        JsonNode hook = create(TestServer.as(companyKey), receiver.url("/flaky"), Map.of("events", List.of("chat.message.created")));
        String hookId = hook.get("id").asText();
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "retry me")));
        receiver.await(1);

        JsonNode pending = eventually(() -> deliveries(hookId, world).get("data").get(0),
                d -> d.get("attempts").size() == 1);
        assertEquals("pending", pending.get("status").asText());
        assertEquals(500, pending.get("last_status_code").asInt());
        JsonNode first = pending.get("attempts").get(0);
        assertEquals(500, first.get("status_code").asInt());
        assertEquals("boom", first.get("response_snippet").asText());
        Duration wait = Duration.between(Instant.parse(first.get("attempted_at").asText()), Instant.parse(pending.get("next_attempt_at").asText()));
        assertTrue(wait.compareTo(Duration.ofMillis(4000)) > 0 && wait.compareTo(Duration.ofMillis(6500)) < 0,
                "the second attempt waits about 5 s: " + wait);

        bringForward(hookId);
        List<Receiver.Hit> hits = receiver.await(2);
        assertEquals(hits.get(0).header("webhook-id"), hits.get(1).header("webhook-id"));
        assertArrayEquals(hits.get(0).body(), hits.get(1).body(), "the retry sends the very same bytes");
        verified(hits.get(0), hook.get("webhook_secret").asText());
        verified(hits.get(1), hook.get("webhook_secret").asText());

        JsonNode done = eventually(() -> deliveries(hookId, world).get("data").get(0), d -> d.get("status").asText().equals("succeeded"));
        assertEquals(2, done.get("attempt_count").asInt());
        assertEquals(List.of(500, 200), done.get("attempts").findValues("status_code").stream().map(JsonNode::asInt).toList());
        assertTrue(done.get("next_attempt_at").isNull());
        assertTrue(done.get("delivered_at").isTextual());
        assertTrue(ok(TestServer.as(companyKey).get("/api/v1/webhooks/" + hookId)).get("failing_since").isNull());
        assertEquals(1, deliveries(hookId, world, "?status=succeeded").get("data").size());
        assertEquals(0, deliveries(hookId, world, "?status=pending").get("data").size());
    }

    @Test
    void retryAfterLengthensTheWait() throws Exception {
        Receiver receiver = receiver(n -> Reply.status(429).header("Retry-After", "120"));
        String hookId = create(TestServer.as(companyKey), receiver.url("/busy"), Map.of("events", List.of("chat.message.created")))
                .get("id").asText();
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "slow down")));
        JsonNode pending = eventually(() -> deliveries(hookId, world).get("data").get(0), d -> d.get("attempts").size() == 1);
        Duration wait = Duration.between(Instant.parse(pending.at("/attempts/0/attempted_at").asText()),
                Instant.parse(pending.get("next_attempt_at").asText()));
        assertTrue(wait.compareTo(Duration.ofSeconds(119)) > 0 && wait.compareTo(Duration.ofSeconds(125)) < 0, wait.toString());

        Instant now = Instant.parse("2030-01-01T00:00:00Z");
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(now.plusSeconds(90), ZoneOffset.UTC));
        assertEquals(Duration.ofSeconds(90), RetrySchedule.retryAfter(date, now));
        assertEquals(Duration.ofSeconds(7), RetrySchedule.retryAfter("7", now));
        assertEquals(RetrySchedule.MAX_RETRY_AFTER, RetrySchedule.retryAfter("999999", now));
        assertNull(RetrySchedule.retryAfter("soon", now));
        // A short Retry-After does not shorten the schedule's wait.
        Duration next = RetrySchedule.next(2, "1", now);
        assertTrue(next.compareTo(Duration.ofSeconds(270)) >= 0 && next.compareTo(Duration.ofSeconds(330)) <= 0, next.toString());
        assertNull(RetrySchedule.next(RetrySchedule.MAX_ATTEMPTS, null, now));
    }

    @Test
    void goneDisablesTheEndpoint() throws Exception {
        Receiver receiver = receiver(n -> Reply.status(410));
        String hookId = create(TestServer.as(companyKey), receiver.url("/gone"), Map.of("events", List.of("chat.message.created")))
                .get("id").asText();
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "anyone there?")));
        receiver.await(1);
        JsonNode hook = eventually(() -> ok(TestServer.as(companyKey).get("/api/v1/webhooks/" + hookId)), h -> !h.get("enabled").asBoolean());
        assertTrue(hook.get("disabled_reason").asText().contains("410 Gone"), hook.toString());
        assertEquals("failed", deliveries(hookId, world).at("/data/0/status").asText());

        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "after the 410")));
        Thread.sleep(500);
        assertEquals(1, receiver.hits.size());
        assertEquals(1, deliveries(hookId, world).get("data").size(), "a disabled endpoint gets no deliveries");

        JsonNode enabled = ok(TestServer.as(companyKey).patch("/api/v1/webhooks/" + hookId, Map.of("enabled", true)));
        assertTrue(enabled.get("enabled").asBoolean());
        assertTrue(enabled.get("disabled_reason").isNull());
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        Receiver receiver = receiver(n -> Reply.status(302).header("Location", "/elsewhere"));
        String hookId = create(TestServer.as(companyKey), receiver.url("/moved"), Map.of("events", List.of("chat.message.created")))
                .get("id").asText();
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "follow me")));
        JsonNode delivery = eventually(() -> deliveries(hookId, world).get("data").get(0), d -> d.get("attempts").size() == 1);
        assertEquals(302, delivery.at("/attempts/0/status_code").asInt());
        assertEquals("pending", delivery.get("status").asText(), "a redirect is a failed attempt, tried again later");
        Thread.sleep(300);
        assertEquals(List.of("/moved"), receiver.hits.stream().map(Receiver.Hit::path).toList());
    }

    @Test
    void aReceiverThatDoesNotAnswerInTimeFails() {
        Receiver receiver = receiver(n -> Reply.status(200).after(Duration.ofSeconds(3)));
        WebhookHttp http = new WebhookHttp(new Destinations(true), Duration.ofMillis(300));
        WebhookHttp.Result result = http.post(receiver.url("/slow"), Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, result.status());
        assertEquals("timed out after 300 ms", result.error());
        assertTrue(result.durationMs() < 2000, "the deadline cuts the exchange: " + result.durationMs());
        assertEquals(15, WebhookHttp.TIMEOUT.toSeconds());
    }

    @Test
    void theLastAttemptFailsTheDeliveryAndDaysOfFailureDisableTheEndpoint() throws Exception {
        Receiver receiver = receiver(n -> Reply.status(503));
        String hookId = create(TestServer.as(companyKey), receiver.url("/down"), Map.of("events", List.of("chat.message.created")))
                .get("id").asText();
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "one")));
        eventually(() -> deliveries(hookId, world).get("data").get(0), d -> d.get("attempts").size() == 1);
        assertTrue(ok(TestServer.as(companyKey).get("/api/v1/webhooks/" + hookId)).get("failing_since").isTextual());

        // The eighth attempt is the last.
        jdbi.useHandle(h -> h.createUpdate("update webhook_deliveries set attempts = :n - 1 where webhook_id = :id")
                .bind("n", RetrySchedule.MAX_ATTEMPTS).bind("id", hookId).execute());
        bringForward(hookId);
        JsonNode failed = eventually(() -> deliveries(hookId, world).get("data").get(0), d -> d.get("status").asText().equals("failed"));
        assertEquals(RetrySchedule.MAX_ATTEMPTS, failed.get("attempt_count").asInt());
        assertTrue(failed.get("next_attempt_at").isNull());
        assertEquals("HTTP 503", failed.get("last_error").asText());
        assertTrue(ok(TestServer.as(companyKey).get("/api/v1/webhooks/" + hookId)).get("enabled").asBoolean());

        // Failing for more than five days disables it, saying why.
        jdbi.useHandle(h -> h.createUpdate("update webhooks set failing_since = now() - interval '6 days' where id = :id")
                .bind("id", hookId).execute());
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", "two")));
        JsonNode hook = eventually(() -> ok(TestServer.as(companyKey).get("/api/v1/webhooks/" + hookId)), h -> !h.get("enabled").asBoolean());
        assertTrue(hook.get("disabled_reason").asText().contains("more than 5 days"), hook.toString());
        assertTrue(hook.get("disabled_reason").asText().contains("HTTP 503"), hook.toString());
    }

    // --- helpers

    /** Standard Webhooks verification by hand: HMAC-SHA256 over "id.timestamp.body" with the base64-decoded secret. */
    static JsonNode verified(Receiver.Hit hit, String secret) throws Exception {
        String id = hit.header("webhook-id");
        String timestamp = hit.header("webhook-timestamp");
        String signature = hit.header("webhook-signature");
        assertTrue(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) < 300, timestamp);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        String expected = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(hit.body()));
        assertEquals(expected, signature);
        byte[] tampered = hit.body().clone();
        tampered[tampered.length - 2] ^= 1;
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        assertNotEquals(expected, "v1," + Base64.getEncoder().encodeToString(mac.doFinal(tampered)));
        return Json.MAPPER.readTree(hit.body());
    }

    static JsonNode create(Api as, String url, Map<String, Object> extra) {
        Map<String, Object> body = new java.util.HashMap<>(extra);
        body.put("url", url);
        return created(as.post("/api/v1/webhooks", body));
    }

    static JsonNode deliveries(String hookId, World w) {
        return deliveries(hookId, w, "");
    }

    static JsonNode deliveries(String hookId, World w, String query) {
        return ok(w.admin.get("/api/v1/webhooks/" + hookId + "/deliveries" + query));
    }

    /** Makes the endpoint's pending deliveries due now, instead of waiting out the schedule. */
    static void bringForward(String hookId) {
        jdbi.useHandle(h -> h.createUpdate("update webhook_deliveries set next_attempt_at = now() where webhook_id = :id and status = 'pending'")
                .bind("id", hookId).execute());
    }

    static JsonNode eventually(Supplier<JsonNode> fetch, java.util.function.Predicate<JsonNode> condition) {
        return World.eventually(() -> {
            JsonNode value = fetch.get();
            return value == null ? Json.MAPPER.missingNode() : value;
        }, node -> !node.isMissingNode() && condition.test(node));
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static List<String> ids(JsonNode page) {
        return page.get("data").findValues("id").stream().map(JsonNode::asText).toList();
    }

    Receiver receiver(IntFunction<Reply> replies) {
        Receiver receiver = new Receiver(replies);
        receivers.add(receiver);
        return receiver;
    }

    /** What a receiver answers to its n-th request. */
    record Reply(int status, Map<String, String> headers, String body, Duration delay) {
        static Reply status(int status) {
            return new Reply(status, Map.of(), "", Duration.ZERO);
        }

        Reply header(String name, String value) {
            return new Reply(status, Map.of(name, value), body, delay);
        }

        Reply body(String text) {
            return new Reply(status, headers, text, delay);
        }

        Reply after(Duration wait) {
            return new Reply(status, headers, body, wait);
        }
    }

    /** A webhook receiver on loopback that records every request and answers as told. */
    static final class Receiver implements AutoCloseable {
        record Hit(String path, Map<String, String> headers, byte[] body) {
            String header(String name) {
                return headers.get(name.toLowerCase(Locale.ROOT));
            }
        }

        final List<Hit> hits = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        Receiver(IntFunction<Reply> replies) {
            AtomicInteger count = new AtomicInteger();
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            server.createContext("/", exchange -> {
                Map<String, String> headers = new java.util.HashMap<>();
                exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.getFirst()));
                byte[] body = exchange.getRequestBody().readAllBytes();
                hits.add(new Hit(exchange.getRequestURI().getPath(), headers, body));
                Reply reply = replies.apply(count.incrementAndGet());
                try {
                    Thread.sleep(reply.delay());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
                byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            });
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        String url(String path) {
            return "http://127.0.0.1:" + port() + path;
        }

        /** Waits until at least n requests arrived and returns them in order. */
        List<Hit> await(int n) {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
            while (hits.size() < n) {
                if (Instant.now().isAfter(deadline)) {
                    fail("expected " + n + " webhook requests, got " + hits.size());
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail("interrupted");
                }
            }
            return List.copyOf(hits);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
