package dev.herald.realtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.events.Event;
import dev.herald.events.EventListener;
import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes chat events on their channel's stream, inside the change's own transaction (see
 * Events#publish), so a stream holds an event exactly when its change committed, numbered in commit
 * order (the stream's counter row is locked until commit). The frame's {@code data} is the event's
 * without {@code audience}: who hears a stream is decided when subscribing. After commit this node's
 * hub gets the frames directly, sparing its subscribers the round trip through the notice and a read.
 */
public final class ChannelEvents implements EventListener {
    private static final Map<String, String> EVENTS = Map.of(
            "chat.message.created", "message.created",
            "chat.message.updated", "message.updated",
            "chat.message.deleted", "message.deleted",
            "chat.reaction.created", "reaction.created",
            "chat.reaction.deleted", "reaction.deleted");

    private final RealtimeHub hub;

    public ChannelEvents(RealtimeHub hub) {
        this.hub = hub;
    }

    static String stream(String channelId) {
        return "channel:" + channelId;
    }

    @Override
    public void on(Handle h, Event event) {
        onAll(h, List.of(event));
    }

    /** Each stream's events are appended together: one offset claim and one batched insert per stream. */
    @Override
    public void onAll(Handle h, List<Event> events) {
        Map<String, List<RealtimeStore.Published>> byStream = new LinkedHashMap<>();
        for (Event event : events) {
            String name = EVENTS.get(event.type());
            if (name == null) {
                continue;
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("id", event.id());
            fields.put("timestamp", event.timestamp());
            fields.put("data", ((ObjectNode) event.data().deepCopy()).without("audience"));
            byStream.computeIfAbsent(stream(event.data().path("channel").path("id").asText()), s -> new ArrayList<>())
                    .add(new RealtimeStore.Published(name, fields));
        }
        byStream.forEach((stream, published) -> {
            List<RealtimeStore.Retained> frames = RealtimeStore.append(h, stream, published);
            // This node's subscribers get them at once; the commit's notice (every node) is the fallback.
            h.afterCommit(() -> hub.committed(stream, frames));
        });
    }
}
