package dev.herald.work;

import com.fasterxml.jackson.databind.JsonNode;
import org.jdbi.v3.core.Handle;

/** Does the work one outbox event asks for, inside the transaction that removes the event. */
@FunctionalInterface
public interface OutboxHandler {
    void handle(Handle h, JsonNode payload);
}
