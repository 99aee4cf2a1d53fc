package dev.herald.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.events.Events;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Cursor;
import dev.herald.web.Ids;
import dev.herald.web.Page;
import dev.herald.web.PageInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Posting, reading, editing and deleting messages, with access, moderation and mentions applied. */
public final class MessageService {
    static final int MAX_CONTENT = 10_000;
    static final int MAX_ATTACHMENTS = 10;
    static final int MAX_POLL_OPTIONS = 10;
    static final int MAX_MENTIONS = 50;
    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 100;
    private static final String CURSOR_KIND = "msg";
    private static final Pattern MENTION = Pattern.compile("(?<![\\w@])@([A-Za-z0-9_.-]{1,40})");

    private final ChatStore store;
    private final ChatAccess access;
    private final AttachmentResolver attachments;
    private final MessageWriter writer;
    private final Events events;

    public MessageService(ChatStore store, ChatAccess access, AttachmentResolver attachments, MessageWriter writer, Events events) {
        this.store = store;
        this.access = access;
        this.attachments = attachments;
        this.writer = writer;
        this.events = events;
    }

    public ChannelRow channel(String idOrExperienceId, String param) {
        return access.channel(idOrExperienceId).orElseThrow(() -> ApiException.notFound("Channel not found.", param));
    }

    // --- create

    public MessageView create(Credential caller, Body body) {
        String channelId = body.requiredNonBlank("channel_id", 64);
        String content = body.optionalString("content", MAX_CONTENT);
        List<String> fileIds = attachmentIds(body);
        JsonNode poll = poll(body);
        String replyTo = body.optionalString("replying_to_message_id", 64);
        boolean autoDetectLinks = Boolean.TRUE.equals(body.optionalBoolean("auto_detect_links"));
        if ((content == null || content.isBlank()) && fileIds.isEmpty() && poll == null) {
            throw ApiException.missing("content");
        }
        ChannelRow channel = channel(channelId, "channel_id");
        ChatAccess.Role role = access.require(caller, channel, Permissions.CHAT_MESSAGE_CREATE);
        if (Moderation.adminsOnly(channel.whoCanPost()) && role != ChatAccess.Role.ADMIN) {
            throw ApiException.forbidden("Only admins may post in this channel (who_can_post).");
        }
        Moderation.checkContent(channel, content, fileIds.size());
        if (replyTo != null) {
            MessageRow parent = store.findMessage(replyTo)
                    .orElseThrow(() -> ApiException.notFound("Message to reply to not found.", "replying_to_message_id"));
            if (!parent.channelId().equals(channel.id())) {
                throw ApiException.notFound("Message to reply to not found.", "replying_to_message_id");
            }
        }
        Mentions mentions = mentions(channel, role, content);
        List<?> files = fileIds.isEmpty() ? List.of() : attachments.resolve(caller, fileIds);
        String author = access.author(caller, channel);
        Integer cooldown = channel.cooldownSeconds();
        boolean slowMode = cooldown != null && cooldown > 0 && role != ChatAccess.Role.ADMIN;
        List<String> notified = mentions.userIds().stream().filter(u -> !u.equals(author)).toList();
        return writer.write(new ChatStore.NewMessage(Ids.next("msg"), channel.id(), author, content, replyTo,
                        mentions.userIds(), mentions.everyone(), poll, files, autoDetectLinks),
                channel, slowMode ? cooldown : null, notified, mentions.everyone() && channel.experienceId() != null,
                excerpt(content));
    }

    private static List<String> attachmentIds(Body body) {
        List<Body> items = body.objects("attachments", MAX_ATTACHMENTS);
        if (items == null) {
            return List.of();
        }
        LinkedHashSet<String> ids = new LinkedHashSet<>();
        for (Body item : items) {
            ids.add(item.requiredNonBlank("id", 64));
        }
        return new ArrayList<>(ids);
    }

    /** A poll's options must be numbered "1", "2", … in order, each with non-empty text. */
    private static JsonNode poll(Body body) {
        Body poll = body.object("poll");
        if (poll == null) {
            return null;
        }
        List<Body> options = poll.objects("options", MAX_POLL_OPTIONS);
        if (options == null || options.size() < 2) {
            throw ApiException.invalid("poll.options", "A poll needs 2 to " + MAX_POLL_OPTIONS + " options.");
        }
        List<Map<String, String>> clean = new ArrayList<>();
        for (int i = 0; i < options.size(); i++) {
            String optionId = options.get(i).requiredNonBlank("id", 8);
            if (!optionId.equals(String.valueOf(i + 1))) {
                throw ApiException.invalid(options.get(i).name("id"), "Poll option ids must be \"1\", \"2\", … in order.");
            }
            clean.add(Map.of("id", optionId, "text", options.get(i).requiredNonBlank("text", 200)));
        }
        return dev.herald.web.Json.MAPPER.valueToTree(Map.of("options", clean));
    }

    record Mentions(List<String> userIds, boolean everyone) {
    }

    /** @username mentions of users who can read the channel; @everyone is for admins only. */
    private Mentions mentions(ChannelRow channel, ChatAccess.Role role, String content) {
        if (content == null) {
            return new Mentions(List.of(), false);
        }
        Set<String> names = new LinkedHashSet<>();
        boolean everyone = false;
        Matcher m = MENTION.matcher(content);
        while (m.find() && names.size() < MAX_MENTIONS) {
            String name = m.group(1).replaceAll("[.]+$", "");
            if (name.equalsIgnoreCase("everyone")) {
                everyone = true;
            } else if (!name.isEmpty()) {
                names.add(name.toLowerCase());
            }
        }
        if (everyone && role != ChatAccess.Role.ADMIN) {
            throw ApiException.forbidden("Only channel admins may mention @everyone.");
        }
        Map<String, String> ids = store.userIdsByUsername(new ArrayList<>(names));
        List<String> readers = new ArrayList<>();
        for (String name : names) {
            String userId = ids.get(name);
            if (userId != null && access.userRole(userId, channel) != ChatAccess.Role.NONE) {
                readers.add(userId);
            }
        }
        return new Mentions(readers, everyone);
    }

    private static String excerpt(String content) {
        if (content == null) {
            return "";
        }
        return content.length() <= 280 ? content : content.substring(0, 279) + "…";
    }

    // --- read

    public record ListQuery(String channelId, Integer first, Integer last, String after, String before, String direction) {
    }

    /**
     * A page in the requested order (default newest first). {@code after} continues in that order
     * from a cursor; {@code before} (with {@code last}) goes the other way. Positions are the
     * messages' insertion sequence, so a walk sees every message once even while new ones arrive.
     */
    public Page<MessageView> list(Credential caller, ListQuery q) {
        if (q.channelId() == null || q.channelId().isBlank()) {
            throw ApiException.missing("channel_id");
        }
        ChannelRow channel = channel(q.channelId(), "channel_id");
        access.require(caller, channel, ChatAccess.readPermission(channel));
        boolean ascending = Keyset.ascending(q.direction());
        Long after = q.after() == null ? null : Cursor.decode(CURSOR_KIND, q.after(), "after");
        Long before = q.before() == null ? null : Cursor.decode(CURSOR_KIND, q.before(), "before");
        boolean backwards = before != null || (q.last() != null && q.first() == null && after == null);
        int limit = backwards ? (q.last() != null ? q.last() : q.first() != null ? q.first() : DEFAULT_PAGE)
                : (q.first() != null ? q.first() : DEFAULT_PAGE);

        // In ascending order "after c" is seq > c; in descending order it is seq < c (and the reverse for before).
        Long lower = ascending ? after : before;
        Long upper = ascending ? before : after;
        boolean fetchAscending = ascending != backwards;
        List<MessageRow> rows = new ArrayList<>(store.messages(channel.id(), lower, upper, fetchAscending, limit + 1));
        boolean more = rows.size() > limit;
        if (more) {
            rows = new ArrayList<>(rows.subList(0, limit));
        }
        if (backwards) {
            Collections.reverse(rows);
        }
        boolean hasNext = backwards ? before != null : more;
        boolean hasPrevious = backwards ? more : after != null;
        List<MessageView> data = render(rows);
        String start = rows.isEmpty() ? null : Cursor.encode(CURSOR_KIND, rows.getFirst().seq());
        String end = hasNext && !rows.isEmpty() ? Cursor.encode(CURSOR_KIND, rows.getLast().seq()) : null;
        return new Page<>(data, new PageInfo(start, end, hasNext && end != null, hasPrevious));
    }

    public MessageView get(Credential caller, String id) {
        MessageRow message = store.findMessage(id).orElseThrow(() -> ApiException.notFound("Message not found.", "id"));
        readable(caller, message);
        return render(List.of(message)).getFirst();
    }

    /** The message's channel and the caller's role in it, as a 404 when the caller may not read it. */
    ChannelAndRole readable(Credential caller, MessageRow message) {
        ChannelRow channel = channel(message.channelId(), "id");
        ChatAccess.Role role = access.role(caller, channel);
        if (role == ChatAccess.Role.NONE) {
            throw ApiException.notFound("Message not found.", "id");
        }
        Permissions.require(caller, ChatAccess.readPermission(channel));
        return new ChannelAndRole(channel, role);
    }

    record ChannelAndRole(ChannelRow channel, ChatAccess.Role role) {
    }

    // --- update and delete

    public MessageView update(Credential caller, String id, Body body) {
        MessageRow message = store.findMessage(id).orElseThrow(() -> ApiException.notFound("Message not found.", "id"));
        ChannelAndRole where = readable(caller, message);
        ChannelRow channel = where.channel();
        String content = body.optionalString("content", MAX_CONTENT);
        boolean changesContent = content != null && !content.equals(message.content());
        boolean changesAttachments = body.has("attachments");
        Boolean pinned = body.optionalBoolean("is_pinned");
        List<String> fileIds = changesAttachments ? attachmentIds(body) : List.of();
        String editor = access.author(caller, channel);
        if ((changesContent || changesAttachments) && !editor.equals(message.userId())) {
            throw ApiException.forbidden("Only the author may edit a message's content.");
        }
        if (pinned != null && where.role() != ChatAccess.Role.ADMIN) {
            throw ApiException.forbidden("Only channel admins may pin messages.");
        }
        if (changesContent || changesAttachments) {
            Permissions.require(caller, Permissions.CHAT_MESSAGE_CREATE);
        } else if (pinned != null) {
            Permissions.require(caller, Permissions.CHAT_MODERATE);
        }
        String newContent = changesContent ? content : message.content();
        int attachmentCount = changesAttachments ? fileIds.size() : message.attachments().size();
        if (changesContent || changesAttachments) {
            Moderation.checkContent(channel, newContent, attachmentCount);
        }
        Mentions mentions = changesContent ? mentions(channel, where.role(), newContent)
                : new Mentions(message.mentions(), message.mentionsEveryone());
        Object files = changesAttachments ? (fileIds.isEmpty() ? List.of() : attachments.resolve(caller, fileIds)) : message.attachments();
        MessageView saved = store.jdbi().inTransaction(h -> {
            store.updateMessage(h, id, newContent, mentions.userIds(), mentions.everyone(), files, pinned, changesContent);
            MessageView view = store.view(h, store.findMessage(h, id).orElseThrow());
            ChatEvents.message(h, events, ChatEvents.MESSAGE_UPDATED, channel, view, "message_updated");
            return view;
        });
        return saved;
    }

    public boolean delete(Credential caller, String id) {
        MessageRow message = store.findMessage(id).orElseThrow(() -> ApiException.notFound("Message not found.", "id"));
        ChannelAndRole where = readable(caller, message);
        String actor = access.author(caller, where.channel());
        if (!actor.equals(message.userId()) && where.role() != ChatAccess.Role.ADMIN) {
            throw ApiException.forbidden("Only the author or a channel admin may delete a message.");
        }
        if (!actor.equals(message.userId())) {
            Permissions.require(caller, Permissions.CHAT_MODERATE);
        }
        MessageView gone = render(List.of(message)).getFirst();
        return store.jdbi().inTransaction(h -> {
            boolean deleted = store.deleteMessage(h, id);
            if (deleted) {
                ChatEvents.message(h, events, ChatEvents.MESSAGE_DELETED, where.channel(), gone, "message_deleted");
            }
            return deleted;
        });
    }

    List<MessageView> render(List<MessageRow> rows) {
        List<String> ids = rows.stream().map(MessageRow::id).toList();
        Map<String, List<ChatStore.Count>> reactions = store.reactionCounts(ids);
        Map<String, List<ChatStore.Count>> votes = store.pollVotes(ids);
        Map<String, MessageView> out = new LinkedHashMap<>();
        for (MessageRow row : rows) {
            out.put(row.id(), MessageView.of(row, reactions.getOrDefault(row.id(), List.of()), votes.getOrDefault(row.id(), List.of())));
        }
        return new ArrayList<>(out.values());
    }
}
