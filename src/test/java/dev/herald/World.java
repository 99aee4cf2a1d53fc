package dev.herald;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.auth.Permissions;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A fresh tenant for one test class, built through the public API as the admin: a company with an
 * app (installed), two experiences, two products, and helpers to add users, memberships and keys.
 */
public final class World {
    public final Api admin = TestServer.admin();
    public final String companyId;
    public final String appId;
    public final String experienceA;
    public final String experienceB;
    public final String productA;
    public final String productB;
    private final Map<String, String> tokens = new HashMap<>();

    public World() {
        TestServer.get();
        companyId = created(admin.post("/api/v1/companies", Map.of("title", "Company " + System.nanoTime()))).get("id").asText();
        appId = created(admin.post("/api/v1/apps", Map.of("name", "App", "company_id", companyId,
                "base_url", "https://app.example.test",
                "experience_path", "/experiences/[experienceId]/[restPath]",
                "dashboard_path", "/dashboard/[companyId]/[restPath]"))).get("id").asText();
        experienceA = created(admin.post("/api/v1/experiences", Map.of("app_id", appId, "company_id", companyId, "name", "A"))).get("id").asText();
        experienceB = created(admin.post("/api/v1/experiences", Map.of("app_id", appId, "company_id", companyId, "name", "B"))).get("id").asText();
        productA = created(admin.post("/api/v1/products", Map.of("company_id", companyId, "title", "Product A"))).get("id").asText();
        productB = created(admin.post("/api/v1/products", Map.of("company_id", companyId, "title", "Product B"))).get("id").asText();
        ok(admin.post("/api/v1/experiences/" + experienceA + "/attach", Map.of("product_id", productA)));
        ok(admin.post("/api/v1/experiences/" + experienceB + "/attach", Map.of("product_id", productB)));
    }

    public String user(String name) {
        String username = name + "_" + Long.toString(System.nanoTime(), 36);
        String id = created(admin.post("/api/v1/users", Map.of("username", username, "name", name))).get("id").asText();
        tokens.put(id, created(admin.post("/api/v1/users/" + id + "/tokens", Map.of())).get("token").asText());
        return id;
    }

    public String customer(String name, String productId) {
        String id = user(name);
        member(id, productId);
        return id;
    }

    public String member(String userId, String productId) {
        return created(admin.post("/api/v1/memberships", Map.of("user_id", userId, "product_id", productId))).get("id").asText();
    }

    public String teamMember(String name) {
        String id = user(name);
        created(admin.post("/api/v1/authorized_users", Map.of("company_id", companyId, "user_id", id, "role", "admin")));
        return id;
    }

    public Api as(String userId) {
        return TestServer.as(tokens.get(userId));
    }

    public String appKey(String... permissions) {
        return key(Map.of("app_id", appId, "permissions", List.of(permissions)));
    }

    public String appKey() {
        return appKey(Permissions.NOTIFICATION_CREATE);
    }

    public String companyKey(String... permissions) {
        return key(Map.of("company_id", companyId, "permissions", List.of(permissions)));
    }

    private String key(Map<String, Object> body) {
        return created(admin.post("/api/v1/api_keys", body)).get("key").asText();
    }

    public static JsonNode created(Api.Response response) {
        assertEquals(201, response.status(), response::toString);
        return response.json();
    }

    public static JsonNode ok(Api.Response response) {
        assertEquals(200, response.status(), response::toString);
        return response.json();
    }

    /** Polls until the condition holds (delivery is asynchronous), failing after five seconds. */
    public static <T> T eventually(java.util.function.Supplier<T> fetch, Predicate<T> condition) {
        return eventually(fetch, condition, Duration.ofSeconds(5));
    }

    public static <T> T eventually(java.util.function.Supplier<T> fetch, Predicate<T> condition, Duration within) {
        Instant deadline = Instant.now().plus(within);
        T last = null;
        while (Instant.now().isBefore(deadline)) {
            last = fetch.get();
            if (condition.test(last)) {
                return last;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fail("Condition not met within " + within.toSeconds() + " s; last value: " + last);
        return last;
    }
}
