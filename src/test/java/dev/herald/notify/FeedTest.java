package dev.herald.notify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.herald.World.eventually;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The user's side: pages, filters, single reads, badges, read marks, topics and deep links. */
class FeedTest {
    static World world;
    static Api app;

    @BeforeAll
    static void setUp() {
        world = new World();
        app = TestServer.as(world.appKey());
    }

    static void send(Map<String, Object> fields) {
        Map<String, Object> body = new HashMap<>(fields);
        body.putIfAbsent("content", "body");
        Api.Response r = app.post("/api/v1/notifications", body);
        assertEquals(200, r.status(), r::toString);
    }

    static JsonNode feed(String userId, String query) {
        return ok(world.as(userId).get("/api/v1/notifications" + query));
    }

    static JsonNode await(String userId, String subject) {
        return eventually(() -> feed(userId, "?first=100"), f -> f.get("data").findValuesAsText("subject").contains(subject));
    }

    @Test
    void pagesWalkNewestFirstAndVisitEachOnce() {
        String user = world.customer("pager", world.productB);
        for (int i = 0; i < 25; i++) {
            send(Map.of("experience_id", world.experienceB, "title", "Page " + i));
        }
        await(user, "Page 24");
        eventually(() -> feed(user, "?first=100"), f -> f.get("data").size() == 25);
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            JsonNode page = feed(user, "?first=10" + (after == null ? "" : "&after=" + after));
            page.get("data").forEach(n -> seen.add(n.get("subject").asText()));
            JsonNode info = page.get("page_info");
            assertEquals(info.get("has_next_page").asBoolean(), !info.get("end_cursor").isNull());
            after = info.get("end_cursor").isNull() ? null : info.get("end_cursor").asText();
            pages++;
        } while (after != null);
        assertEquals(3, pages);
        List<String> expected = new ArrayList<>();
        for (int i = 24; i >= 0; i--) {
            expected.add("Page " + i);
        }
        assertEquals(expected, seen);
        assertEquals(20, feed(user, "").get("data").size(), "default page size is 20");
        assertEquals(400, world.as(user).get("/api/v1/notifications?first=101").status());
        assertEquals(400, world.as(user).get("/api/v1/notifications?first=0").status());
        assertEquals(400, world.as(user).get("/api/v1/notifications?after=garbage!").status());
    }

    @Test
    void filtersByExperienceAccountMentionsAndUnread() {
        String user = world.customer("filters", world.productA);
        world.member(user, world.productB);
        send(Map.of("experience_id", world.experienceA, "title", "In A"));
        send(Map.of("experience_id", world.experienceB, "title", "In B"));
        send(Map.of("experience_id", world.experienceB, "title", "Mention B", "user_ids", List.of(user)));
        await(user, "Mention B");
        await(user, "In A");
        assertEquals(List.of("In A"), feed(user, "?experience_id=" + world.experienceA).get("data").findValuesAsText("subject"));
        assertEquals(List.of("Mention B", "In B"), feed(user, "?experience_id=" + world.experienceB).get("data").findValuesAsText("subject"));
        assertEquals(3, feed(user, "?account_id=" + world.companyId).get("data").size());
        assertEquals(0, feed(user, "?account_id=biz_other").get("data").size());
        assertEquals(List.of("Mention B"), feed(user, "?mentions=true").get("data").findValuesAsText("subject"));
        assertEquals(3, feed(user, "?unread=true").get("data").size());
        ok(world.as(user).post("/api/v1/notifications/mark_read", Map.of("experience_id", world.experienceB)));
        assertEquals(List.of("In A"), feed(user, "?unread=true").get("data").findValuesAsText("subject"));
        send(Map.of("experience_id", world.experienceB, "title", "Newer B"));
        await(user, "Newer B");
        assertEquals(List.of("Newer B", "In A"), feed(user, "?unread=true").get("data").findValuesAsText("subject"));
        ok(world.as(user).post("/api/v1/notifications/mark_read", Map.of("all", true)));
        assertEquals(0, feed(user, "?unread=true").get("data").size());
        assertEquals(4, feed(user, "").get("data").size(), "reading does not remove anything");
    }

    @Test
    void badgesTrackUnreadAndMentionsPerExperience() {
        String user = world.customer("badges", world.productA);
        JsonNode before = ok(world.as(user).get("/api/v1/notifications/badges")).get("data");
        assertEquals(1, before.size());
        assertEquals(world.experienceA, before.get(0).get("experience_id").asText());
        assertFalse(before.get(0).get("has_unread").asBoolean());
        assertEquals(0, before.get(0).get("important_count").asInt());
        assertTrue(before.get(0).get("last_viewed_at").isNull());

        send(Map.of("experience_id", world.experienceA, "title", "Badge broadcast"));
        send(Map.of("experience_id", world.experienceA, "title", "Badge mention", "user_ids", List.of(user)));
        await(user, "Badge mention");
        await(user, "Badge broadcast");
        JsonNode badge = ok(world.as(user).get("/api/v1/notifications/badges")).get("data").get(0);
        assertTrue(badge.get("has_unread").asBoolean());
        assertEquals(1, badge.get("important_count").asInt());
        assertEquals("A", badge.get("experience").get("name").asText());

        ok(world.as(user).post("/api/v1/notifications/mark_read", Map.of("experience_id", world.experienceA)));
        JsonNode read = ok(world.as(user).get("/api/v1/notifications/badges")).get("data").get(0);
        assertFalse(read.get("has_unread").asBoolean());
        assertEquals(0, read.get("important_count").asInt());
        assertFalse(read.get("last_viewed_at").isNull());
    }

    @Test
    void markReadNeedsATarget() {
        String user = world.customer("markread", world.productA);
        Api.Response r = world.as(user).post("/api/v1/notifications/mark_read", Map.of());
        assertEquals(400, r.status());
        assertEquals("parameter_missing", r.errorCode());
    }

    @Test
    void singleNotificationsAreVisibleOnlyToRecipients() {
        String user = world.customer("single", world.productA);
        String other = world.customer("single2", world.productB);
        send(Map.of("experience_id", world.experienceA, "title", "Single"));
        JsonNode item = await(user, "Single").get("data").get(0);
        String id = item.get("id").asText();
        JsonNode fetched = ok(world.as(user).get("/api/v1/notifications/" + id));
        assertEquals(item, fetched);
        assertEquals(404, world.as(other).get("/api/v1/notifications/" + id).status());
        assertEquals(404, world.as(user).get("/api/v1/notifications/ntf_missing").status());
        assertEquals(403, world.admin.get("/api/v1/notifications").status(), "the feed belongs to a user token");
    }

    @Test
    void objectCarriesLinksAndIcons() {
        String user = world.customer("links", world.productA);
        JsonNode iconUser = World.created(world.admin.post("/api/v1/users", Map.of("username", "sarah" + System.nanoTime(),
                "profile_picture_url", "https://cdn.example.test/sarah.png")));
        send(Map.of("experience_id", world.experienceA, "title", "Path link", "rest_path", "/posts/post_123",
                "icon_user_id", iconUser.get("id").asText(), "subtitle", "Sub"));
        send(Map.of("experience_id", world.experienceA, "title", "Query link", "rest_path", "?action=review&id=123"));
        JsonNode data = eventually(() -> feed(user, ""), f -> f.get("data").size() == 2).get("data");
        JsonNode query = data.get(0);
        JsonNode path = data.get(1);
        assertEquals("https://app.example.test/experiences/" + world.experienceA + "/posts/post_123", path.get("iframe_link").asText());
        assertEquals("https://app.example.test/experiences/" + world.experienceA + "?action=review&id=123", query.get("iframe_link").asText());
        assertEquals(TestServer.config().publicUrl() + "/experiences/" + world.experienceA + "/posts/post_123", path.get("link").asText());
        assertEquals("https://cdn.example.test/sarah.png", path.get("attachment_url").asText());
        assertEquals("Sub", path.get("subtitle").asText());
        assertEquals("/posts/post_123", path.get("rest_path").asText());
        assertEquals(world.experienceA, path.get("experience").get("id").asText());
        assertEquals(world.appId, path.get("experience").get("app").get("id").asText());
        assertTrue(path.get("experience").get("app").has("icon_url"));
        assertEquals(world.companyId, path.get("account").get("id").asText());
        for (String field : List.of("id", "subject", "content", "created_at", "experience", "account", "sender", "topic",
                "rest_path", "link", "iframe_link", "attachment_url", "mentions_me")) {
            assertTrue(path.has(field), "missing field " + field);
        }
    }

    @Test
    void companyNotificationsLinkToTheDashboard() {
        String team = world.teamMember("dash");
        send(Map.of("company_id", world.companyId, "title", "Dash", "rest_path", "/reports/flagged"));
        JsonNode item = await(team, "Dash").get("data").get(0);
        assertEquals("https://app.example.test/dashboard/" + world.companyId + "/reports/flagged", item.get("iframe_link").asText());
    }

    @Test
    void topicsListTheAppsTopics() {
        String user = world.customer("topics", world.productA);
        Api appKey = TestServer.as(world.appKey());
        World.created(appKey.post("/api/v1/apps/" + world.appId + "/notification_topics",
                Map.of("identifier", "feed-topic", "name", "Feed topic", "default_preference_value", false)));
        JsonNode topics = ok(world.as(user).get("/api/v1/notifications/topics")).get("data");
        JsonNode topic = null;
        for (JsonNode t : topics) {
            if (t.get("identifier").asText().equals("feed-topic")) {
                topic = t;
            }
        }
        assertTrue(topic != null, topics::toString);
        assertEquals("Feed topic", topic.get("name").asText());
        assertFalse(topic.get("default_preference_value").asBoolean());
        assertEquals(world.appId, topic.get("app").get("id").asText());
        assertEquals(0, ok(world.as(world.user("lonely")).get("/api/v1/notifications/topics")).get("data").size());
    }
}
