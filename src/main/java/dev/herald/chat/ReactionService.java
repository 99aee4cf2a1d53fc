package dev.herald.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.events.Events;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Page;
import org.jdbi.v3.core.Handle;

import java.util.Optional;

/**
 * Emoji reactions and poll votes on messages. Anyone who can read a message sees its reactions;
 * reacting follows the channel's {@code who_can_react} and banned words; taking one's own reaction
 * back is always allowed, and channel admins may remove anyone's.
 */
public final class ReactionService {
    private static final String CURSOR_KIND = "reactions";

    private final ReactionStore store;
    private final ChatStore chat;
    private final ChatAccess access;
    private final Events events;

    public ReactionService(ReactionStore store, ChatStore chat, ChatAccess access, Events events) {
        this.events = events;
        this.store = store;
        this.chat = chat;
        this.access = access;
    }

    /** The SDK's Reaction, plus the poll option a vote is for ({@code emoji} is null for votes). */
    public record View(String id, String emoji, String pollOptionId, String resourceId, MessageView.User user) {
        static View of(ReactionStore.ReactionRow r) {
            return new View(r.id(), r.emoji(), r.pollOptionId(), r.messageId(), new MessageView.User(r.userId(), r.userName(), r.username()));
        }
    }

    /** A message the caller can see, in its channel, with the caller's role there. */
    private record Target(MessageRow message, ChannelRow channel, ChatAccess.Role role) {
    }

    // --- react and vote

    /** Adds the reaction (or returns the caller's identical one), or casts or moves the caller's vote. */
    public View create(Credential caller, Body body) {
        String resourceId = body.requiredNonBlank("resource_id", 64);
        String rawEmoji = body.optionalString("emoji", Emoji.MAX_LENGTH);
        String optionId = body.optionalString("poll_option_id", 64);
        if (rawEmoji != null && optionId != null) {
            throw ApiException.invalid("poll_option_id", "Give either emoji or poll_option_id, not both.");
        }
        if (rawEmoji == null && optionId == null) {
            throw ApiException.missing("emoji");
        }
        String emoji = rawEmoji == null ? null : Emoji.normalize(rawEmoji, "emoji");
        Target target = target(caller, resourceId, "resource_id", Permissions.CHAT_MESSAGE_CREATE);
        checkWhoCanReact(target);
        if (emoji != null) {
            Moderation.checkReaction(target.channel(), emoji);
        } else {
            requireOption(target.message(), optionId);
        }
        ReactionStore.ReactionRow row = chat.jdbi().inTransaction(h -> {
            String user = access.author(h, caller, target.channel());
            ReactionStore.Reacted reacted = emoji != null ? store.react(h, target.message().id(), user, emoji)
                    : new ReactionStore.Reacted(store.vote(h, target.message().id(), user, optionId), true);
            if (reacted.added()) {
                ChatEvents.reaction(h, events, ChatEvents.REACTION_CREATED, target.channel(),
                        chat.view(h, target.message()), View.of(reacted.row()), "reaction_created");
            }
            return reacted.row();
        });
        return View.of(row);
    }

    /** {@code who_can_react}: members and everyone mean anyone who can read; admins means channel admins; no_one, nobody. */
    private static void checkWhoCanReact(Target target) {
        String rule = target.channel().whoCanReact();
        if ("no_one".equals(rule)) {
            throw ApiException.forbidden("Reactions are turned off in this channel (who_can_react).");
        }
        if (Moderation.adminsOnly(rule) && target.role() != ChatAccess.Role.ADMIN) {
            throw ApiException.forbidden("Only channel admins may react in this channel (who_can_react).");
        }
    }

    private static void requireOption(MessageRow message, String optionId) {
        if (message.poll() == null) {
            throw ApiException.invalid("poll_option_id", "This message has no poll.");
        }
        for (JsonNode option : message.poll().path("options")) {
            if (option.path("id").asText().equals(optionId)) {
                return;
            }
        }
        throw ApiException.invalid("poll_option_id", "This poll has no option " + optionId + ".");
    }

    // --- read

    public record ListQuery(String resourceId, Integer first, Integer last, String after, String before) {
    }

    /** Reactions and votes on a message, oldest first (the order of {@code reaction_counts}). */
    public Page<View> list(Credential caller, ListQuery q) {
        if (q.resourceId() == null || q.resourceId().isBlank()) {
            throw ApiException.missing("resource_id");
        }
        Target target = target(caller, q.resourceId(), "resource_id", null);
        Keyset keyset = Keyset.of(CURSOR_KIND, true, q.first(), q.last(), q.after(), q.before());
        return keyset.page(store.page(target.message().id(), keyset), ReactionStore.ReactionRow::id, View::of);
    }

    public View get(Credential caller, String id) {
        ReactionStore.ReactionRow row = reaction(id);
        target(caller, row.messageId(), "id", null);
        return View.of(row);
    }

    // --- remove

    /**
     * Removes a reaction by its id, or, when {@code id} is a message id, the caller's reaction with
     * {@code emoji} on that message. Removing someone else's reaction is for channel admins (keys:
     * {@code chat:moderate}).
     */
    public boolean delete(Credential caller, String id, String rawEmoji) {
        if (id.startsWith("msg_")) {
            if (rawEmoji == null || rawEmoji.isBlank()) {
                throw ApiException.missing("emoji");
            }
            String emoji = Emoji.normalize(rawEmoji, "emoji");
            Target target = target(caller, id, "id", Permissions.CHAT_MESSAGE_CREATE);
            boolean removed = chat.jdbi().inTransaction(h -> {
                String user = access.author(h, caller, target.channel());
                return removed(h, target, store.deleteEmoji(h, target.message().id(), user, emoji));
            });
            if (!removed) {
                throw ApiException.notFound("You have no " + emoji + " reaction on this message.", "emoji");
            }
            return true;
        }
        ReactionStore.ReactionRow row = reaction(id);
        Target target = target(caller, row.messageId(), "id", null);
        String actor = access.author(caller, target.channel());
        if (actor.equals(row.userId())) {
            Permissions.require(caller, Permissions.CHAT_MESSAGE_CREATE);
        } else if (target.role() == ChatAccess.Role.ADMIN) {
            Permissions.require(caller, Permissions.CHAT_MODERATE);
        } else {
            throw ApiException.forbidden("Only the reaction's author or a channel admin may remove it.");
        }
        if (!chat.jdbi().inTransaction(h -> removed(h, target, store.delete(h, row.id())))) {
            throw ApiException.notFound("Reaction not found.", "id");
        }
        return true;
    }

    /** Emits {@code chat.reaction.deleted} for a reaction just removed in this transaction. */
    private boolean removed(Handle h, Target target, Optional<ReactionStore.ReactionRow> row) {
        row.ifPresent(r -> ChatEvents.reaction(h, events, ChatEvents.REACTION_DELETED, target.channel(),
                chat.view(h, target.message()), View.of(r), "reaction_deleted"));
        return row.isPresent();
    }

    // --- lookups

    private ReactionStore.ReactionRow reaction(String id) {
        return store.find(id).orElseThrow(() -> ApiException.notFound("Reaction not found.", "id"));
    }

    /**
     * The message as seen by the caller: a 404 naming {@code param} when it does not exist (or was
     * deleted) or the caller cannot read its channel, then a 403 when a key lacks {@code keyPermission}
     * (null: the channel's read permission).
     */
    private Target target(Credential caller, String messageId, String param, String keyPermission) {
        MessageRow message = chat.findMessage(messageId).orElseThrow(() -> ApiException.notFound("Message not found.", param));
        ChannelRow channel = access.channel(message.channelId()).orElseThrow(() -> ApiException.notFound("Message not found.", param));
        ChatAccess.Role role = access.role(caller, channel);
        if (role == ChatAccess.Role.NONE) {
            throw ApiException.notFound("Message not found.", param);
        }
        Permissions.require(caller, keyPermission != null ? keyPermission : ChatAccess.readPermission(channel));
        return new Target(message, channel, role);
    }
}
