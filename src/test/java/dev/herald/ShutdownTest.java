package dev.herald;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A second node on the same database is stopped while requests are in flight: every request that was
 * answered with success is delivered (by whichever node's workers), and nothing is half-written.
 */
class ShutdownTest {
    @Test
    void stoppingANodeLosesNothingItAccepted() throws Exception {
        World world = new World();
        String member = world.customer("survivor", world.productA);
        String appKey = world.appKey();
        String jdbcUrl = TestServer.get().database().jdbi().withHandle(h -> h.getConnection().getMetaData().getURL());
        String user = TestServer.get().database().jdbi().withHandle(h -> h.getConnection().getMetaData().getUserName());
        int port = TestServer.freePort();
        Path node2Dir = TempDirs.create("herald-node2-");
        Config config = new Config("127.0.0.1", port, 0, "http://127.0.0.1:" + port, node2Dir,
                jdbcUrl.contains("user=") ? jdbcUrl : jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "user=" + user,
                TestServer.ADMIN_TOKEN, 1, 4, false, true, dev.herald.push.PushFakes.get().config());
        Main.Running node2 = Main.start(config);
        Api viaNode2 = new Api("http://127.0.0.1:" + port, appKey);

        List<Future<Api.Response>> sent = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(4)) {
            for (int i = 0; i < 40; i++) {
                int n = i;
                sent.add(pool.submit(() -> {
                    try {
                        return viaNode2.post("/api/v1/notifications",
                                Map.of("experience_id", world.experienceA, "title", "Drain " + n, "content", "x"));
                    } catch (RuntimeException e) {
                        return null;
                    }
                }));
                if (i == 20) {
                    pool.submit(node2::close);
                }
            }
        }
        TempDirs.delete(node2Dir);
        int accepted = 0;
        for (Future<Api.Response> f : sent) {
            Api.Response r = f.get();
            if (r != null && r.status() == 200) {
                accepted++;
            }
        }
        int expected = accepted;
        JsonNode feed = World.eventually(() -> world.as(member).get("/api/v1/notifications?first=100").json(),
                f -> f.get("data").size() >= expected);
        long stored = TestServer.get().database().jdbi().withHandle(h -> h.createQuery(
                "select count(*) from notifications where experience_id = :e and title like 'Drain %'")
                .bind("e", world.experienceA).mapTo(Long.class).one());
        assertEquals(accepted, feed.get("data").size(), "every accepted notification is delivered");
        assertEquals(accepted, stored, "no notification was stored without its request being answered, or vice versa");
    }
}
