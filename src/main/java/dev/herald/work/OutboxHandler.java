package dev.herald.work;

import com.fasterxml.jackson.databind.JsonNode;
import org.jdbi.v3.core.Handle;

import java.util.List;

/** Does the work outbox events ask for, inside the transaction that removes them. */
@FunctionalInterface
public interface OutboxHandler {
    void handle(Handle h, JsonNode payload);

    /** Several events of this kind, in queue order; handlers that can batch their statements override this. */
    default void handleAll(Handle h, List<JsonNode> payloads) {
        for (JsonNode payload : payloads) {
            handle(h, payload);
        }
    }
}
