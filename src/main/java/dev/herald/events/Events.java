package dev.herald.events;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.db.Rows;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import dev.herald.work.Outbox;
import dev.herald.work.OutboxHandler;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Domain events. A change either emits its event into the outbox in its own transaction, and the
 * outbox worker then hands it, once, to every listener ({@link #emit}, directory changes), or hands
 * it to the listeners itself in that transaction ({@link #publish}, chat). Either way an event takes
 * effect exactly when its change committed.
 */
public final class Events implements OutboxHandler {
    public static final String OUTBOX_KIND = "event";

    private final List<EventListener> listeners;

    public Events(List<EventListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** Records the event of a change; call inside the change's transaction. */
    public static void emit(Handle h, String type, String companyId, Object data) {
        Outbox.enqueue(h, OUTBOX_KIND, event(type, companyId, data));
    }

    /**
     * Hands events built by {@link #event} straight to the listeners, inside the change's own
     * transaction: what the listeners write (realtime frames, webhook delivery rows, themselves
     * queues that are drained later) commits or rolls back with the change, without the hop through
     * the outbox. For busy changes (chat); each realtime stream then numbers its events in commit order.
     */
    public void publish(Handle h, List<Map<String, Object>> envelopes) {
        List<Event> events = envelopes.stream().map(e -> parse(Json.MAPPER.valueToTree(e))).toList();
        for (EventListener listener : listeners) {
            listener.onAll(h, events);
        }
    }

    /** A new event as stored in the outbox. */
    public static Map<String, Object> event(String type, String companyId, Object data) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("id", Ids.next("evt"));
        envelope.put("api_version", "v1");
        envelope.put("type", type);
        envelope.put("timestamp", Rows.iso(Instant.now()));
        envelope.put("company_id", companyId);
        envelope.put("data", data);
        return envelope;
    }

    /** Realtime streams number events as they are handled: they must be handled in commit order. */
    @Override
    public boolean ordered() {
        return true;
    }

    @Override
    public void handle(Handle h, JsonNode payload) {
        handleAll(h, List.of(payload));
    }

    @Override
    public void handleAll(Handle h, List<JsonNode> payloads) {
        List<Event> events = payloads.stream().map(Events::parse).toList();
        for (EventListener listener : listeners) {
            listener.onAll(h, events);
        }
    }

    private static Event parse(JsonNode payload) {
        return new Event(payload.get("id").asText(), payload.get("api_version").asText(), payload.get("type").asText(),
                payload.get("timestamp").asText(), payload.get("company_id").isNull() ? null : payload.get("company_id").asText(),
                payload.get("data"));
    }

    /** The event as the SDK's webhook payload. */
    public static Map<String, Object> envelope(Event event) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", event.id());
        out.put("api_version", event.apiVersion());
        out.put("type", event.type());
        out.put("timestamp", event.timestamp());
        out.put("company_id", event.companyId());
        out.put("data", Json.MAPPER.convertValue(event.data(), Object.class));
        return out;
    }
}
