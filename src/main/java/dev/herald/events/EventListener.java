package dev.herald.events;

import org.jdbi.v3.core.Handle;

/** Reacts to a committed event (webhook fan-out, realtime publishing), inside the outbox worker's transaction. */
@FunctionalInterface
public interface EventListener {
    void on(Handle h, Event event);
}
