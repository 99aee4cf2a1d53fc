package dev.herald.directory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.herald.World.created;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectoryTest {
    static World world;

    @BeforeAll
    static void setUp() {
        world = new World();
    }

    static void assertAccess(String userId, String resourceId, boolean has, String level) {
        JsonNode access = ok(world.admin.get("/api/v1/users/" + userId + "/access/" + resourceId));
        assertEquals(has, access.get("has_access").asBoolean(), access::toString);
        assertEquals(level, access.get("access_level").asText());
    }

    @Test
    void objectsHaveWhopShapedIds() {
        assertTrue(world.companyId.startsWith("biz_"));
        assertTrue(world.appId.startsWith("app_"));
        assertTrue(world.experienceA.startsWith("exp_"));
        assertTrue(world.productA.startsWith("prod_"));
        String user = world.user("shape");
        assertTrue(user.startsWith("user_"));
        JsonNode fetched = ok(world.admin.get("/api/v1/users/" + user));
        assertEquals(user, fetched.get("id").asText());
        assertEquals("shape", fetched.get("name").asText());
        JsonNode membership = created(world.admin.post("/api/v1/memberships", Map.of("user_id", user, "product_id", world.productA)));
        assertTrue(membership.get("id").asText().startsWith("mem_"));
        assertEquals("active", membership.get("status").asText());
        JsonNode experience = ok(world.admin.get("/api/v1/experiences/" + world.experienceA));
        assertEquals(world.productA, experience.get("products").get(0).get("id").asText());
    }

    @Test
    void accessLevelsFollowMembershipsAndTeam() {
        String customer = world.customer("acc", world.productA);
        String team = world.teamMember("accteam");
        String outsider = world.user("accout");
        assertAccess(customer, world.experienceA, true, "customer");
        assertAccess(customer, world.experienceB, false, "no_access");
        assertAccess(customer, world.productA, true, "customer");
        assertAccess(customer, world.companyId, true, "customer");
        assertAccess(team, world.experienceB, true, "admin");
        assertAccess(team, world.companyId, true, "admin");
        assertAccess(outsider, world.experienceA, false, "no_access");
        String membership = world.member(outsider, world.productA);
        assertAccess(outsider, world.experienceA, true, "customer");
        JsonNode cancelled = ok(world.admin.post("/api/v1/memberships/" + membership + "/cancel", Map.of()));
        assertEquals("canceled", cancelled.get("status").asText());
        assertFalse(cancelled.get("canceled_at").isNull());
        assertAccess(outsider, world.experienceA, false, "no_access");
        assertEquals(404, world.admin.get("/api/v1/users/" + customer + "/access/exp_missing").status());
    }

    @Test
    void onlyTheAdminWritesTheDirectory() {
        String user = world.customer("writer", world.productA);
        Api asUser = world.as(user);
        Api asKey = TestServer.as(world.companyKey("notification:create"));
        for (Api caller : new Api[] {asUser, asKey}) {
            assertEquals(403, caller.post("/api/v1/companies", Map.of("title", "Nope")).status());
            assertEquals(403, caller.post("/api/v1/users", Map.of("username", "nope" + System.nanoTime())).status());
            assertEquals(403, caller.post("/api/v1/api_keys", Map.of("company_id", world.companyId, "permissions", new String[0])).status());
        }
        assertEquals(401, TestServer.as(null).post("/api/v1/companies", Map.of("title", "Nope")).status());
    }

    @Test
    void companyKeysCancelOnlyTheirOwnMemberships() {
        String user = world.user("cancelme");
        String membership = world.member(user, world.productA);
        World other = new World();
        assertEquals(404, TestServer.as(other.companyKey("notification:create"))
                .post("/api/v1/memberships/" + membership + "/cancel", Map.of()).status());
        assertEquals(200, TestServer.as(world.companyKey("notification:create"))
                .post("/api/v1/memberships/" + membership + "/cancel", Map.of()).status());
    }

    @Test
    void otherTenantsAreInvisible() {
        World other = new World();
        Api key = TestServer.as(world.companyKey("notification:create"));
        assertEquals(200, key.get("/api/v1/experiences/" + world.experienceA).status());
        assertEquals(404, key.get("/api/v1/experiences/" + other.experienceA).status());
        assertEquals(404, key.get("/api/v1/companies/" + other.companyId).status());
        assertEquals(404, key.get("/api/v1/products/" + other.productA).status());
    }

    @Test
    void validationErrors() {
        Api.Response noUsername = world.admin.post("/api/v1/users", Map.of("name", "x"));
        assertEquals(400, noUsername.status());
        assertEquals("parameter_missing", noUsername.errorCode());
        assertEquals("username", noUsername.errorParam());
        String username = "dupe" + System.nanoTime();
        created(world.admin.post("/api/v1/users", Map.of("username", username)));
        assertEquals(409, world.admin.post("/api/v1/users", Map.of("username", username.toUpperCase())).status());
        assertEquals(400, world.admin.post("/api/v1/users", Map.of("username", "bad name!")).status());
        assertEquals(400, world.admin.post("/api/v1/apps", Map.of("name", "x", "company_id", world.companyId, "base_url", "javascript:alert(1)")).status());
        assertEquals(404, world.admin.post("/api/v1/apps", Map.of("name", "x", "company_id", "biz_missing")).status());
        assertEquals(400, world.admin.post("/api/v1/authorized_users", Map.of("company_id", world.companyId,
                "user_id", world.user("role"), "role", "emperor")).status());
        World other = new World();
        Api.Response crossAttach = world.admin.post("/api/v1/experiences/" + world.experienceA + "/attach", Map.of("product_id", other.productA));
        assertEquals(400, crossAttach.status());
        assertEquals("product_id", crossAttach.errorParam());
        Api.Response notInstalled = world.admin.post("/api/v1/experiences", Map.of("app_id", other.appId, "company_id", world.companyId, "name", "x"));
        assertEquals(400, notInstalled.status());
        assertEquals("app_id", notInstalled.errorParam());
        Api.Response badPermission = world.admin.post("/api/v1/api_keys", Map.of("company_id", world.companyId, "permissions", new String[] {"everything"}));
        assertEquals(400, badPermission.status());
        assertEquals("permissions", badPermission.errorParam());
        Api.Response bothScopes = world.admin.post("/api/v1/api_keys", Map.of("company_id", world.companyId, "app_id", world.appId, "permissions", new String[0]));
        assertEquals(400, bothScopes.status());
    }

    @Test
    void topicsBelongToTheirApp() {
        World other = new World();
        Api otherApp = TestServer.as(other.appKey());
        assertEquals(403, otherApp.post("/api/v1/apps/" + world.appId + "/notification_topics", Map.of("identifier", "x")).status());
        Api app = TestServer.as(world.appKey());
        created(app.post("/api/v1/apps/" + world.appId + "/notification_topics", Map.of("identifier", "t1")));
        assertEquals(409, app.post("/api/v1/apps/" + world.appId + "/notification_topics", Map.of("identifier", "t1")).status());
        assertEquals(400, app.post("/api/v1/apps/" + world.appId + "/notification_topics", Map.of("identifier", "Has Spaces")).status());
    }
}
