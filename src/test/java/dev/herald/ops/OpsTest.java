package dev.herald.ops;

import dev.herald.Api;
import dev.herald.TestServer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpsTest {
    @Test
    void healthReadinessAndMetrics() {
        Api anonymous = TestServer.as(null);
        assertEquals("ok", anonymous.get("/healthz").json().get("status").asText());
        Api.Response ready = anonymous.get("/readyz");
        assertEquals(200, ready.status());
        assertEquals("up", ready.json().get("database").asText());
        anonymous.get("/api/v1/notifications");
        String metrics = anonymous.get("/metrics").raw().body();
        assertTrue(metrics.contains("herald_http_requests_seconds_count"), metrics);
        assertTrue(metrics.contains("herald_outbox_pending"), metrics);
        assertTrue(metrics.contains("jvm_memory_used_bytes"), metrics);
    }

    @Test
    void unknownPathsAreJson404s() {
        Api.Response r = TestServer.admin().get("/api/v1/nope");
        assertEquals(404, r.status());
        assertEquals("not_found", r.json().get("error").get("type").asText());
    }
}
