package dev.herald.chat;

import dev.herald.db.Rows;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.sql.Array;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL for channels, messages, cooldowns and bot users. */
public final class ChatStore {
    private static final String CHANNEL_SELECT = """
            select c.*, e.name as experience_name, e.app_id
            from chat_channels c left join experiences e on e.id = c.experience_id
            """;
    private static final String MESSAGE_SELECT = """
            select m.seq, m.id, m.channel_id, m.user_id, u.username, u.name as user_name, m.content, m.message_type,
                   m.replying_to_message_id, m.mentions, m.mentions_everyone, m.poll::text as poll,
                   m.attachments::text as attachments, m.auto_detect_links, m.is_pinned, m.is_edited, m.created_at, m.updated_at
            from chat_messages m join users u on u.id = m.user_id
            """;

    static final RowMapper<ChannelRow> CHANNEL = (rs, ctx) -> new ChannelRow(
            rs.getString("id"), ChannelRow.Kind.of(rs.getString("kind")), rs.getString("experience_id"),
            rs.getString("experience_name"), rs.getString("app_id"), rs.getString("company_id"),
            rs.getBoolean("ban_media"), rs.getBoolean("ban_urls"), strings(rs.getArray("banned_words")),
            (Integer) rs.getObject("user_posts_cooldown_seconds"), rs.getString("who_can_post"),
            rs.getString("who_can_react"), rs.getString("customer_user_id"), rs.getString("custom_name"),
            Rows.time(rs, "resolved_at"), Rows.time(rs, "last_message_at"), Rows.time(rs, "created_at"));

    static final RowMapper<MessageRow> MESSAGE = (rs, ctx) -> new MessageRow(
            rs.getLong("seq"), rs.getString("id"), rs.getString("channel_id"), rs.getString("user_id"),
            rs.getString("username"), rs.getString("user_name"), rs.getString("content"), rs.getString("message_type"),
            rs.getString("replying_to_message_id"), strings(rs.getArray("mentions")), rs.getBoolean("mentions_everyone"),
            rs.getString("poll") == null ? null : Json.tree(rs.getString("poll")), Json.tree(rs.getString("attachments")),
            rs.getBoolean("auto_detect_links"), rs.getBoolean("is_pinned"), rs.getBoolean("is_edited"),
            Rows.time(rs, "created_at"), Rows.time(rs, "updated_at"));

    private final Jdbi jdbi;

    public ChatStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** A channel by its id, or an experience's channel by the experience id. */
    public Optional<ChannelRow> findChannel(String idOrExperienceId) {
        String column = idOrExperienceId.startsWith("exp_") ? "c.experience_id" : "c.id";
        return jdbi.withHandle(h -> h.createQuery(CHANNEL_SELECT + " where " + column + " = :id")
                .bind("id", idOrExperienceId).map(CHANNEL).findOne());
    }

    public Optional<ChannelRow> lockChannel(Handle h, String id) {
        return h.createQuery(CHANNEL_SELECT + " where c.id = :id for update of c").bind("id", id).map(CHANNEL).findOne();
    }

    /** Experience channels of a company (optionally only those attached to a product), by id after a cursor. */
    public List<ChannelRow> experienceChannels(String companyId, String productId, String afterId, String beforeId,
                                               int limit, boolean backwards) {
        String sql = CHANNEL_SELECT + """
                 where c.kind = 'experience' and c.company_id = :company
                   and (cast(:product as text) is null or exists (
                        select 1 from experience_products ep where ep.experience_id = c.experience_id and ep.product_id = :product))
                   and (cast(:after as text) is null or c.id > :after)
                   and (cast(:before as text) is null or c.id < :before)
                 order by c.id""" + (backwards ? " desc" : "") + " limit :limit";
        return jdbi.withHandle(h -> h.createQuery(sql).bind("company", companyId).bind("product", productId)
                .bind("after", afterId).bind("before", beforeId).bind("limit", limit).map(CHANNEL).list());
    }

    public void updateModeration(String channelId, Moderation.Settings s) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update chat_channels set ban_media = :banMedia, ban_urls = :banUrls, banned_words = :words,
                               user_posts_cooldown_seconds = :cooldown, who_can_post = :post, who_can_react = :react
                        where id = :id""")
                .bind("banMedia", s.banMedia()).bind("banUrls", s.banUrls())
                .bind("words", s.bannedWords().toArray(new String[0])).bind("cooldown", s.cooldownSeconds())
                .bind("post", s.whoCanPost()).bind("react", s.whoCanReact()).bind("id", channelId).execute());
    }

    /** The bot user that speaks for an app or a company, created the first time it is needed. */
    public String botUser(Handle h, String table, String ownerId, String displayName) {
        String existing = h.createQuery("select bot_user_id from " + table + " where id = :id for update")
                .bind("id", ownerId).mapTo(String.class).findOne().orElse(null);
        if (existing != null) {
            return existing;
        }
        String id = Ids.next("user");
        h.createUpdate("insert into users (id, username, name, is_bot) values (:id, :username, :name, true)")
                .bind("id", id).bind("username", "bot-" + ownerId.toLowerCase()).bind("name", displayName).execute();
        h.createUpdate("update " + table + " set bot_user_id = :bot where id = :id").bind("bot", id).bind("id", ownerId).execute();
        return id;
    }

    /**
     * Starts or refuses a post under the channel's cooldown: records now as the user's last post
     * when the previous one is old enough. Returns the seconds left to wait, or 0 when allowed.
     */
    public long claimCooldown(Handle h, String channelId, String userId, int seconds) {
        Optional<Long> left = h.createQuery("""
                        insert into chat_cooldowns as c (channel_id, user_id, last_post_at) values (:channel, :user, now())
                        on conflict (channel_id, user_id) do update set last_post_at = now()
                        where c.last_post_at <= now() - make_interval(secs => :seconds)
                        returning 0::bigint""")
                .bind("channel", channelId).bind("user", userId).bind("seconds", seconds)
                .mapTo(Long.class).findOne();
        if (left.isPresent()) {
            return 0;
        }
        return h.createQuery("""
                        select greatest(1, ceil(extract(epoch from (last_post_at + make_interval(secs => :seconds) - now()))))::bigint
                        from chat_cooldowns where channel_id = :channel and user_id = :user""")
                .bind("channel", channelId).bind("user", userId).bind("seconds", seconds).mapTo(Long.class).one();
    }

    public record NewMessage(String id, String channelId, String userId, String content, String replyingTo,
                             List<String> mentions, boolean mentionsEveryone, Object poll, Object attachments,
                             boolean autoDetectLinks) {
    }

    /** Inserts the messages with one batched statement; returns them as stored, in the same order. */
    public List<MessageRow> insertMessages(Handle h, List<NewMessage> messages) {
        // The author's names come back with the insert: one round trip per group, not two.
        PreparedBatch batch = h.prepareBatch("""
                insert into chat_messages (id, channel_id, user_id, content, replying_to_message_id, mentions,
                                           mentions_everyone, poll, attachments, auto_detect_links)
                values (:id, :channel, :user, :content, :reply, :mentions, :everyone,
                        cast(:poll as jsonb), cast(:attachments as jsonb), :autolink)
                returning seq, message_type, created_at, updated_at,
                          (select u.username from users u where u.id = chat_messages.user_id) as username,
                          (select u.name from users u where u.id = chat_messages.user_id) as name""");
        for (NewMessage m : messages) {
            batch.bind("id", m.id()).bind("channel", m.channelId()).bind("user", m.userId()).bind("content", m.content())
                    .bind("reply", m.replyingTo()).bind("mentions", m.mentions().toArray(new String[0]))
                    .bind("everyone", m.mentionsEveryone()).bind("poll", m.poll() == null ? null : Json.string(m.poll()))
                    .bind("attachments", Json.string(m.attachments())).bind("autolink", m.autoDetectLinks())
                    .add();
        }
        List<Stored> stored = batch.executePreparedBatch()
                .map((rs, ctx) -> new Stored(rs.getLong("seq"), rs.getString("message_type"),
                        Rows.time(rs, "created_at"), Rows.time(rs, "updated_at"), rs.getString("username"), rs.getString("name")))
                .list();
        List<MessageRow> rows = new java.util.ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            NewMessage m = messages.get(i);
            Stored s = stored.get(i);
            rows.add(new MessageRow(s.seq(), m.id(), m.channelId(), m.userId(), s.username(), s.name(), m.content(),
                    s.messageType(), m.replyingTo(), m.mentions(), m.mentionsEveryone(),
                    m.poll() == null ? null : Json.MAPPER.valueToTree(m.poll()), Json.MAPPER.valueToTree(m.attachments()),
                    m.autoDetectLinks(), false, false, s.createdAt(), s.updatedAt()));
        }
        return rows;
    }

    private record Stored(long seq, String messageType, String createdAt, String updatedAt, String username, String name) {
    }

    /** Records a post on the channel; a customer writing in a resolved support thread reopens it. */
    public void touchChannel(Handle h, String channelId, String authorUserId) {
        h.createUpdate("""
                        update chat_channels set last_message_at = now(),
                               resolved_at = case when kind = 'support' and customer_user_id = :author then null else resolved_at end
                        where id = :id""")
                .bind("id", channelId).bind("author", authorUserId).execute();
    }

    public Optional<MessageRow> findMessage(String id) {
        return jdbi.withHandle(h -> findMessage(h, id));
    }

    public Optional<MessageRow> findMessage(Handle h, String id) {
        return h.createQuery(MESSAGE_SELECT + " where m.id = :id and m.deleted_at is null").bind("id", id).map(MESSAGE).findOne();
    }

    /** Messages of a channel strictly after (or before) a position, in the order asked, at most {@code limit}. */
    public List<MessageRow> messages(String channelId, Long afterSeq, Long beforeSeq, boolean ascending, int limit) {
        String sql = MESSAGE_SELECT + """
                 where m.channel_id = :channel and m.deleted_at is null
                   and m.seq > :after and m.seq < :before
                 order by m.seq""" + (ascending ? "" : " desc") + " limit :limit";
        return jdbi.withHandle(h -> h.createQuery(sql).bind("channel", channelId)
                .bind("after", afterSeq == null ? Long.MIN_VALUE : afterSeq)
                .bind("before", beforeSeq == null ? Long.MAX_VALUE : beforeSeq)
                .bind("limit", limit).map(MESSAGE).list());
    }

    public record Count(String key, int count) {
    }

    /** Reaction counts (emoji → count) per message, in first-reacted order. */
    public Map<String, List<Count>> reactionCounts(List<String> messageIds) {
        return counts(messageIds, "emoji");
    }

    /** Poll votes (option id → count) per message. */
    public Map<String, List<Count>> pollVotes(List<String> messageIds) {
        return counts(messageIds, "poll_option_id");
    }

    /** One message as the API shows it, read inside the caller's transaction (so it sees the caller's own writes). */
    public MessageView view(Handle h, MessageRow row) {
        List<String> id = List.of(row.id());
        return MessageView.of(row, counts(h, id, "emoji").getOrDefault(row.id(), List.of()),
                counts(h, id, "poll_option_id").getOrDefault(row.id(), List.of()));
    }

    private Map<String, List<Count>> counts(List<String> messageIds, String column) {
        return jdbi.withHandle(h -> counts(h, messageIds, column));
    }

    private static Map<String, List<Count>> counts(Handle h, List<String> messageIds, String column) {
        Map<String, List<Count>> out = new HashMap<>();
        if (messageIds.isEmpty()) {
            return out;
        }
        h.createQuery("select message_id, " + column + " as k, count(*) as n, min(created_at) as first"
                        + " from chat_reactions where message_id = any(:ids) and " + column + " is not null"
                        + " group by message_id, " + column + " order by first, k")
                .bind("ids", messageIds.toArray(new String[0]))
                .map((rs, ctx) -> Map.entry(rs.getString("message_id"), new Count(rs.getString("k"), rs.getInt("n"))))
                .forEach(e -> out.computeIfAbsent(e.getKey(), k -> new java.util.ArrayList<>()).add(e.getValue()));
        return out;
    }

    public void updateMessage(Handle h, String id, String content, List<String> mentions, boolean mentionsEveryone,
                              Object attachments, Boolean pinned, boolean edited) {
        h.createUpdate("""
                        update chat_messages set content = :content, mentions = :mentions, mentions_everyone = :everyone,
                               attachments = cast(:attachments as jsonb), is_pinned = coalesce(:pinned, is_pinned),
                               is_edited = is_edited or :edited, updated_at = now()
                        where id = :id""")
                .bind("content", content).bind("mentions", mentions.toArray(new String[0])).bind("everyone", mentionsEveryone)
                .bind("attachments", Json.string(attachments)).bind("pinned", pinned).bind("edited", edited).bind("id", id)
                .execute();
    }

    public boolean deleteMessage(Handle h, String id) {
        return h.createUpdate("update chat_messages set deleted_at = now() where id = :id and deleted_at is null")
                .bind("id", id).execute() == 1;
    }

    /** A user in a DM who has not left it (a closed membership no longer reads or posts). */
    public boolean isDmMember(String channelId, String userId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from dm_members where channel_id = :channel and user_id = :user and status <> 'closed')""")
                .bind("channel", channelId).bind("user", userId).mapTo(Boolean.class).one());
    }

    /** The channels whose live messages attach this file. */
    public List<ChannelRow> channelsSharing(String fileId) {
        return jdbi.withHandle(h -> h.createQuery(CHANNEL_SELECT + """
                         where c.id in (select m.channel_id from chat_messages m
                                        where m.attachments @> cast(:needle as jsonb) and m.deleted_at is null)""")
                .bind("needle", Json.string(List.of(Map.of("id", fileId)))).map(CHANNEL).list());
    }

    /** The ids of the named users (case-insensitive usernames) that exist. */
    public Map<String, String> userIdsByUsername(List<String> usernames) {
        Map<String, String> out = new HashMap<>();
        if (usernames.isEmpty()) {
            return out;
        }
        jdbi.useHandle(h -> h.createQuery("select id, lower(username) as username from users where lower(username) = any(:names)")
                .bind("names", usernames.stream().map(String::toLowerCase).toArray(String[]::new))
                .map((rs, ctx) -> Map.entry(rs.getString("username"), rs.getString("id")))
                .forEach(e -> out.put(e.getKey(), e.getValue())));
        return out;
    }

    static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
