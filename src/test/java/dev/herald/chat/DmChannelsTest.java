package dev.herald.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DmChannelsTest {
    static World world;

    @BeforeAll
    static void setUp() {
        world = new World();
    }

    static Api.Response dm(String caller, Map<String, Object> body) {
        return world.as(caller).post("/api/v1/dm_channels", body);
    }

    static String username(String userId) {
        return ok(world.admin.get("/api/v1/users/" + userId)).get("username").asText();
    }

    @Test
    void creatingUsesTheSdkShapeAndReturnsTheExistingDm() throws Exception {
        String ann = world.user("Ann");
        String ben = world.user("Ben");
        String cat = world.user("Cat");
        JsonNode created = ok(dm(ann, Map.of("with_user_ids", List.of(ben, username(cat)))));
        String id = created.get("id").asText();
        assertTrue(id.startsWith("channel_"));
        assertEquals("Ben, Cat", created.get("name").asText(), "named by the other members");
        assertTrue(created.get("last_message_at").isNull());
        assertTrue(created.has("created_at"));
        assertEquals("Ann, Cat", ok(world.as(ben).get("/api/v1/dm_channels/" + id)).get("name").asText());

        List<Callable<Api.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String caller = i % 2 == 0 ? ben : cat;
            calls.add(() -> dm(caller, Map.of("with_user_ids", List.of(ann, ben, cat))));
        }
        Set<String> ids = new HashSet<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (Future<Api.Response> f : pool.invokeAll(calls)) {
                ids.add(ok(f.get()).get("id").asText());
            }
        }
        assertEquals(Set.of(id), ids, "the same people share one DM");
        String pair = ok(dm(ann, Map.of("with_user_ids", List.of(ben)))).get("id").asText();
        assertFalse(pair.equals(id), "another member set is another DM");
        String scoped = ok(dm(world.teamMember("Dee"), Map.of("with_user_ids", List.of(ann), "company_id", world.companyId,
                "custom_name", "Onboarding"))).get("id").asText();
        assertEquals("Onboarding", ok(world.as(ann).get("/api/v1/dm_channels/" + scoped)).get("name").asText());
        assertEquals(List.of(scoped), ok(world.as(ann).get("/api/v1/dm_channels?company_id=" + world.companyId))
                .get("data").findValuesAsText("id").stream().filter(s -> s.startsWith("channel_")).toList());

        JsonNode byAdmin = ok(world.admin.post("/api/v1/dm_channels", Map.of("with_user_ids", List.of(ben, cat))));
        assertEquals(200, world.as(ben).get("/api/v1/dm_channels/" + byAdmin.get("id").asText()).status());
        assertEquals(400, world.admin.post("/api/v1/dm_channels", Map.of("with_user_ids", List.of(ben))).status(),
                "a DM needs two people");
    }

    @Test
    void refusals() {
        String ann = world.user("Ann2");
        Api.Response unknown = dm(ann, Map.of("with_user_ids", List.of("user_doesnotexist1")));
        assertEquals(404, unknown.status());
        assertEquals("with_user_ids", unknown.errorParam());
        assertEquals(400, dm(ann, Map.of("with_user_ids", List.of())).status());
        assertEquals(400, dm(ann, Map.of("with_user_ids", List.of(ann))).status());
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            tooMany.add("user_" + i);
        }
        assertEquals(400, dm(ann, Map.of("with_user_ids", tooMany)).status());
        String ben = world.user("Ben2");
        assertEquals(404, dm(ann, Map.of("with_user_ids", List.of(ben), "company_id", world.companyId)).status(),
                "a company scope needs the caller to be its customer or team member");
        Api key = TestServer.as(world.companyKey("chat:read", "chat:message:create"));
        assertEquals(403, key.post("/api/v1/dm_channels", Map.of("with_user_ids", List.of(ann, ben))).status());
        assertEquals(403, key.get("/api/v1/dm_channels").status());
    }

    @Test
    void membersTalkThroughMessagesAndOthersSeeNothing() {
        String ann = world.user("Ann3");
        String ben = world.user("Ben3");
        String eve = world.user("Eve3");
        String id = ok(dm(ann, Map.of("with_user_ids", List.of(ben)))).get("id").asText();
        ok(world.as(ben).post("/api/v1/messages", Map.of("channel_id", id, "content", "hi @" + username(ann))));
        assertEquals(1, ok(world.as(ann).get("/api/v1/messages?channel_id=" + id)).get("data").size());
        assertFalse(ok(world.as(ann).get("/api/v1/dm_channels/" + id)).get("last_message_at").isNull());
        for (String path : List.of("/api/v1/dm_channels/" + id, "/api/v1/messages?channel_id=" + id, "/api/v1/dm_members?channel_id=" + id)) {
            assertEquals(404, world.as(eve).get(path).status(), path);
        }
        assertEquals(404, world.as(eve).post("/api/v1/messages", Map.of("channel_id", id, "content", "let me in")).status());
        assertEquals(404, world.as(eve).patch("/api/v1/dm_channels/" + id, Map.of("custom_name", "mine")).status());
        assertEquals(404, world.as(eve).post("/api/v1/dm_members", Map.of("channel_id", id, "user_id", eve)).status());
    }

    @Test
    void listIsMostRecentlyActiveFirstAndWalksOnce() {
        String me = world.user("Walker");
        List<String> dms = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            dms.add(ok(dm(me, Map.of("with_user_ids", List.of(world.user("p" + i))))).get("id").asText());
        }
        ok(world.as(me).post("/api/v1/messages", Map.of("channel_id", dms.get(1), "content", "bump")));
        List<String> expected = List.of(dms.get(1), dms.get(4), dms.get(3), dms.get(2), dms.get(0));
        assertEquals(expected, SupportChannelsTest.walk(world.as(me), "/api/v1/dm_channels?first=2"));
        String hidden = dms.get(4);
        String membership = memberId(me, hidden, me);
        assertEquals("hidden", ok(world.as(me).patch("/api/v1/dm_members/" + membership, Map.of("status", "hidden"))).get("status").asText());
        assertFalse(SupportChannelsTest.walk(world.as(me), "/api/v1/dm_channels").contains(hidden), "hidden DMs are left out");
        assertEquals(200, world.as(me).get("/api/v1/dm_channels/" + hidden).status(), "but still readable");
    }

    @Test
    void renamingAndDeleting() {
        String ann = world.user("Ann4");
        String ben = world.user("Ben4");
        String id = ok(dm(ann, Map.of("with_user_ids", List.of(ben)))).get("id").asText();
        assertEquals("Plans", ok(world.as(ben).patch("/api/v1/dm_channels/" + id, Map.of("custom_name", "Plans"))).get("name").asText());
        Map<String, Object> clear = new java.util.HashMap<>();
        clear.put("custom_name", null);
        assertEquals("Ann4", ok(world.as(ben).patch("/api/v1/dm_channels/" + id, clear)).get("name").asText());

        assertEquals(403, world.as(ben).delete("/api/v1/dm_channels/" + id).status(), "only the creator deletes");
        assertEquals("true", world.as(ann).delete("/api/v1/dm_channels/" + id).raw().body());
        for (String who : List.of(ann, ben)) {
            assertEquals(404, world.as(who).get("/api/v1/dm_channels/" + id).status());
            assertEquals(404, world.as(who).get("/api/v1/messages?channel_id=" + id).status());
        }
        String again = ok(dm(ann, Map.of("with_user_ids", List.of(ben)))).get("id").asText();
        assertFalse(again.equals(id), "a deleted DM is not handed out again");
    }

    @Test
    void membersAddThemselvesManageAndLeave() {
        String ann = world.user("Ann5");
        String ben = world.user("Ben5");
        String cal = world.user("Cal5");
        String id = ok(dm(ann, Map.of("with_user_ids", List.of(ben)))).get("id").asText();

        JsonNode members = ok(world.as(ben).get("/api/v1/dm_members?channel_id=" + id));
        assertEquals(2, members.get("data").size());
        JsonNode first = members.get("data").get(0);
        assertTrue(first.get("id").asText().startsWith("dmm_"));
        assertEquals(id, first.get("channel_id").asText());
        assertEquals("accepted", first.get("status").asText());
        assertEquals("all", first.get("notification_preference").asText());
        assertTrue(first.get("last_viewed_at").isNull());
        assertEquals(Set.of(ann, ben), Set.copyOf(members.get("data").findValuesAsText("user_id")));
        List<String> walked = SupportChannelsTest.walk(world.as(ann), "/api/v1/dm_members?first=1&channel_id=" + id);
        assertEquals(members.get("data").findValuesAsText("id"), walked);

        JsonNode added = ok(world.as(ben).post("/api/v1/dm_members", Map.of("channel_id", id, "user_id", username(cal))));
        assertEquals(cal, added.get("user_id").asText());
        assertEquals(added, ok(world.as(cal).get("/api/v1/dm_members/" + added.get("id").asText())));
        assertEquals(added, ok(world.as(ann).get("/api/v1/dm_members/" + added.get("id").asText())));
        assertEquals(200, world.as(cal).get("/api/v1/messages?channel_id=" + id).status());

        String annMembership = memberId(ann, id, ann);
        JsonNode muted = ok(world.as(ann).patch("/api/v1/dm_members/" + annMembership, Map.of("notification_preference", "mentions")));
        assertEquals("mentions", muted.get("notification_preference").asText());
        assertEquals("accepted", muted.get("status").asText());
        assertEquals(403, world.as(ben).patch("/api/v1/dm_members/" + annMembership, Map.of("status", "hidden")).status());
        assertEquals(400, world.as(ann).patch("/api/v1/dm_members/" + annMembership, Map.of("status", "gone")).status());
        assertEquals(400, world.as(ann).patch("/api/v1/dm_members/" + annMembership, Map.of("notification_preference", "loud")).status());

        assertEquals(403, world.as(cal).delete("/api/v1/dm_members/" + annMembership).status(), "only the creator removes others");
        assertEquals("true", world.as(cal).delete("/api/v1/dm_members/" + added.get("id").asText()).raw().body());
        assertEquals(404, world.as(cal).get("/api/v1/messages?channel_id=" + id).status(), "a member who left reads nothing");
        assertEquals("closed", ok(world.as(cal).get("/api/v1/dm_members/" + added.get("id").asText())).get("status").asText(),
                "their own membership stays visible to them");
        assertEquals(2, ok(world.as(ann).get("/api/v1/dm_members?channel_id=" + id)).get("data").size());
        JsonNode back = ok(world.as(ann).post("/api/v1/dm_members", Map.of("channel_id", id, "user_id", cal)));
        assertEquals(added.get("id"), back.get("id"), "adding them back reopens their membership");
        assertEquals("accepted", back.get("status").asText());

        String benMembership = memberId(ann, id, ben);
        assertEquals(200, world.as(ann).delete("/api/v1/dm_members/" + benMembership).status(), "the creator removes others");
        assertEquals(404, world.as(ben).get("/api/v1/dm_channels/" + id).status());
        assertEquals(404, world.as(world.user("Out5")).get("/api/v1/dm_members/" + annMembership).status());
        assertEquals(400, world.as(ann).get("/api/v1/dm_members").status());
    }

    static String memberId(String caller, String channelId, String userId) {
        for (JsonNode m : ok(world.as(caller).get("/api/v1/dm_members?first=100&channel_id=" + channelId)).get("data")) {
            if (m.get("user_id").asText().equals(userId)) {
                return m.get("id").asText();
            }
        }
        throw new AssertionError(userId + " is not a member of " + channelId);
    }
}
