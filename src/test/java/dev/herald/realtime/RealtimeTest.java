package dev.herald.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import dev.herald.web.Json;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RealtimeTest {
    // HTTP/1.1 as browsers' EventSource speaks it: the test classpath has Helidon's HTTP/2 module (for the
    // fake push providers), which would let the JDK client upgrade to h2c, where Helidon has no SSE sink.
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final World world = new World();

    @Test
    void channelEventsArriveInOrderAndAResumeGetsExactlyWhatWasMissed() {
        String alice = world.customer("alice", world.productA);
        Client first = Client.connect(world, alice);
        JsonNode subscribed = first.subscribe("channel:" + world.experienceA, null, null);
        assertEquals("subscribed", subscribed.get("type").asText());
        String stream = subscribed.get("stream").asText();
        assertTrue(stream.startsWith("channel:channel_"), stream);
        String epoch = subscribed.get("epoch").asText();
        long start = subscribed.get("offset").asLong();

        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(post(alice, "m" + i));
        }
        for (int i = 1; i <= 3; i++) {
            JsonNode event = first.next("event");
            assertEquals("message.created", event.get("event").asText());
            assertEquals(stream, event.get("stream").asText());
            assertEquals(epoch, event.get("epoch").asText());
            assertEquals(start + i, event.get("offset").asLong());
            assertEquals("m" + i, event.at("/data/message/content").asText());
            assertFalse(event.get("data").has("audience"));
        }
        first.close();

        post(alice, "m4");
        ok(world.as(alice).patch("/api/v1/messages/" + ids.getFirst(), Map.of("content", "m1 edited")));
        JsonNode reaction = ok(world.as(alice).post("/api/v1/reactions", Map.of("resource_id", ids.get(1), "emoji", "👍")));
        ok(world.as(alice).delete("/api/v1/reactions/" + reaction.get("id").asText()));
        ok(world.as(alice).delete("/api/v1/messages/" + ids.get(2)));
        awaitOffset(stream, start + 8);

        Client again = Client.connect(world, alice);
        JsonNode resumed = again.subscribe(stream, start + 3, epoch);
        assertEquals("subscribed", resumed.get("type").asText());
        assertEquals(start + 3, resumed.get("offset").asLong());
        List<String> expected = List.of("message.created", "message.updated", "reaction.created", "reaction.deleted", "message.deleted");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode event = again.next("event");
            assertEquals(start + 4 + i, event.get("offset").asLong());
            assertEquals(expected.get(i), event.get("event").asText());
        }
        post(alice, "live");
        JsonNode live = again.next("event");
        assertEquals(start + 9, live.get("offset").asLong());
        assertEquals("live", live.at("/data/message/content").asText());
        again.close();
    }

    @Test
    void aResumeBeyondRetainedHistoryOrFromAnotherEpochFailsExplicitlyAndStaysSubscribed() {
        String alice = world.customer("alice", world.productA);
        Client client = Client.connect(world, alice);
        JsonNode subscribed = client.subscribe("channel:" + world.experienceA, null, null);
        String stream = subscribed.get("stream").asText();
        String epoch = subscribed.get("epoch").asText();
        long start = subscribed.get("offset").asLong();
        for (int i = 0; i < 3; i++) {
            post(alice, "old " + i);
            client.next("event");
        }
        client.close();
        new RealtimeStore(TestServer.get().database().jdbi()).prune(1, Duration.ofHours(24));

        Client late = Client.connect(world, alice);
        JsonNode failed = late.subscribe(stream, start, epoch);
        assertEquals("recovery_failed", failed.get("type").asText());
        assertEquals(epoch, failed.get("epoch").asText());
        assertEquals(start + 3, failed.get("offset").asLong());
        post(alice, "after the gap");
        assertEquals(start + 4, late.next("event").get("offset").asLong());
        late.close();

        Client otherEpoch = Client.connect(world, alice);
        assertEquals("recovery_failed", otherEpoch.subscribe(stream, start + 4, "another").get("type").asText());
        otherEpoch.close();
        Client sameEpoch = Client.connect(world, alice);
        assertEquals("subscribed", sameEpoch.subscribe(stream, start + 4, epoch).get("type").asText());
        sameEpoch.close();
    }

    @Test
    void noSubscriptionWithoutAccessAndNoConnectionWithoutAUserToken() {
        String alice = world.customer("alice", world.productA);
        String erin = world.user("erin");
        Client outsider = Client.connect(world, erin);
        JsonNode refused = outsider.subscribe("channel:" + world.experienceA, null, null);
        assertEquals("error", refused.get("type").asText());
        assertEquals("not_found", refused.get("code").asText());
        Client customerOfA = Client.connect(world, alice);
        assertEquals("not_found", customerOfA.subscribe("channel:" + world.experienceB, null, null).get("code").asText());
        assertEquals("unknown_stream", customerOfA.subscribe("everything", null, null).get("code").asText());
        post(alice, "members only");
        outsider.assertNothing(Duration.ofMillis(500));
        outsider.close();
        customerOfA.close();

        assertEquals(401, handshakeStatus(null));
        assertEquals(401, handshakeStatus("hu_not_a_token"));
        assertEquals(403, handshakeStatus(world.appKey()));
        Api.Response plain = world.as(alice).get("/api/v1/realtime");
        assertEquals(400, plain.status(), plain::toString);
        assertEquals("websocket_required", plain.errorCode());
    }

    @Test
    void credentialsKnownWithoutTheDatabaseAreCheckedAlike() {
        // The gateway's loop checks remembered credentials itself, the rest off the loop: both must answer the same.
        String key = world.appKey();
        assertEquals(403, TestServer.as(key).get("/api/v1/webhooks").status()); // authenticated, so now remembered
        assertEquals(403, handshakeStatus(key));
        assertEquals(403, handshakeStatus(TestServer.ADMIN_TOKEN));
        String carol = world.customer("carol", world.productA);
        for (int connect = 0; connect < 2; connect++) { // first looked up, then remembered
            Client client = Client.connect(world, carol);
            assertEquals("subscribed", client.subscribe("feed", null, null).get("type").asText());
            client.close();
        }
    }

    @Test
    void theQueryTokenAuthenticatesBrowsers() {
        String alice = world.customer("alice", world.productA);
        Client client = Client.open(URI.create(wsUrl() + "?token=" + world.as(alice).token()), null);
        assertEquals("subscribed", client.subscribe("feed", null, null).get("type").asText());
        client.send(Map.of("type", "ping"));
        assertEquals("pong", client.next("pong").get("type").asText());
        client.close();
    }

    @Test
    void aSlowConsumerIsCutOffWhileOthersKeepReceiving() throws Exception {
        String alice = world.customer("alice", world.productA);
        String bob = world.customer("bob", world.productA);
        Client slow = Client.connect(world, alice);
        slow.subscribe("channel:" + world.experienceA, null, null);
        Client healthy = Client.connect(world, bob);
        healthy.subscribe("channel:" + world.experienceA, null, null);
        slow.pause();
        double before = metric("herald_realtime_slow_consumers_total");
        String big = "x".repeat(9_000);
        // ~18 KB per frame (content and its HTML): well past the socket buffers and the 1 MiB queue.
        for (int i = 0; i < 800 && (i % 50 != 0 || metric("herald_realtime_slow_consumers_total") == before); i++) {
            post(bob, big + i);
        }
        Instant deadline = Instant.now().plus(WAIT);
        while (metric("herald_realtime_slow_consumers_total") == before && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertTrue(metric("herald_realtime_slow_consumers_total") > before, "the slow consumer was not cut off");
        slow.resume();
        assertEquals(Connection.SLOW_CONSUMER, slow.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS));

        post(bob, "still flowing");
        JsonNode last;
        do {
            last = healthy.next("event");
        } while (!last.at("/data/message/content").asText().equals("still flowing"));
        healthy.close();
    }

    @Test
    void theFeedStreamCarriesBroadcastsToTheirAudienceOnlyWithBadges() {
        String alice = world.customer("alice", world.productA);
        String bob = world.customer("bob", world.productB);
        Client aliceFeed = Client.connect(world, alice);
        assertEquals("subscribed", aliceFeed.subscribe("feed", null, null).get("type").asText());
        Client bobFeed = Client.connect(world, bob);
        bobFeed.subscribe("feed", null, null);

        Api app = TestServer.as(world.appKey());
        ok(app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "Leg day", "content", "Up now")));
        JsonNode event = aliceFeed.next("event");
        assertEquals("feed", event.get("stream").asText());
        assertEquals("notification.created", event.get("event").asText());
        assertEquals("Leg day", event.at("/data/subject").asText());
        assertTrue(event.at("/data/id").asText().startsWith("ntf_"));
        assertFalse(event.at("/data/mentions_me").asBoolean());
        JsonNode badges = aliceFeed.next("badges");
        assertTrue(badges.at("/data/0/has_unread").asBoolean(), badges::toString);

        ok(world.as(alice).post("/api/v1/notifications/mark_read", Map.of("experience_id", world.experienceA)));
        assertFalse(aliceFeed.next("badges").at("/data/0/has_unread").asBoolean());

        ok(app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "For one", "content", "x",
                "user_ids", List.of(alice))));
        assertTrue(aliceFeed.next("event").at("/data/mentions_me").asBoolean());
        bobFeed.assertNothing(Duration.ofMillis(500));
        aliceFeed.close();
        bobFeed.close();
    }

    @Test
    void oneListenConnectionServesTheNodeAndComesBackWhenCut() {
        String carol = world.customer("carol", world.productA);
        Client feed = Client.connect(world, carol);
        assertEquals("subscribed", feed.subscribe("feed", null, null).get("type").asText());
        // The caches, the hub and the webhook sender all hear PostgreSQL through one connection.
        List<Integer> before = World.eventually(RealtimeTest::listenerPids, pids -> pids.size() == 1);

        TestServer.get().database().jdbi().withHandle(h -> h.createQuery("select pg_terminate_backend(:pid)")
                .bind("pid", before.getFirst()).mapTo(Boolean.class).one());
        // Whatever was announced meanwhile is lost: on reconnecting the feed's subscribers are told to refetch.
        assertEquals("feed", feed.next("recovery_failed").get("stream").asText());
        List<Integer> after = World.eventually(RealtimeTest::listenerPids, pids -> pids.size() == 1);
        assertFalse(after.contains(before.getFirst()));

        ok(TestServer.as(world.appKey()).post("/api/v1/notifications",
                Map.of("experience_id", world.experienceA, "title", "Still here", "content", "x")));
        assertEquals("Still here", feed.next("event").at("/data/subject").asText());
        feed.close();
    }

    private static List<Integer> listenerPids() {
        return TestServer.get().database().jdbi().withHandle(h -> h.createQuery("""
                        select pid from pg_stat_activity where datname = current_database() and application_name = :name""")
                .bind("name", dev.herald.db.PgListener.APPLICATION_NAME).mapTo(Integer.class).list());
    }

    @Test
    void theFeedStreamLeavesOutTopicsTheReaderMuted() {
        Api app = TestServer.as(world.appKey());
        String topicId = World.created(app.post("/api/v1/apps/" + world.appId + "/notification_topics",
                Map.of("identifier", "deals"))).get("id").asText();
        String quiet = world.customer("quiet", world.productA);
        String keen = world.customer("keen", world.productA);
        ok(world.as(quiet).post("/api/v1/notification_preferences", Map.of("topic_id", topicId, "channel", "in_app", "enabled", false)));
        Client quietFeed = Client.connect(world, quiet);
        quietFeed.subscribe("feed", null, null);
        Client keenFeed = Client.connect(world, keen);
        keenFeed.subscribe("feed", null, null);

        ok(app.post("/api/v2/app/notifications", Map.of("topic_identifier", "deals",
                "notification_data", Map.of("all", Map.of("subject", "Deal", "content", "50% off")),
                "targets", List.of(Map.of("experiences", List.of(world.experienceA))))));
        ok(app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "Untopical", "content", "x")));

        // The two are delivered in either order; once keen has both, each was pushed to every reader it reached.
        assertEquals(Set.of("Deal", "Untopical"), Set.of(keenFeed.next("event").at("/data/subject").asText(),
                keenFeed.next("event").at("/data/subject").asText()));
        assertEquals("Untopical", quietFeed.next("event").at("/data/subject").asText());
        quietFeed.assertNo("event", Duration.ofMillis(300));
        quietFeed.close();
        keenFeed.close();
    }

    @Test
    void typingIsRelayedThrottledAndPresenceListsWhoIsOnline() {
        String alice = world.customer("alice", world.productA);
        String dave = world.teamMember("dave");
        Client a = Client.connect(world, alice);
        a.subscribe("channel:" + world.experienceA, null, null);
        Client d = Client.connect(world, dave);
        String stream = d.subscribe("channel:" + world.experienceA, null, null).get("stream").asText();
        a.until("presence", p -> p.get("online").size() == 2);

        d.send(Map.of("type", "typing", "stream", stream));
        d.send(Map.of("type", "typing", "stream", stream));
        JsonNode typing = a.next("typing");
        assertEquals(dave, typing.get("user_id").asText());
        assertEquals(stream, typing.get("stream").asText());
        a.assertNo("typing", Duration.ofMillis(700));
        d.assertNo("typing", Duration.ofMillis(100));

        d.close();
        JsonNode presence = a.until("presence", p -> p.get("online").size() == 1);
        assertEquals(alice, presence.get("online").get(0).asText());
        a.close();
    }

    @Test
    void anotherSubscriptionOfSomeoneOnlineGetsPresenceWithoutTellingEveryone() {
        String alice = world.customer("alice", world.productA);
        String dave = world.teamMember("dave");
        Client a = Client.connect(world, alice);
        a.subscribe("channel:" + world.experienceA, null, null);
        Client d = Client.connect(world, dave);
        d.subscribe("channel:" + world.experienceA, null, null);
        a.until("presence", p -> p.get("online").size() == 2);
        d.until("presence", p -> p.get("online").size() == 2);
        a.discardFor(Duration.ofMillis(400)); // presence frames of both joins may still be on their way
        d.discardFor(Duration.ofMillis(0));

        Client again = Client.connect(world, alice);
        again.subscribe("channel:" + world.experienceA, null, null);
        JsonNode presence = again.next("presence");
        assertEquals(Set.of(alice, dave), Set.of(presence.get("online").get(0).asText(), presence.get("online").get(1).asText()));
        a.assertNo("presence", Duration.ofMillis(500));
        d.assertNo("presence", Duration.ofMillis(100));
        again.close();
        a.close();
        d.close();
    }

    @Test
    void losingAccessEndsTheChannelSubscription() {
        String alice = world.user("alice");
        String membership = world.member(alice, world.productA);
        Client client = Client.connect(world, alice);
        String stream = client.subscribe("channel:" + world.experienceA, null, null).get("stream").asText();
        ok(world.admin.post("/api/v1/memberships/" + membership + "/cancel", Map.of()));
        JsonNode dropped = client.next("unsubscribed");
        assertEquals(stream, dropped.get("stream").asText());
        assertEquals("access_revoked", dropped.get("reason").asText());
        client.close();
    }

    @Test
    void theFeedAsServerSentEvents() throws Exception {
        String alice = world.customer("alice", world.productA);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpResponse<Stream<String>> open = openSse(alice, null, lines);
        assertTrue(open.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        assertEquals("subscribed", nextEvent(lines).get("event"));

        ok(TestServer.as(world.appKey()).post("/api/v1/notifications",
                Map.of("experience_id", world.experienceA, "title", "Over SSE", "content", "x")));
        Map<String, String> event = nextEvent(lines);
        assertEquals("notification.created", event.get("event"));
        JsonNode data = Json.tree(event.get("data"));
        assertEquals(event.get("id"), data.get("id").asText());
        assertEquals("Over SSE", data.get("subject").asText());
        assertEquals("badges", nextEvent(lines).get("event"));
        open.body().close();

        assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(TestServer.baseUrl() + "/api/v1/notifications/stream")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    @Test
    void anSseReconnectWithLastEventIdGetsWhatItMissedOnce() throws Exception {
        String alice = world.customer("alice", world.productA);
        Api app = TestServer.as(world.appKey());
        for (String title : List.of("Seen", "Missed 1", "Missed 2")) {
            ok(app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", title, "content", "x")));
        }
        JsonNode feed = World.eventually(() -> ok(world.as(alice).get("/api/v1/notifications")), f -> f.get("data").size() == 3);
        String seen = feed.get("data").get(2).get("id").asText();
        assertEquals("Seen", feed.get("data").get(2).get("subject").asText());

        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpResponse<Stream<String>> open = openSse(alice, seen, lines);
        assertEquals("subscribed", nextEvent(lines).get("event"));
        List<String> replayed = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Map<String, String> event = nextEvent(lines);
            assertEquals("notification.created", event.get("event"));
            replayed.add(Json.tree(event.get("data")).get("subject").asText());
        }
        assertEquals(List.of("Missed 1", "Missed 2"), replayed, "oldest first");
        ok(app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "Live", "content", "x")));
        Map<String, String> live = nextEvent(lines);
        while (live.get("event").equals("badges")) {
            live = nextEvent(lines);
        }
        assertEquals("Live", Json.tree(live.get("data")).get("subject").asText());
        String liveId = Json.tree(live.get("data")).get("id").asText();
        open.body().close();

        assertRecoveryFails(alice, "ntf_unknown");
        for (int i = 1; i <= RealtimeRoutes.REPLAY_MAX + 1; i++) {
            ok(app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "Bulk " + i, "content", "x")));
        }
        World.eventually(() -> ok(world.as(alice).get("/api/v1/notifications?first=1")),
                f -> f.at("/data/0/subject").asText().equals("Bulk " + (RealtimeRoutes.REPLAY_MAX + 1)));
        assertRecoveryFails(alice, liveId);
    }

    private void assertRecoveryFails(String userId, String lastEventId) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpResponse<Stream<String>> lost = openSse(userId, lastEventId, lines);
        assertEquals("subscribed", nextEvent(lines).get("event"));
        assertEquals("recovery_failed", nextEvent(lines).get("event"), "the client is told to refetch");
        lost.body().close();
    }

    /** Opens the SSE feed of this user (with a Last-Event-ID unless null); its lines go to {@code lines}. */
    private HttpResponse<Stream<String>> openSse(String userId, String lastEventId, BlockingQueue<String> lines) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(TestServer.baseUrl() + "/api/v1/notifications/stream"))
                .header("Authorization", "Bearer " + world.as(userId).token());
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> open = HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, open.statusCode());
        Thread.startVirtualThread(() -> {
            try {
                open.body().forEach(lines::add);
            } catch (UncheckedIOException e) {
                // The stream was closed.
            }
        });
        return open;
    }

    // --- helpers

    private String post(String userId, String content) {
        return ok(world.as(userId).post("/api/v1/messages", Map.of("channel_id", world.experienceA, "content", content)))
                .get("id").asText();
    }

    /** Waits until the stream has handed out this offset (events are numbered by the outbox workers). */
    private static void awaitOffset(String stream, long offset) {
        RealtimeStore store = new RealtimeStore(TestServer.get().database().jdbi());
        Instant deadline = Instant.now().plus(WAIT);
        while (store.head(stream).lastOffset() < offset) {
            if (Instant.now().isAfter(deadline)) {
                fail("Stream " + stream + " did not reach offset " + offset);
            }
            sleep(20);
        }
    }

    /** The next Server-Sent Event's fields (comments skipped). */
    private static Map<String, String> nextEvent(BlockingQueue<String> lines) throws InterruptedException {
        Map<String, String> fields = new java.util.HashMap<>();
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line == null || line.startsWith(":")) {
                continue;
            }
            if (line.isEmpty()) {
                if (!fields.isEmpty()) {
                    return fields;
                }
                continue;
            }
            int colon = line.indexOf(':');
            fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        fail("No complete event; so far " + fields);
        return fields;
    }

    private static double metric(String name) {
        String body = TestServer.as(null).get("/metrics").raw().body();
        return body.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static int handshakeStatus(String token) {
        CompletionException e = assertThrows(CompletionException.class, () -> Client.open(URI.create(wsUrl()), token));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        return handshake.getResponse().statusCode();
    }

    private static String wsUrl() {
        return "ws://127.0.0.1:" + TestServer.get().realtimePort() + "/api/v1/realtime";
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A real WebSocket client (java.net.http) that queues the frames it receives, reading one at a time. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final AtomicBoolean paused = new AtomicBoolean();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        static Client connect(World world, String userId) {
            return open(URI.create(wsUrl()), world.as(userId).token());
        }

        static Client open(URI uri, String token) {
            Client client = new Client();
            WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(WAIT);
            if (token != null) {
                builder.header("Authorization", "Bearer " + token);
            }
            client.socket = builder.buildAsync(uri, client).join();
            return client;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(Json.tree(partial.toString()));
                partial.setLength(0);
            }
            if (!paused.get()) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }

        void pause() {
            paused.set(true);
        }

        void resume() {
            paused.set(false);
            socket.request(1);
        }

        void send(Map<String, Object> frame) {
            socket.sendText(Json.string(frame), true).join();
        }

        /** Sends a subscribe and returns the answer about that stream (subscribed, recovery_failed or error). */
        JsonNode subscribe(String stream, Long offset, String epoch) {
            Map<String, Object> frame = new java.util.LinkedHashMap<>();
            frame.put("type", "subscribe");
            frame.put("stream", stream);
            if (offset != null) {
                frame.put("offset", offset);
            }
            if (epoch != null) {
                frame.put("epoch", epoch);
            }
            send(frame);
            return until(null, f -> List.of("subscribed", "recovery_failed", "error").contains(f.get("type").asText()));
        }

        /** The next frame of this type, skipping presence frames of other types. */
        JsonNode next(String type) {
            return until(type, f -> true);
        }

        /** The next frame of this type (null: any type) that matches, skipping the others. */
        JsonNode until(String type, java.util.function.Predicate<JsonNode> condition) {
            Instant deadline = Instant.now().plus(WAIT);
            try {
                while (Instant.now().isBefore(deadline)) {
                    JsonNode frame = frames.poll(50, TimeUnit.MILLISECONDS);
                    if (frame != null && (type == null || type.equals(frame.get("type").asText())) && condition.test(frame)) {
                        return frame;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            fail("No " + (type == null ? "matching" : type) + " frame within " + WAIT);
            return null;
        }

        void assertNo(String type, Duration during) {
            Instant deadline = Instant.now().plus(during);
            while (Instant.now().isBefore(deadline)) {
                JsonNode frame = frames.poll();
                if (frame != null) {
                    assertFalse(type.equals(frame.get("type").asText()), () -> "unexpected frame " + frame);
                }
                sleep(10);
            }
        }

        /** Drops every frame that arrives within {@code during}. */
        void discardFor(Duration during) {
            sleep(during.toMillis());
            frames.clear();
        }

        void assertNothing(Duration during) {
            sleep(during.toMillis());
            JsonNode frame = frames.stream().filter(f -> !f.get("type").asText().equals("presence")).findFirst().orElse(null);
            assertNull(frame, () -> "unexpected frame " + frame);
        }

        void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        }
    }
}
