package dev.herald.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.herald.World.eventually;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessagesTest {
    static World world;
    static String channelA;
    static String member;
    static String admin;

    @BeforeAll
    static void setUp() {
        world = new World();
        member = world.customer("chatter", world.productA);
        admin = world.teamMember("mod");
        channelA = ok(world.admin.get("/api/v1/chat_channels/" + world.experienceA)).get("id").asText();
    }

    static Api.Response post(String userId, Map<String, Object> body) {
        return world.as(userId).post("/api/v1/messages", body);
    }

    static JsonNode posted(String userId, String channel, String content) {
        return ok(post(userId, Map.of("channel_id", channel, "content", content)));
    }

    @Test
    void everyExperienceHasAChannelReachableByEitherId() {
        JsonNode byExperience = ok(world.as(member).get("/api/v1/chat_channels/" + world.experienceA));
        JsonNode byId = ok(world.as(member).get("/api/v1/chat_channels/" + channelA));
        assertEquals(byExperience, byId);
        assertTrue(channelA.startsWith("channel_"));
        assertEquals(world.experienceA, byId.get("experience").get("id").asText());
        assertEquals("everyone", byId.get("who_can_post").asText());
        JsonNode list = ok(world.admin.get("/api/v1/chat_channels?company_id=" + world.companyId));
        assertEquals(2, list.get("data").size());
        JsonNode byProduct = ok(world.admin.get("/api/v1/chat_channels?company_id=" + world.companyId + "&product_id=" + world.productB));
        assertEquals(1, byProduct.get("data").size());
        assertEquals(world.experienceB, byProduct.get("data").get(0).get("experience").get("id").asText());
    }

    @Test
    void postingUsesTheSdkShape() {
        JsonNode m = ok(post(member, Map.of("channel_id", world.experienceA, "content", "Hello **there** @" + username(admin))));
        assertTrue(m.get("id").asText().startsWith("msg_"));
        assertEquals(channelA, m.get("channel_id").asText());
        assertEquals("Hello **there** @" + username(admin), m.get("content").asText());
        assertTrue(m.get("content_html").asText().contains("<strong>there</strong>"));
        assertEquals(List.of(admin), toList(m.get("mentions")));
        assertFalse(m.get("mentions_everyone").asBoolean());
        assertEquals("regular", m.get("message_type").asText());
        assertEquals(member, m.get("user").get("id").asText());
        assertFalse(m.get("is_edited").asBoolean());
        assertFalse(m.get("is_pinned").asBoolean());
        assertEquals(0, m.get("reaction_counts").size());
        assertTrue(m.get("poll").isNull());
        for (String field : List.of("created_at", "updated_at", "replying_to_message_id", "view_count", "poll_votes")) {
            assertTrue(m.has(field), field);
        }
        assertEquals(m, ok(world.as(member).get("/api/v1/messages/" + m.get("id").asText())));
    }

    @Test
    void mentionsNotifyThroughTheFeed() {
        String mentioned = world.customer("mentioned", world.productA);
        posted(member, channelA, "ping @" + username(mentioned) + " and @nobody_here");
        JsonNode feed = eventually(() -> world.as(mentioned).get("/api/v1/notifications?mentions=true").json(),
                f -> f.get("data").size() == 1);
        JsonNode n = feed.get("data").get(0);
        assertTrue(n.get("mentions_me").asBoolean());
        assertTrue(n.get("content").asText().contains("ping @"));
        assertEquals(member, n.get("sender").get("id").asText());
        assertEquals(world.experienceA, n.get("experience").get("id").asText());
    }

    @Test
    void onlyAdminsMentionEveryone() {
        Api.Response denied = post(member, Map.of("channel_id", channelA, "content", "@everyone look"));
        assertEquals(403, denied.status());
        String reader = world.customer("reader", world.productA);
        JsonNode m = ok(post(admin, Map.of("channel_id", channelA, "content", "@everyone announcement")));
        assertTrue(m.get("mentions_everyone").asBoolean());
        eventually(() -> world.as(reader).get("/api/v1/notifications?mentions=true").json(),
                f -> f.get("data").findValuesAsText("content").contains("@everyone announcement"));
    }

    @Test
    void outsidersAndOtherTenantsSeeNothing() {
        String outsider = world.user("outsider");
        String otherProduct = world.customer("otherprod", world.productB);
        String id = posted(member, channelA, "secret").get("id").asText();
        for (String who : List.of(outsider, otherProduct)) {
            assertEquals(404, world.as(who).get("/api/v1/messages/" + id).status());
            assertEquals(404, world.as(who).get("/api/v1/messages?channel_id=" + channelA).status());
            assertEquals(404, post(who, Map.of("channel_id", channelA, "content", "hi")).status());
            assertEquals(404, world.as(who).get("/api/v1/chat_channels/" + channelA).status());
        }
        World other = new World();
        Api otherKey = TestServer.as(other.companyKey("chat:read", "chat:message:create", "chat:moderate"));
        assertEquals(404, otherKey.get("/api/v1/messages/" + id).status());
        assertEquals(404, otherKey.post("/api/v1/messages", Map.of("channel_id", channelA, "content", "x")).status());
        assertEquals(404, otherKey.get("/api/v1/chat_channels?company_id=" + world.companyId).status());
    }

    @Test
    void keysNeedTheirPermissionsAndPostAsTheBot() {
        Api reader = TestServer.as(world.appKey("chat:read"));
        assertEquals(200, reader.get("/api/v1/messages?channel_id=" + channelA).status());
        assertEquals(403, reader.post("/api/v1/messages", Map.of("channel_id", channelA, "content", "x")).status());
        assertEquals(403, reader.patch("/api/v1/chat_channels/" + channelA, Map.of("ban_urls", true)).status());
        Api writer = TestServer.as(world.appKey("chat:message:create", "chat:read"));
        JsonNode byBot = ok(writer.post("/api/v1/messages", Map.of("channel_id", channelA, "content", "from the app")));
        JsonNode again = ok(writer.post("/api/v1/messages", Map.of("channel_id", channelA, "content", "again")));
        assertEquals(byBot.get("user").get("id").asText(), again.get("user").get("id").asText(), "one bot per app");
        assertTrue(byBot.get("user").get("username").asText().startsWith("bot-"));
    }

    @Test
    void moderationRulesAreEnforced() {
        World w = new World();
        String m = w.customer("modtest", w.productA);
        String team = w.teamMember("modteam");
        Api mod = w.as(team);
        JsonNode updated = ok(mod.patch("/api/v1/chat_channels/" + w.experienceA, Map.of(
                "banned_words", List.of("Spam", "scam"), "ban_urls", true, "ban_media", true,
                "user_posts_cooldown_seconds", 60, "who_can_react", "admins")));
        assertEquals(List.of("spam", "scam"), toList(updated.get("banned_words")));
        assertEquals(60, updated.get("user_posts_cooldown_seconds").asInt());
        assertEquals("admins", updated.get("who_can_react").asText());
        assertEquals(403, w.as(m).patch("/api/v1/chat_channels/" + w.experienceA, Map.of("ban_urls", false)).status());

        Api.Response banned = w.as(m).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "this is SPAM!"));
        assertEquals(400, banned.status());
        assertEquals("banned_word", banned.errorCode());
        assertTrue(banned.json().get("error").get("message").asText().contains("spam"));
        assertEquals(200, w.as(m).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "spammer is one word")).status());
        Api.Response tooSoon = w.as(m).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "second"));
        assertEquals(429, tooSoon.status());
        long retry = Long.parseLong(tooSoon.header("Retry-After"));
        assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
        assertEquals(200, mod.post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "admins skip cooldown")).status());
        assertEquals(200, mod.post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "twice")).status());

        String m2 = w.customer("modtest2", w.productA);
        Api.Response url = w.as(m2).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "see https://x.test/a"));
        assertEquals("urls_banned", url.errorCode());
        Api.Response bareDomain = w.as(m2).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "go to evil.com now"));
        assertEquals("urls_banned", bareDomain.errorCode());
        Api.Response image = w.as(m2).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "![x](/img.png)"));
        assertEquals("media_banned", image.errorCode());

        ok(mod.patch("/api/v1/chat_channels/" + w.experienceA, Map.of("who_can_post", "admins_only", "user_posts_cooldown_seconds", 0)));
        assertEquals(403, w.as(m2).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "hello")).status());
        assertEquals(400, mod.patch("/api/v1/chat_channels/" + w.experienceA, Map.of("who_can_post", "nobody")).status());
        assertEquals(400, mod.patch("/api/v1/chat_channels/" + w.experienceA, Map.of("user_posts_cooldown_seconds", -1)).status());
    }

    @Test
    void concurrentPostsAreEachStoredOnceAndAnsweredWithTheirOwnMessage() throws Exception {
        World w = new World();
        String team = w.teamMember("slowmod");
        ok(w.as(team).patch("/api/v1/chat_channels/" + w.experienceA, Map.of("user_posts_cooldown_seconds", 60)));
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            users.add(w.customer("burst" + i, w.productA));
        }
        // Every user posts twice at once: posts are written in groups, and slow mode must still let
        // exactly one of each user's two posts through, with only the other refused.
        List<java.util.concurrent.Future<Api.Response>> calls = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (String user : users) {
                for (int copy = 0; copy < 2; copy++) {
                    String content = "burst from " + username(user) + " #" + copy;
                    calls.add(threads.submit(() -> w.as(user).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", content))));
                }
            }
        }
        Map<String, String> contentById = new java.util.HashMap<>();
        Map<String, Integer> acceptedPerUser = new java.util.HashMap<>();
        for (var call : calls) {
            Api.Response r = call.get();
            assertTrue(r.status() == 200 || r.status() == 429, "status " + r.status());
            if (r.status() == 200) {
                JsonNode m = r.json();
                assertTrue(m.get("content").asText().startsWith("burst from " + m.get("user").get("username").asText() + " #"));
                contentById.put(m.get("id").asText(), m.get("content").asText());
                acceptedPerUser.merge(m.get("user").get("id").asText(), 1, Integer::sum);
            } else {
                assertEquals("rate_limited", r.errorCode());
            }
        }
        assertEquals(users.size(), acceptedPerUser.size());
        assertTrue(acceptedPerUser.values().stream().allMatch(n -> n == 1), acceptedPerUser.toString());
        JsonNode page = ok(w.as(team).get("/api/v1/messages?channel_id=" + w.experienceA + "&first=100"));
        Map<String, String> stored = new java.util.HashMap<>();
        page.get("data").forEach(m -> stored.put(m.get("id").asText(), m.get("content").asText()));
        assertEquals(contentById, stored);
    }

    @Test
    void losingAccessStopsPostingAtOnce() {
        World w = new World();
        String user = w.user("leaver");
        String membership = w.member(user, w.productA);
        assertEquals(200, w.as(user).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "still here")).status());
        ok(w.admin.post("/api/v1/memberships/" + membership + "/cancel", Map.of()));
        assertEquals(404, w.as(user).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "gone?")).status());
        assertEquals(404, w.as(user).get("/api/v1/messages?channel_id=" + w.experienceA).status());
    }

    @Test
    void editingPinningAndDeleting() {
        JsonNode m = posted(member, channelA, "first draft");
        String id = m.get("id").asText();
        JsonNode edited = ok(world.as(member).patch("/api/v1/messages/" + id, Map.of("content", "final")));
        assertEquals("final", edited.get("content").asText());
        assertTrue(edited.get("is_edited").asBoolean());
        assertEquals(403, world.as(admin).patch("/api/v1/messages/" + id, Map.of("content", "hijack")).status());
        assertEquals(403, world.as(member).patch("/api/v1/messages/" + id, Map.of("is_pinned", true)).status());
        JsonNode pinned = ok(world.as(admin).patch("/api/v1/messages/" + id, Map.of("is_pinned", true)));
        assertTrue(pinned.get("is_pinned").asBoolean());
        String other = world.customer("deleter", world.productA);
        assertEquals(403, world.as(other).delete("/api/v1/messages/" + id).status());
        assertEquals("true", world.as(admin).delete("/api/v1/messages/" + id).raw().body());
        assertEquals(404, world.as(member).get("/api/v1/messages/" + id).status());
        String own = posted(member, channelA, "mine").get("id").asText();
        assertEquals(200, world.as(member).delete("/api/v1/messages/" + own).status());
    }

    @Test
    void repliesAndPollsAreValidated() {
        String parent = posted(member, channelA, "question").get("id").asText();
        JsonNode reply = ok(post(member, Map.of("channel_id", channelA, "content", "answer", "replying_to_message_id", parent)));
        assertEquals(parent, reply.get("replying_to_message_id").asText());
        World other = new World();
        String foreign = ok(other.as(other.customer("f", other.productA)).post("/api/v1/messages",
                Map.of("channel_id", other.experienceA, "content", "elsewhere"))).get("id").asText();
        assertEquals(404, post(member, Map.of("channel_id", channelA, "content", "x", "replying_to_message_id", foreign)).status());

        JsonNode poll = ok(post(member, Map.of("channel_id", channelA, "content", "Lunch?", "poll",
                Map.of("options", List.of(Map.of("id", "1", "text", "Pizza"), Map.of("id", "2", "text", "Sushi"))))));
        assertEquals("Sushi", poll.get("poll").get("options").get(1).get("text").asText());
        assertEquals(2, poll.get("poll_votes").size());
        assertEquals(0, poll.get("poll_votes").get(0).get("count").asInt());
        Api.Response gap = post(member, Map.of("channel_id", channelA, "content", "x", "poll",
                Map.of("options", List.of(Map.of("id", "1", "text", "a"), Map.of("id", "3", "text", "b")))));
        assertEquals(400, gap.status());
        assertEquals(400, post(member, Map.of("channel_id", channelA, "content", "x", "poll",
                Map.of("options", List.of(Map.of("id", "1", "text", "only one"))))).status());
        assertEquals(400, post(member, Map.of("channel_id", channelA)).status());
        assertEquals(400, post(member, Map.of("content", "no channel")).status());
    }

    @Test
    void htmlIsSanitised() {
        JsonNode m = posted(member, channelA, "<script>alert(1)</script>\n\nText [x](javascript:alert) ![i](data:image/png;base64,AAA) [ok](https://ok.test)");
        String html = m.get("content_html").asText();
        assertFalse(html.contains("<script"), html);
        assertTrue(html.contains("&lt;script&gt;"), html);
        assertTrue(html.contains("<a href=\"\">x</a>") || !html.contains("javascript"), html);
        assertFalse(html.contains("href=\"javascript"), html);
        assertFalse(html.contains("src=\"data"), html);
        assertTrue(html.contains("href=\"https://ok.test\""), html);
        assertTrue(m.get("content").asText().startsWith("<script>"), "content is stored as sent");
    }

    @Test
    void paginationWalksEveryMessageOnceInBothDirections() {
        World w = new World();
        String u = w.customer("walker", w.productA);
        w.member(u, w.productB);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            sent.add(ok(w.as(u).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "m" + i))).get("id").asText());
        }
        for (String direction : List.of("asc", "desc")) {
            List<String> seen = new ArrayList<>();
            String after = null;
            int pages = 0;
            do {
                JsonNode page = ok(w.as(u).get("/api/v1/messages?channel_id=" + w.experienceA + "&first=5&direction=" + direction
                        + (after == null ? "" : "&after=" + after)));
                seen.addAll(page.get("data").findValuesAsText("id").stream().filter(id -> id.startsWith("msg_")).toList());
                after = page.get("page_info").get("end_cursor").isNull() ? null : page.get("page_info").get("end_cursor").asText();
                if (pages == 1 && direction.equals("asc")) {
                    // A message arriving mid-walk is seen once, at the end.
                    sent.add(ok(w.as(u).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "late"))).get("id").asText());
                }
                pages++;
            } while (after != null);
            List<String> expected = new ArrayList<>(sent);
            if (direction.equals("desc")) {
                java.util.Collections.reverse(expected);
            }
            assertEquals(expected, seen, direction);
        }
        JsonNode defaultOrder = ok(w.as(u).get("/api/v1/messages?channel_id=" + w.experienceA + "&first=1"));
        assertEquals(sent.getLast(), defaultOrder.get("data").get(0).get("id").asText(), "newest first by default");
        String cursor = defaultOrder.get("page_info").get("start_cursor").asText();
        JsonNode before = ok(w.as(u).get("/api/v1/messages?channel_id=" + w.experienceA + "&direction=asc&last=3&before=" + cursor));
        assertEquals(sent.subList(sent.size() - 4, sent.size() - 1), before.get("data").findValuesAsText("id").stream()
                .filter(id -> id.startsWith("msg_")).toList());
        JsonNode empty = ok(w.as(u).get("/api/v1/messages?channel_id=" + w.experienceB));
        assertEquals(0, empty.get("data").size());
        assertTrue(empty.get("page_info").get("end_cursor").isNull());
        assertEquals(400, w.as(u).get("/api/v1/messages?channel_id=" + w.experienceA + "&direction=sideways").status());
        assertEquals(400, w.as(u).get("/api/v1/messages").status());
    }

    @Test
    void privateAttachmentsAreReadableByTheChannelOnly() throws Exception {
        JsonNode file = World.created(world.as(member).post("/api/v1/files", Map.of("filename", "photo.png")));
        var put = java.net.http.HttpRequest.newBuilder(java.net.URI.create(file.get("upload_url").asText()))
                .header("Content-Type", "image/png").PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3}))
                .build();
        assertEquals(200, java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build().send(put, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
        String fileId = file.get("id").asText();
        String reader = world.customer("viewer", world.productA);
        String outsider = world.user("peeker");
        String contentPath = "/api/v1/files/" + fileId + "/content";
        assertEquals(404, world.as(reader).get(contentPath).status(), "not shared yet");
        JsonNode m = ok(post(member, Map.of("channel_id", channelA, "content", "look", "attachments", List.of(Map.of("id", fileId)))));
        assertEquals(fileId, m.get("attachments").get(0).get("id").asText());
        assertEquals(200, world.as(reader).get(contentPath).status());
        assertEquals(404, world.as(outsider).get(contentPath).status());
        assertEquals(404, post(reader, Map.of("channel_id", channelA, "content", "reuse", "attachments", List.of(Map.of("id", fileId)))).status(),
                "only the owner attaches a file");
        ok(world.as(member).delete("/api/v1/messages/" + m.get("id").asText()));
        assertEquals(404, world.as(reader).get(contentPath).status(), "deleting the message unshares the file");
    }

    static List<String> toList(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static String username(String userId) {
        return ok(world.admin.get("/api/v1/users/" + userId)).get("username").asText();
    }
}
