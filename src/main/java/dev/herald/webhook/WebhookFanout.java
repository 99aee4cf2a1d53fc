package dev.herald.webhook;

import dev.herald.events.Event;
import dev.herald.events.EventListener;
import dev.herald.events.Events;
import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns each event into one delivery per endpoint that wants it, in the transaction of the change
 * itself (chat events) or of the outbox worker that removes the event (directory events), so an event
 * is fanned out exactly once and only if its change committed; the payload is rendered here once, and those bytes are what every
 * attempt sends.
 */
public final class WebhookFanout implements EventListener {
    private final WebhookStore store;

    public WebhookFanout(WebhookStore store) {
        this.store = store;
    }

    @Override
    public void on(Handle h, Event event) {
        fanOut(h, event, new HashMap<>());
    }

    /** Events alike (same type and resources) share one endpoint lookup. */
    @Override
    public void onAll(Handle h, List<Event> events) {
        Map<List<String>, List<String>> lookups = new HashMap<>();
        for (Event event : events) {
            fanOut(h, event, lookups);
        }
    }

    private void fanOut(Handle h, Event event, Map<List<String>, List<String>> lookups) {
        if (event.companyId() == null) {
            // Only DMs outside any company have none, and no endpoint listens there.
            return;
        }
        List<String> resources = new ArrayList<>(List.of(event.companyId()));
        // What else the event is about: the experience of a chat event's channel, the product of a membership.
        String experienceId = event.data().path("channel").path("experience_id").asText(null);
        String productId = event.data().path("product").path("id").asText(null);
        if (experienceId != null) {
            resources.add(experienceId);
        }
        if (productId != null) {
            resources.add(productId);
        }
        List<String> key = new ArrayList<>(resources);
        key.add(event.type());
        List<String> webhooks = lookups.computeIfAbsent(key, k -> store.matching(h, event.type(), event.companyId(), resources));
        if (!webhooks.isEmpty()) {
            store.enqueue(h, webhooks, event.id(), event.type(), Json.string(Events.envelope(event)));
        }
    }
}
