package dev.herald.work;

import dev.herald.TestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbox's guarantees: events exist only for committed changes, run once, and failures retry. */
class OutboxTest {
    final Jdbi jdbi = TestServer.get().database().jdbi();

    @Test
    void rolledBackChangesLeaveNoEvent() {
        String kind = "test.rollback." + System.nanoTime();
        assertThrows(IllegalStateException.class, () -> jdbi.useTransaction(h -> {
            Outbox.enqueue(h, kind, Map.of("n", 1));
            throw new IllegalStateException("abort");
        }));
        long count = jdbi.withHandle(h -> h.createQuery("select count(*) from outbox where kind = :k").bind("k", kind)
                .mapTo(Long.class).one());
        assertEquals(0, count);
    }

    @Test
    void eachEventRunsOnceAndFailuresAreRetriedLater() {
        String kind = "test.retry." + System.nanoTime();
        List<Integer> handled = new CopyOnWriteArrayList<>();
        AtomicInteger failuresLeft = new AtomicInteger(1);
        OutboxWorkers workers = new OutboxWorkers(TestServer.get().database(), Map.of(kind, (h, payload) -> {
            if (payload.get("n").asInt() == 2 && failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("first attempt fails");
            }
            handled.add(payload.get("n").asInt());
        }), 1, new SimpleMeterRegistry());
        jdbi.useTransaction(h -> {
            for (int n = 1; n <= 3; n++) {
                Outbox.enqueue(h, kind, Map.of("n", n));
            }
        });
        assertEquals(3, workers.drainOnce());
        assertEquals(List.of(1, 3), handled);
        var failed = jdbi.withHandle(h -> h.createQuery(
                        "select attempts || ':' || last_error from outbox where kind = :k").bind("k", kind).mapTo(String.class).list());
        assertEquals(List.of("1:first attempt fails"), failed);
        assertEquals(0, workers.drainOnce(), "a failed event waits for its backoff");
        jdbi.useHandle(h -> h.createUpdate("update outbox set available_at = now() where kind = :k").bind("k", kind).execute());
        assertEquals(1, workers.drainOnce());
        assertEquals(List.of(1, 3, 2), handled);
        assertEquals(0, workers.pending());
        assertTrue(workers.drainOnce() == 0);
    }
}
