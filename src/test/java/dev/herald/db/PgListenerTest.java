package dev.herald.db;

import dev.herald.TestServer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.herald.World.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The node's one LISTEN connection, against the suite's PostgreSQL. */
class PgListenerTest {
    private final Database database = TestServer.get().database();

    @Test
    void eachPayloadReachesItsChannelsSubscribersAndAFailingOneAloneStartsOver() {
        String one = "herald_test_one";
        String two = "herald_test_two";
        List<String> first = new CopyOnWriteArrayList<>();
        List<String> second = new CopyOnWriteArrayList<>();
        List<String> other = new CopyOnWriteArrayList<>();
        AtomicInteger firstConnects = new AtomicInteger();
        AtomicInteger secondConnects = new AtomicInteger();
        try (PgListener listener = new PgListener(database)) {
            listener.subscribe(one, first::add, firstConnects::incrementAndGet);
            listener.subscribe(one, payload -> {
                if (payload.equals("boom")) {
                    throw new IllegalStateException("a handler bug");
                }
                second.add(payload);
            }, secondConnects::incrementAndGet);
            listener.subscribe(two, other::add, () -> { });
            listener.start();
            eventually(listener::isListening, Boolean::booleanValue);

            notify(one, "a");
            notify(two, "b");
            notify(one, "boom");
            notify(one, "c");
            eventually(() -> List.copyOf(first), p -> p.size() == 3);
            assertEquals(List.of("a", "boom", "c"), first);
            eventually(() -> List.copyOf(second), p -> p.size() == 2);
            assertEquals(List.of("a", "c"), second, "the failure did not stop later payloads");
            assertEquals(List.of("b"), other);
            assertEquals(1, firstConnects.get(), "the subscriber that did not fail was not reset");
            assertEquals(2, secondConnects.get(), "the failing subscriber resynchronised");
        }
    }

    private void notify(String channel, String payload) {
        database.jdbi().useHandle(h -> h.createQuery("select pg_notify(:c, :p)::text").bind("c", channel).bind("p", payload)
                .mapTo(String.class).one());
    }
}
