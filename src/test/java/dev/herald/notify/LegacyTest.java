package dev.herald.notify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.herald.World.created;
import static dev.herald.World.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /api/v2/app/notifications}: topics, notification_data and the four target kinds. */
class LegacyTest {
    static World world;
    static Api app;

    @BeforeAll
    static void setUp() {
        world = new World();
        app = TestServer.as(world.appKey());
        created(app.post("/api/v1/apps/" + world.appId + "/notification_topics", Map.of("identifier", "dispatch")));
    }

    static Map<String, Object> all(String subject) {
        return Map.of("all", Map.of("subject", subject, "content", "content " + subject));
    }

    static Api.Response send(Object data, List<Map<String, Object>> targets) {
        return app.post("/api/v2/app/notifications", Map.of("topic_identifier", "dispatch", "notification_data", data, "targets", targets));
    }

    static List<String> subjects(String userId) {
        return world.as(userId).get("/api/v1/notifications?first=100").json().get("data").findValuesAsText("subject");
    }

    static void await(String userId, String subject) {
        eventually(() -> world.as(userId).get("/api/v1/notifications?first=100").json(),
                f -> f.get("data").findValuesAsText("subject").contains(subject));
    }

    @Test
    void usersTargetReachesNamedUsersOfTheAppsCompanies() {
        String customer = world.customer("legacyu", world.productA);
        String stranger = new World().customer("stranger", new World().productA);
        assertEquals(200, send(all("To users"), List.of(Map.of("users", List.of(customer, stranger)))).status());
        await(customer, "To users");
        JsonNode item = world.as(customer).get("/api/v1/notifications").json().get("data").get(0);
        assertEquals("dispatch", item.get("topic").get("identifier").asText());
        assertFalse(item.get("mentions_me").asBoolean());
    }

    @Test
    void productCompanyAndExperienceTargets() {
        String ownerA = world.customer("ownerA", world.productA);
        String ownerB = world.customer("ownerB", world.productB);
        String team = world.teamMember("legacyteam");
        assertEquals(200, send(all("To product A"), List.of(Map.of("products", List.of(world.productA)))).status());
        assertEquals(200, send(all("To company"), List.of(Map.of("companies", List.of(world.companyId)))).status());
        assertEquals(200, send(all("To experience B"), List.of(Map.of("experiences", List.of(world.experienceB)))).status());
        await(ownerA, "To company");
        await(ownerB, "To experience B");
        await(ownerA, "To product A");
        List<String> a = subjects(ownerA);
        List<String> b = subjects(ownerB);
        assertFalse(a.contains("To experience B"));
        assertFalse(b.contains("To product A"));
        assertTrue(b.contains("To company"));
        List<String> teamFeed = subjects(team);
        assertFalse(teamFeed.contains("To company"), "companies = users with an active product, not the team");
        assertFalse(teamFeed.contains("To product A"));
    }

    @Test
    void inAppAndMobileContentStayApart() {
        String customer = world.customer("split", world.productA);
        Map<String, Object> data = Map.of(
                "in_app", Map.of("subject", "Feed subject", "content", "Feed content"),
                "mobile", Map.of("subject", "Push subject", "content", "Push content"));
        assertEquals(200, send(data, List.of(Map.of("users", List.of(customer)))).status());
        await(customer, "Feed subject");
        JsonNode item = world.as(customer).get("/api/v1/notifications").json().get("data").get(0);
        assertEquals("Feed content", item.get("content").asText());
        List<String> stored = TestServer.get().database().jdbi().withHandle(h -> h.createQuery(
                        "select mobile_title || '|' || mobile_content from notifications where title = 'Feed subject'")
                .mapTo(String.class).list());
        assertEquals(List.of("Push subject|Push content"), stored);
    }

    @Test
    void badRequestsNameWhatIsMissing() {
        List<Map<String, Object>> targets = List.of(Map.of("users", List.of("user_x")));
        Api.Response onlyInApp = send(Map.of("in_app", Map.of("subject", "s", "content", "c")), targets);
        assertEquals(400, onlyInApp.status());
        assertEquals("notification_data.mobile", onlyInApp.errorParam());
        Api.Response noContent = send(Map.of("all", Map.of("subject", "s")), targets);
        assertEquals("notification_data.all.content", noContent.errorParam());
        Api.Response noTargets = send(all("x"), List.of());
        assertEquals("targets", noTargets.errorParam());
        Api.Response emptyTarget = send(all("x"), List.of(Map.of()));
        assertEquals(400, emptyTarget.status());
        Api.Response noTopic = app.post("/api/v2/app/notifications", Map.of("notification_data", all("x"), "targets", targets));
        assertEquals("topic_identifier", noTopic.errorParam());
        Api.Response unknownTopic = app.post("/api/v2/app/notifications",
                Map.of("topic_identifier", "nope", "notification_data", all("x"), "targets", targets));
        assertEquals(400, unknownTopic.status());
        assertEquals("topic_identifier", unknownTopic.errorParam());
    }

    @Test
    void onlyTheAppsOwnTargets() {
        World other = new World();
        assertEquals(403, send(all("x"), List.of(Map.of("companies", List.of(other.companyId)))).status());
        assertEquals(403, send(all("x"), List.of(Map.of("experiences", List.of(other.experienceA)))).status());
        assertEquals(404, send(all("x"), List.of(Map.of("products", List.of("prod_missing")))).status());
        Api companyKey = TestServer.as(world.companyKey("notification:create"));
        assertEquals(403, companyKey.post("/api/v2/app/notifications", Map.of("topic_identifier", "dispatch",
                "notification_data", all("x"), "targets", List.of(Map.of("users", List.of("user_x"))))).status());
    }
}
