package dev.herald.notify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.work.OutboxHandler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.List;

/**
 * The outbox handler that turns a queued notification into audience rows, after which it shows in
 * feeds. Broadcasts get one row per source; only explicitly named users get rows of their own.
 */
public final class NotificationDelivery implements OutboxHandler {
    public static final String KIND = "notification.deliver";

    private final NotificationStore store;
    private final Delivered then;
    private final Counter delivered;

    /** What else happens, in the same transaction, once a notification is in its audience's feeds (its push). */
    @FunctionalInterface
    public interface Delivered {
        void delivered(Handle h, long seq);
    }

    public NotificationDelivery(NotificationStore store, MeterRegistry metrics, Delivered then) {
        this.store = store;
        this.then = then;
        this.delivered = Counter.builder("herald_notifications_delivered_total").register(metrics);
    }

    public static Object payload(long seq) {
        return java.util.Map.of("seq", seq);
    }

    @Override
    public void handle(Handle h, JsonNode payload) {
        NotificationStore.Stored n = store.find(h, payload.get("seq").asLong());
        if (n.delivered()) {
            return;
        }
        JsonNode targets = n.targets();
        switch (n.api()) {
            case "v1" -> deliverV1(h, n, targets);
            case "chat" -> deliverChat(h, n, targets);
            default -> deliverLegacy(h, n, targets);
        }
        store.markDelivered(h, n.seq());
        then.delivered(h, n.seq());
        delivered.increment();
    }

    private void deliverV1(Handle h, NotificationStore.Stored n, JsonNode targets) {
        List<String> named = NotificationStore.strings(targets.get("user_ids"));
        boolean toExperience = n.experienceId() != null;
        if (named.isEmpty()) {
            store.addAudience(h, n.seq(), List.of(toExperience ? n.experienceId() : n.companyId()), false, false);
            return;
        }
        List<String> recipients = toExperience
                ? store.usersWithExperienceAccessAt(h, n.experienceId(), n.seq(), named)
                : store.teamMembersAt(h, n.companyId(), n.seq(), named);
        store.addAudience(h, n.seq(), recipients, true, false);
    }

    /** Chat mentions were checked against the channel's readers when the message was posted. */
    private void deliverChat(Handle h, NotificationStore.Stored n, JsonNode targets) {
        store.addAudience(h, n.seq(), NotificationStore.strings(targets.get("user_ids")), true, false);
        if (targets.hasNonNull("everyone_experience_id")) {
            store.addAudience(h, n.seq(), List.of(targets.get("everyone_experience_id").asText()), true, false);
        }
    }

    private void deliverLegacy(Handle h, NotificationStore.Stored n, JsonNode targets) {
        store.addAudience(h, n.seq(), NotificationStore.strings(targets.get("products")), false, false);
        List<String> customersOnly = new ArrayList<>(NotificationStore.strings(targets.get("companies")));
        customersOnly.addAll(NotificationStore.strings(targets.get("experiences")));
        store.addAudience(h, n.seq(), customersOnly, false, true);
        List<String> users = NotificationStore.strings(targets.get("users"));
        if (!users.isEmpty()) {
            store.addAudience(h, n.seq(), store.usersReachableByApp(h, n.appId(), users), false, false);
        }
    }
}
