package dev.herald.notify;

import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.herald.World.eventually;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The feed cache serves repeated reads, and every change that alters a feed is seen at once. */
class FeedCacheTest {
    static double metric(String name) {
        String body = TestServer.as(null).get("/metrics").raw().body();
        return body.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElse(0);
    }

    @Test
    void repeatedReadsHitTheCacheAndChangesInvalidateIt() {
        World world = new World();
        Api app = TestServer.as(world.appKey());
        String member = world.customer("cached", world.productA);
        String leaver = world.customer("cacheleaver", world.productA);
        assertEquals(200, app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "One", "content", "x")).status());
        eventually(() -> ok(world.as(member).get("/api/v1/notifications")), f -> f.get("data").size() == 1);
        eventually(() -> ok(world.as(leaver).get("/api/v1/notifications")), f -> f.get("data").size() == 1);

        double hitsBefore = metric("herald_feed_cache_hits_total");
        String first = world.as(member).get("/api/v1/notifications").raw().body();
        String second = world.as(member).get("/api/v1/notifications").raw().body();
        assertEquals(first, second);
        assertTrue(metric("herald_feed_cache_hits_total") > hitsBefore, "the second read was served from the cache");

        // A new notification in one of the member's sources shows on the very next read after delivery.
        assertEquals(200, app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "Two", "content", "x")).status());
        eventually(() -> ok(world.as(member).get("/api/v1/notifications")), f -> f.get("data").size() == 2);

        // A cancelled membership drops the cached sources: nothing sent afterwards reaches the leaver.
        String membership = TestServer.get().database().jdbi().withHandle(h -> h.createQuery(
                "select id from memberships where user_id = :u").bind("u", leaver).mapTo(String.class).one());
        ok(world.admin.post("/api/v1/memberships/" + membership + "/cancel", Map.of()));
        assertEquals(200, app.post("/api/v1/notifications", Map.of("experience_id", world.experienceA, "title", "Three", "content", "x")).status());
        eventually(() -> ok(world.as(member).get("/api/v1/notifications")), f -> f.get("data").size() == 3);
        assertFalse(ok(world.as(leaver).get("/api/v1/notifications")).get("data").findValuesAsText("subject").contains("Three"));
        assertEquals(2, ok(world.as(leaver).get("/api/v1/notifications")).get("data").size());

        // A new membership adds the source at once.
        world.member(leaver, world.productB);
        assertEquals(200, app.post("/api/v1/notifications", Map.of("experience_id", world.experienceB, "title", "Four", "content", "x")).status());
        eventually(() -> ok(world.as(leaver).get("/api/v1/notifications")), f -> f.get("data").findValuesAsText("subject").contains("Four"));
    }
}
