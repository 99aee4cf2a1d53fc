package dev.herald.work;

import dev.herald.TestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
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

    /** What handlers did, as committed: a batch that fails and is rerun event by event leaves only the reruns' effects. */
    private List<Integer> effects(String kind) {
        return jdbi.withHandle(h -> h.createQuery("select n from outbox_test_effects where kind = :k order by at")
                .bind("k", kind).mapTo(Integer.class).list());
    }

    @Test
    void eachEventTakesEffectOnceAndFailuresAreRetriedLater() {
        jdbi.useHandle(h -> h.execute("create table if not exists outbox_test_effects (kind text, n int, at timestamptz default clock_timestamp())"));
        String kind = "test.retry." + System.nanoTime();
        AtomicInteger failuresLeft = new AtomicInteger(2); // once in the batch, once alone
        AtomicInteger batches = new AtomicInteger();
        OutboxWorkers workers = new OutboxWorkers(TestServer.get().database(), Map.of(kind, new OutboxHandler() {
            @Override
            public void handle(org.jdbi.v3.core.Handle h, com.fasterxml.jackson.databind.JsonNode payload) {
                int n = payload.get("n").asInt();
                if (n == 2 && failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("first attempt fails");
                }
                h.createUpdate("insert into outbox_test_effects (kind, n) values (:k, :n)").bind("k", kind).bind("n", n).execute();
            }

            @Override
            public void handleAll(org.jdbi.v3.core.Handle h, List<com.fasterxml.jackson.databind.JsonNode> payloads) {
                batches.incrementAndGet();
                OutboxHandler.super.handleAll(h, payloads);
            }
        }), 1, new SimpleMeterRegistry());
        jdbi.useTransaction(h -> {
            for (int n = 1; n <= 3; n++) {
                Outbox.enqueue(h, kind, Map.of("n", n));
            }
        });
        assertEquals(3, workers.drainOnce());
        assertEquals(1, batches.get(), "the three events were offered as one batch first");
        assertEquals(List.of(1, 3), effects(kind), "the failed batch's effects were rolled back; 1 and 3 then ran alone");
        var failed = jdbi.withHandle(h -> h.createQuery(
                        "select attempts || ':' || last_error from outbox where kind = :k").bind("k", kind).mapTo(String.class).list());
        assertEquals(List.of("1:first attempt fails"), failed);
        assertEquals(0, workers.drainOnce(), "a failed event waits for its backoff");
        jdbi.useHandle(h -> h.createUpdate("update outbox set available_at = now() where kind = :k").bind("k", kind).execute());
        assertEquals(1, workers.drainOnce());
        assertEquals(List.of(1, 3, 2), effects(kind));
        assertEquals(0, workers.pending());
        assertTrue(workers.drainOnce() == 0);
    }
}
