package dev.herald.events;

import org.jdbi.v3.core.Handle;

import java.util.List;

/** Reacts to events (webhook fan-out, realtime publishing) inside the transaction that commits them: the change's or the outbox worker's. */
@FunctionalInterface
public interface EventListener {
    void on(Handle h, Event event);

    /** Several events in commit order; listeners that can batch their statements override this. */
    default void onAll(Handle h, List<Event> events) {
        for (Event event : events) {
            on(h, event);
        }
    }
}
