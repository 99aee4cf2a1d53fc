package dev.herald.work;

import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;

/**
 * Writes work into the outbox inside the caller's transaction: the event exists exactly when the
 * change that caused it committed. {@code pg_notify} fires on commit and wakes the workers.
 */
public final class Outbox {
    public static final String CHANNEL = "herald_outbox";

    private Outbox() {
    }

    public static void enqueue(Handle h, String kind, Object payload) {
        // The table's trigger calls pg_notify, delivered at commit.
        h.createUpdate("insert into outbox (kind, payload) values (:kind, cast(:payload as jsonb))")
                .bind("kind", kind).bind("payload", Json.string(payload)).execute();
    }
}
