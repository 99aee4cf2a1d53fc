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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SupportChannelsTest {
    static World world;
    static String team;
    static Api supportKey;

    @BeforeAll
    static void setUp() {
        world = new World();
        team = world.teamMember("agent");
        supportKey = TestServer.as(world.companyKey("support_chat:create", "support_chat:read", "chat:message:create"));
    }

    static Api.Response open(Api caller, String companyId, String userId) {
        return caller.post("/api/v1/support_channels", Map.of("company_id", companyId, "user_id", userId));
    }

    @Test
    void openingReturnsTheCustomersOneChannelAlsoUnderConcurrentCalls() throws Exception {
        String customer = world.customer("racer", world.productA);
        List<Callable<Api.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            calls.add(() -> open(supportKey, world.companyId, customer));
        }
        Set<String> ids = new HashSet<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(10)) {
            for (Future<Api.Response> f : pool.invokeAll(calls)) {
                ids.add(ok(f.get()).get("id").asText());
            }
        }
        assertEquals(1, ids.size(), ids::toString);
        String id = ids.iterator().next();
        assertTrue(id.startsWith("channel_"));

        String username = ok(world.admin.get("/api/v1/users/" + customer)).get("username").asText();
        JsonNode byUsername = ok(world.as(team).post("/api/v1/support_channels",
                Map.of("company_id", world.companyId, "user_id", username.toUpperCase(), "custom_name", "ignored")));
        assertEquals(id, byUsername.get("id").asText());
        assertTrue(byUsername.get("custom_name").isNull(), "an existing channel is returned unchanged");
        assertEquals(world.companyId, byUsername.get("company_id").asText());
        assertEquals(customer, byUsername.get("customer_user").get("id").asText());
        assertEquals(username, byUsername.get("customer_user").get("username").asText());
        assertEquals("racer", byUsername.get("customer_user").get("name").asText());
        assertTrue(byUsername.get("last_message_at").isNull());
        assertTrue(byUsername.get("resolved_at").isNull());
        assertNotNull(byUsername.get("created_at").asText(null));
        assertEquals(byUsername, ok(world.as(customer).get("/api/v1/support_channels/" + id)));
    }

    @Test
    void whoMayOpenAThread() {
        String customer = world.customer("opener", world.productA);
        String other = world.customer("bystander", world.productA);
        JsonNode own = ok(world.as(customer).post("/api/v1/support_channels",
                Map.of("company_id", world.companyId, "user_id", customer, "custom_name", "Billing")));
        assertEquals("Billing", own.get("custom_name").asText());
        assertEquals(own.get("id"), ok(open(TestServer.as(world.appKey("support_chat:create")), world.companyId, customer)).get("id"));
        assertEquals(own.get("id"), ok(open(world.admin, world.companyId, customer)).get("id"));

        assertEquals(403, open(world.as(customer), world.companyId, other).status(), "a customer opens only their own");
        assertEquals(403, open(TestServer.as(world.companyKey("support_chat:read")), world.companyId, customer).status());
        assertEquals(404, open(world.as(world.user("outsider")), world.companyId, customer).status());
        World elsewhere = new World();
        Api foreignKey = TestServer.as(elsewhere.companyKey("support_chat:create", "support_chat:read"));
        assertEquals(404, open(foreignKey, world.companyId, customer).status());
        assertEquals(404, foreignKey.get("/api/v1/support_channels/" + own.get("id").asText()).status());

        Api.Response unknown = open(supportKey, world.companyId, "user_doesnotexist1");
        assertEquals(404, unknown.status());
        assertEquals("user_id", unknown.errorParam());
        assertEquals("company_id", supportKey.post("/api/v1/support_channels", Map.of("user_id", customer)).errorParam());
        assertEquals("user_id", supportKey.post("/api/v1/support_channels", Map.of("company_id", world.companyId)).errorParam());
    }

    @Test
    void whoMayReadAThread() {
        String customer = world.customer("reader", world.productA);
        String id = ok(open(supportKey, world.companyId, customer)).get("id").asText();
        assertEquals(200, world.as(team).get("/api/v1/support_channels/" + id).status());
        assertEquals(200, TestServer.as(world.appKey("support_chat:read")).get("/api/v1/support_channels/" + id).status());
        assertEquals(403, TestServer.as(world.appKey("chat:read")).get("/api/v1/support_channels/" + id).status());
        assertEquals(404, world.as(world.customer("neighbour", world.productA)).get("/api/v1/support_channels/" + id).status());
        String experienceChannel = ok(world.admin.get("/api/v1/chat_channels/" + world.experienceA)).get("id").asText();
        assertEquals(404, world.admin.get("/api/v1/support_channels/" + experienceChannel).status());
    }

    @Test
    void messagesResolveAndReopen() {
        String customer = world.customer("asker", world.productA);
        String id = ok(open(world.as(customer), world.companyId, customer)).get("id").asText();
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", id, "content", "My payment failed")));
        JsonNode afterPost = ok(world.as(team).get("/api/v1/support_channels/" + id));
        assertFalse(afterPost.get("last_message_at").isNull());

        ok(supportKey.post("/api/v1/messages", Map.of("channel_id", id, "content", "Looking into it")));
        assertEquals(403, TestServer.as(world.companyKey("chat:read")).get("/api/v1/messages?channel_id=" + id).status(),
                "support threads need support_chat:read");
        assertEquals(2, ok(supportKey.get("/api/v1/messages?channel_id=" + id)).get("data").size());
        String outsider = world.customer("snoop", world.productA);
        assertEquals(404, world.as(outsider).get("/api/v1/messages?channel_id=" + id).status());
        assertEquals(404, world.as(outsider).post("/api/v1/messages", Map.of("channel_id", id, "content", "hi")).status());

        assertEquals(403, world.as(customer).post("/api/v1/support_channels/" + id + "/resolve", Map.of()).status());
        JsonNode resolved = ok(world.as(team).post("/api/v1/support_channels/" + id + "/resolve", Map.of()));
        assertFalse(resolved.get("resolved_at").isNull());
        assertEquals(resolved.get("resolved_at"), ok(supportKey.post("/api/v1/support_channels/" + id + "/resolve", Map.of()))
                .get("resolved_at"), "resolving again keeps the first time");
        ok(world.as(team).post("/api/v1/messages", Map.of("channel_id", id, "content", "Fixed, closing")));
        assertFalse(ok(supportKey.get("/api/v1/support_channels/" + id)).get("resolved_at").isNull(), "the team's post keeps it resolved");
        ok(world.as(customer).post("/api/v1/messages", Map.of("channel_id", id, "content", "It failed again")));
        assertTrue(ok(supportKey.get("/api/v1/support_channels/" + id)).get("resolved_at").isNull(), "the customer's post reopens it");

        ok(supportKey.post("/api/v1/support_channels/" + id + "/resolve", Map.of()));
        assertTrue(ok(supportKey.post("/api/v1/support_channels/" + id + "/reopen", Map.of())).get("resolved_at").isNull());
        assertEquals(403, TestServer.as(world.companyKey("support_chat:read")).post("/api/v1/support_channels/" + id + "/reopen", Map.of()).status());
        assertEquals(404, world.as(outsider).post("/api/v1/support_channels/" + id + "/resolve", Map.of()).status());
    }

    @Test
    void listingFiltersOrdersAndWalksEveryThreadOnce() {
        World w = new World();
        String agent = w.teamMember("agent2");
        Api key = TestServer.as(w.companyKey("support_chat:create", "support_chat:read", "chat:message:create"));
        List<String> opened = new ArrayList<>();
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String c = w.customer("c" + i, w.productA);
            customers.add(c);
            opened.add(ok(open(key, w.companyId, c)).get("id").asText());
        }
        // Threads 5, 1 and 3 get messages in that order; thread 3 is then resolved.
        for (int i : List.of(5, 1, 3)) {
            ok(w.as(customers.get(i)).post("/api/v1/messages", Map.of("channel_id", opened.get(i), "content", "help " + i)));
        }
        ok(key.post("/api/v1/support_channels/" + opened.get(3) + "/resolve", Map.of()));

        String base = "/api/v1/support_channels?company_id=" + w.companyId;
        assertEquals(opened.reversed(), walk(key, base + "&first=2"), "newest first by default");
        assertEquals(opened, walk(key, base + "&first=3&direction=asc"));
        List<String> byPostDesc = walk(key, base + "&order=last_post_sent_at&first=2");
        assertEquals(List.of(opened.get(3), opened.get(1), opened.get(5)), byPostDesc.subList(0, 3), "most recent post first");
        assertEquals(Set.of(opened.get(0), opened.get(2), opened.get(4), opened.get(6)), Set.copyOf(byPostDesc.subList(3, 7)),
                "threads without posts last");
        List<String> byPostAsc = walk(key, base + "&order=last_post_sent_at&direction=asc&first=4");
        assertEquals(List.of(opened.get(5), opened.get(1), opened.get(3)), byPostAsc.subList(0, 3));
        assertEquals(byPostDesc.subList(3, 7).reversed(), byPostAsc.subList(3, 7), "threads without posts last in both directions");
        assertEquals(List.of(opened.get(3)), walk(key, base + "&open=false"));
        assertEquals(6, walk(key, base + "&open=true&first=1").size());

        JsonNode last = ok(key.get(base + "&first=7"));
        assertTrue(last.get("page_info").get("end_cursor").isNull());
        assertFalse(last.get("page_info").get("has_next_page").asBoolean());
        String middle = ok(key.get(base + "&first=3")).get("page_info").get("end_cursor").asText();
        JsonNode before = ok(key.get(base + "&last=2&before=" + middle));
        assertEquals(List.of(opened.get(6), opened.get(5)), before.get("data").findValuesAsText("id").stream()
                .filter(id -> id.startsWith("channel_")).toList());
        assertEquals(400, key.get(base + "&order=last_post_sent_at&after=" + middle).status(), "a cursor of another order");

        // A user token without company_id: their own threads as a customer plus those of their team's companies.
        String both = customers.getFirst();
        World.created(w.admin.post("/api/v1/authorized_users", Map.of("company_id", world.companyId, "user_id", both)));
        String elsewhere = ok(open(supportKey, world.companyId, w.customer("c-x", w.productA))).get("id").asText();
        Set<String> all = new HashSet<>(walk(w.as(both), "/api/v1/support_channels?first=50"));
        assertTrue(all.contains(opened.getFirst()) && all.contains(elsewhere), all::toString);
        assertFalse(all.contains(opened.get(1)));
        assertEquals(List.of(opened.getFirst()), walk(w.as(both), "/api/v1/support_channels?view=customer"));
        assertFalse(walk(w.as(both), "/api/v1/support_channels?view=admin").contains(opened.getFirst()));
        assertEquals(opened.reversed(), walk(w.as(agent), "/api/v1/support_channels?view=admin"));
        assertEquals(List.of(), walk(key, base + "&view=customer"));

        assertEquals(400, key.get("/api/v1/support_channels").status(), "keys name their company");
        assertEquals(403, TestServer.as(w.companyKey("support_chat:create")).get(base).status());
        assertEquals(404, supportKey.get(base).status(), "another company's key");
        assertEquals(400, key.get(base + "&order=title").status());
        assertEquals(400, key.get(base + "&view=everyone").status());
        assertEquals(400, key.get(base + "&direction=up").status());
        assertEquals(400, key.get(base + "&after=garbage").status());
    }

    /** Follows end_cursor like the SDK does, collecting the ids in order. */
    static List<String> walk(Api caller, String path) {
        List<String> ids = new ArrayList<>();
        String after = null;
        do {
            JsonNode page = ok(caller.get(path + (after == null ? "" : (path.contains("?") ? "&" : "?") + "after=" + after)));
            page.get("data").forEach(c -> ids.add(c.get("id").asText()));
            after = page.get("page_info").get("end_cursor").isNull() ? null : page.get("page_info").get("end_cursor").asText();
        } while (after != null);
        return ids;
    }
}
