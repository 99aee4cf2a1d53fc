package dev.herald.work;

import com.fasterxml.jackson.databind.JsonNode;
import org.jdbi.v3.core.Handle;

import java.util.List;

/** Does the work outbox events ask for, inside the transaction that removes them. */
@FunctionalInterface
public interface OutboxHandler {
    void handle(Handle h, JsonNode payload);

    /**
     * True when this kind's events must be handled in queue order (one transaction at a time across all
     * workers and nodes), e.g. because they number a stream.
     */
    default boolean ordered() {
        return false;
    }

    /** Several events of this kind, in queue order; handlers that can batch their statements override this. */
    default void handleAll(Handle h, List<JsonNode> payloads) {
        for (JsonNode payload : payloads) {
            handle(h, payload);
        }
    }
}
