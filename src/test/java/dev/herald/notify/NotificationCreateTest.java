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
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.herald.World.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NotificationCreateTest {
    static World world;
    static Api app;
    static String member;

    @BeforeAll
    static void setUp() {
        world = new World();
        app = TestServer.as(world.appKey());
        member = world.customer("member", world.productA);
    }

    static Map<String, Object> valid() {
        Map<String, Object> body = new HashMap<>();
        body.put("experience_id", world.experienceA);
        body.put("title", "Hello");
        body.put("content", "World");
        return body;
    }

    static Map<String, Object> with(String key, Object value) {
        Map<String, Object> body = valid();
        if (value == null) {
            body.remove(key);
        } else {
            body.put(key, value);
        }
        return body;
    }

    static void assertError(Api.Response r, int status, String code, String param) {
        assertEquals(status, r.status(), r::toString);
        assertEquals(code, r.errorCode(), r::toString);
        assertEquals(param, r.errorParam(), r::toString);
        assertTrue(r.json().path("error").path("message").asText().length() > 5, r::toString);
        assertTrue(r.json().path("error").has("type"), r::toString);
    }

    @Test
    void answersSuccessOnceQueuedAndTheMemberSeesIt() {
        Api.Response r = app.post("/api/v1/notifications", with("title", "Queued one"));
        assertEquals(200, r.status(), r::toString);
        assertEquals(true, r.json().get("success").asBoolean());
        eventually(() -> world.as(member).get("/api/v1/notifications").json(),
                feed -> feed.get("data").findValuesAsText("subject").contains("Queued one"));
    }

    @Test
    void missingFieldsAreNamed() {
        assertError(app.post("/api/v1/notifications", with("title", null)), 400, "parameter_missing", "title");
        assertError(app.post("/api/v1/notifications", with("content", null)), 400, "parameter_missing", "content");
        assertError(app.post("/api/v1/notifications", with("experience_id", null)), 400, "parameter_missing", "experience_id");
        assertError(app.post("/api/v1/notifications", with("title", "   ")), 400, "parameter_missing", "title");
    }

    @Test
    void wrongTypesAndSizesAreInvalid() {
        assertError(app.post("/api/v1/notifications", with("title", 42)), 400, "parameter_invalid", "title");
        assertError(app.post("/api/v1/notifications", with("user_ids", "user_x")), 400, "parameter_invalid", "user_ids");
        assertError(app.post("/api/v1/notifications", with("user_ids", List.of(1, 2))), 400, "parameter_invalid", "user_ids");
        assertError(app.post("/api/v1/notifications", with("title", "x".repeat(201))), 400, "parameter_invalid", "title");
        assertError(app.post("/api/v1/notifications", with("content", "x".repeat(5001))), 400, "parameter_invalid", "content");
        assertError(app.post("/api/v1/notifications", with("rest_path", "https://evil.test/x")), 400, "parameter_invalid", "rest_path");
        assertError(app.post("/api/v1/notifications", with("icon_user_id", "user_doesnotexist")), 400, "parameter_invalid", "icon_user_id");
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            tooMany.add("user_" + i);
        }
        assertError(app.post("/api/v1/notifications", with("user_ids", tooMany)), 400, "parameter_invalid", "user_ids");
    }

    @Test
    void exactlyOneTarget() {
        Map<String, Object> both = with("company_id", world.companyId);
        assertError(app.post("/api/v1/notifications", both), 400, "parameter_invalid", "experience_id");
        Map<String, Object> conflicting = with("experience_id", null);
        conflicting.put("company_id", world.companyId);
        conflicting.put("account_id", "biz_other");
        assertError(app.post("/api/v1/notifications", conflicting), 400, "parameter_invalid", "account_id");
    }

    @Test
    void badJsonIsInvalidJson() {
        assertError(app.post("/api/v1/notifications", "{not json"), 400, "invalid_json", null);
        assertError(app.post("/api/v1/notifications", "[1,2]"), 400, "invalid_json", null);
        assertError(app.post("/api/v1/notifications", ""), 400, "invalid_json", null);
        assertError(app.post("/api/v1/notifications", "{} trailing"), 400, "invalid_json", null);
    }

    @Test
    void credentialsAreChecked() {
        assertEquals(401, TestServer.as(null).post("/api/v1/notifications", valid()).status());
        assertEquals(401, TestServer.as("hk_not_a_real_key").post("/api/v1/notifications", valid()).status());
        assertEquals(401, TestServer.as("hk_" + "x".repeat(300)).post("/api/v1/notifications", valid()).status());
        assertEquals(401, TestServer.as(TestServer.ADMIN_TOKEN + "x").post("/api/v1/notifications", valid()).status());
        Api.Response noPermission = TestServer.as(world.appKey("chat:read")).post("/api/v1/notifications", valid());
        assertEquals(403, noPermission.status(), noPermission::toString);
        assertEquals("forbidden", noPermission.json().path("error").path("type").asText());
    }

    @Test
    void unknownTargetsAre404() {
        assertError(app.post("/api/v1/notifications", with("experience_id", "exp_doesnotexist")), 404, "resource_not_found", "experience_id");
        Map<String, Object> company = with("experience_id", null);
        company.put("company_id", "biz_doesnotexist");
        assertError(app.post("/api/v1/notifications", company), 404, "resource_not_found", "company_id");
    }

    @Test
    void appsAndCompaniesStayInTheirLane() {
        World other = new World();
        assertEquals(403, app.post("/api/v1/notifications", with("experience_id", other.experienceA)).status());
        Map<String, Object> otherCompany = with("experience_id", null);
        otherCompany.put("company_id", other.companyId);
        assertEquals(403, app.post("/api/v1/notifications", otherCompany).status());
        // Once the other company installs the app, the app may notify its team.
        World.created(world.admin.post("/api/v1/apps/" + world.appId + "/installations", Map.of("company_id", other.companyId)));
        assertEquals(200, app.post("/api/v1/notifications", otherCompany).status());
        // …but still not an experience of another app.
        assertEquals(403, app.post("/api/v1/notifications", with("experience_id", other.experienceA)).status());

        Api companyKey = TestServer.as(world.companyKey("notification:create"));
        assertEquals(200, companyKey.post("/api/v1/notifications", valid()).status());
        assertEquals(403, companyKey.post("/api/v1/notifications", with("experience_id", other.experienceA)).status());
    }

    @Test
    void userTokensMayNotifyOnlyForTheirOwnTeam() {
        String teammate = world.teamMember("teammate");
        assertEquals(200, world.as(teammate).post("/api/v1/notifications", valid()).status());
        assertEquals(403, world.as(member).post("/api/v1/notifications", valid()).status());
    }

    @Test
    void accountIdIsAcceptedForCompanies() {
        String teammate = world.teamMember("acct");
        Map<String, Object> body = with("experience_id", null);
        body.put("account_id", world.companyId);
        body.put("title", "Via account_id");
        assertEquals(200, app.post("/api/v1/notifications", body).status());
        eventually(() -> world.as(teammate).get("/api/v1/notifications").json(),
                feed -> feed.get("data").findValuesAsText("subject").contains("Via account_id"));
    }

    @Test
    void idempotentReplayGivesOneNotification() {
        String key = "idem-" + System.nanoTime();
        Map<String, Object> body = with("title", "Idempotent " + key);
        Api.Response first = app.post("/api/v1/notifications", body, Map.of("Idempotency-Key", key));
        Api.Response second = app.post("/api/v1/notifications", body, Map.of("Idempotency-Key", key));
        assertEquals(200, first.status());
        assertEquals(first.raw().body(), second.raw().body());
        Api.Response different = app.post("/api/v1/notifications", with("title", "Other body"), Map.of("Idempotency-Key", key));
        assertEquals(422, different.status(), different::toString);
        assertEquals("idempotency_key_reused", different.errorCode());
        JsonNode feed = eventually(() -> world.as(member).get("/api/v1/notifications?first=100").json(),
                f -> f.get("data").findValuesAsText("subject").contains("Idempotent " + key));
        assertEquals(1, feed.get("data").findValuesAsText("subject").stream().filter(("Idempotent " + key)::equals).count());
    }

    @Test
    void concurrentRepliesWithOneKeyStillGiveOneNotification() throws Exception {
        String key = "race-" + System.nanoTime();
        Map<String, Object> body = with("title", "Race " + key);
        List<Callable<Api.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(() -> app.post("/api/v1/notifications", body, Map.of("Idempotency-Key", key)));
        }
        try (var pool = Executors.newFixedThreadPool(8)) {
            for (Future<Api.Response> f : pool.invokeAll(calls)) {
                assertEquals(200, f.get().status(), () -> String.valueOf(f.resultNow()));
            }
        }
        eventually(() -> world.as(member).get("/api/v1/notifications?first=100").json(),
                f -> f.get("data").findValuesAsText("subject").contains("Race " + key));
        long count = TestServer.get().database().jdbi().withHandle(h -> h.createQuery(
                "select count(*) from notifications where title = :t").bind("t", "Race " + key).mapTo(Long.class).one());
        assertEquals(1, count);
    }
}
