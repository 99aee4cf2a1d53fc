package dev.herald.chat;

import dev.herald.events.Events;
import org.jdbi.v3.core.Handle;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The chat events, with data in the SDK's {@code chat.message.created} / {@code chat.reaction.created} shapes. */
final class ChatEvents {
    static final String MESSAGE_CREATED = "chat.message.created";
    static final String MESSAGE_UPDATED = "chat.message.updated";
    static final String MESSAGE_DELETED = "chat.message.deleted";
    static final String REACTION_CREATED = "chat.reaction.created";
    static final String REACTION_DELETED = "chat.reaction.deleted";

    private ChatEvents() {
    }

    static void message(Handle h, Events events, String type, ChannelRow channel, MessageView message, String reason) {
        events.publish(h, List.of(messageEvent(h, type, channel, message, reason)));
    }

    /** A message event to be published with {@link Events#publish}. */
    static Map<String, Object> messageEvent(Handle h, String type, ChannelRow channel, MessageView message, String reason) {
        Map<String, Object> data = base(h, channel, reason);
        data.put("message", message);
        return Events.event(type, channel.companyId(), data);
    }

    static void reaction(Handle h, Events events, String type, ChannelRow channel, MessageView message, Object reaction, String reason) {
        Map<String, Object> data = base(h, channel, reason);
        data.put("message", message);
        data.put("reaction", reaction);
        events.publish(h, List.of(Events.event(type, channel.companyId(), data)));
    }

    /** Who can see it: a whole experience channel, or the named users of a DM or support thread. */
    private static Map<String, Object> base(Handle h, ChannelRow channel, String reason) {
        Map<String, Object> audience = new LinkedHashMap<>();
        Map<String, Object> where = new LinkedHashMap<>();
        where.put("id", channel.id());
        where.put("experience_id", channel.experienceId());
        switch (channel.kind()) {
            case EXPERIENCE -> {
                audience.put("type", "channel");
                audience.put("user_ids", null);
                where.put("type", "chat");
            }
            case SUPPORT -> {
                audience.put("type", "users");
                audience.put("user_ids", List.of(channel.customerUserId()));
                where.put("type", "support");
            }
            case DM -> {
                audience.put("type", "users");
                audience.put("user_ids", h.createQuery("select user_id from dm_members where channel_id = :c and status <> 'closed' order by user_id")
                        .bind("c", channel.id()).mapTo(String.class).list());
                where.put("type", "direct_message");
            }
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("audience", audience);
        data.put("channel", where);
        data.put("reason", reason);
        return data;
    }
}
