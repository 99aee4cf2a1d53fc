package dev.herald.notify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.herald.World.eventually;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who receives what: access at send time, team members, narrowing by user_ids, and mentions. */
class AudienceTest {
    static World world;
    static Api app;

    @BeforeAll
    static void setUp() {
        world = new World();
        app = TestServer.as(world.appKey());
    }

    static void send(Map<String, Object> target, String title) {
        Map<String, Object> body = new HashMap<>(target);
        body.put("title", title);
        body.put("content", "content of " + title);
        Api.Response r = app.post("/api/v1/notifications", body);
        assertEquals(200, r.status(), r::toString);
    }

    static List<String> subjects(String userId) {
        return world.as(userId).get("/api/v1/notifications?first=100").json().get("data").findValuesAsText("subject");
    }

    static JsonNode awaitSubject(String userId, String subject) {
        return eventually(() -> world.as(userId).get("/api/v1/notifications?first=100").json(),
                feed -> feed.get("data").findValuesAsText("subject").contains(subject));
    }

    /** Waits until the notification was delivered anywhere, so an absence is meaningful. */
    static void awaitDelivered(String title) {
        eventually(() -> {
            boolean delivered = TestServer.get().database().jdbi().withHandle(h -> h.createQuery(
                            "select count(*) = 1 from notifications where title = :t and delivered_at is not null")
                    .bind("t", title).mapTo(Boolean.class).one());
            return dev.herald.web.Json.MAPPER.getNodeFactory().booleanNode(delivered);
        }, JsonNode::asBoolean);
    }

    @Test
    void experienceBroadcastReachesExactlyThoseWithAccess() {
        String customerA = world.customer("custA", world.productA);
        String customerB = world.customer("custB", world.productB);
        String team = world.teamMember("team");
        String outsider = world.user("outsider");
        String cancelled = world.user("cancelled");
        String membership = world.member(cancelled, world.productA);
        ok(world.admin.post("/api/v1/memberships/" + membership + "/cancel", Map.of()));

        send(Map.of("experience_id", world.experienceA), "Broadcast A");
        awaitSubject(customerA, "Broadcast A");
        awaitSubject(team, "Broadcast A");
        assertFalse(subjects(customerB).contains("Broadcast A"));
        assertFalse(subjects(outsider).contains("Broadcast A"));
        assertFalse(subjects(cancelled).contains("Broadcast A"));
        // A broadcast is stored once: one audience row, not one per member.
        long rows = TestServer.get().database().jdbi().withHandle(h -> h.createQuery("""
                        select count(*) from notification_audiences a join notifications n on n.seq = a.seq where n.title = 'Broadcast A'""")
                .mapTo(Long.class).one());
        assertEquals(1, rows);
    }

    @Test
    void accessIsJudgedWhenSent() {
        String early = world.customer("early", world.productA);
        send(Map.of("experience_id", world.experienceA), "Before join");
        awaitSubject(early, "Before join");
        String late = world.customer("late", world.productA);
        String leaver = world.customer("leaver", world.productA);
        send(Map.of("experience_id", world.experienceA), "After join");
        awaitSubject(late, "After join");
        assertFalse(subjects(late).contains("Before join"), "a member does not see what was sent before they joined");

        String leaverMembership = TestServer.get().database().jdbi().withHandle(h -> h.createQuery(
                "select id from memberships where user_id = :u").bind("u", leaver).mapTo(String.class).one());
        ok(world.admin.post("/api/v1/memberships/" + leaverMembership + "/cancel", Map.of()));
        send(Map.of("experience_id", world.experienceA), "After cancel");
        awaitSubject(early, "After cancel");
        List<String> leaverFeed = subjects(leaver);
        assertTrue(leaverFeed.contains("After join"), "what was sent while a member stays in the feed");
        assertFalse(leaverFeed.contains("After cancel"), "a cancelled membership receives nothing new");
    }

    @Test
    void userIdsNarrowTheAudienceAndMarkMentions() {
        String picked = world.customer("picked", world.productA);
        String notPicked = world.customer("notpicked", world.productA);
        String outsider = world.user("outsider2");
        send(Map.of("experience_id", world.experienceA, "user_ids", List.of(picked, outsider, "user_unknown")), "Narrowed");
        JsonNode feed = awaitSubject(picked, "Narrowed");
        JsonNode item = feed.get("data").get(0);
        assertEquals("Narrowed", item.get("subject").asText());
        assertTrue(item.get("mentions_me").asBoolean());
        awaitDelivered("Narrowed");
        assertFalse(subjects(notPicked).contains("Narrowed"));
        assertFalse(subjects(outsider).contains("Narrowed"), "outsiders named in user_ids are skipped");
        JsonNode mentions = world.as(picked).get("/api/v1/notifications?mentions=true").json();
        assertEquals(List.of("Narrowed"), mentions.get("data").findValuesAsText("subject"));
    }

    @Test
    void companyNotificationsReachTeamMembersOnly() {
        String team = world.teamMember("teamc");
        String otherTeam = world.teamMember("teamd");
        String customer = world.customer("custc", world.productA);
        send(Map.of("company_id", world.companyId), "Team memo");
        awaitSubject(team, "Team memo");
        awaitSubject(otherTeam, "Team memo");
        assertFalse(subjects(customer).contains("Team memo"));

        send(Map.of("company_id", world.companyId, "user_ids", List.of(team, customer)), "Team narrowed");
        JsonNode feed = awaitSubject(team, "Team narrowed");
        assertTrue(feed.get("data").get(0).get("mentions_me").asBoolean());
        awaitDelivered("Team narrowed");
        assertFalse(subjects(otherTeam).contains("Team narrowed"));
        assertFalse(subjects(customer).contains("Team narrowed"), "a customer is not a team member");
        JsonNode memo = feed.get("data").get(1);
        assertTrue(memo.get("experience").isNull());
        assertEquals(world.companyId, memo.get("account").get("id").asText());
    }
}
