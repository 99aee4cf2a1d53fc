package dev.herald.chat;

import dev.herald.web.Ids;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Optional;

/**
 * SQL for reactions and poll votes. Every write is a single statement against one of the unique
 * indexes on {@code chat_reactions} (one reaction per message, user and emoji; one vote per message
 * and user), never a check-then-insert, so counts stay exact however many requests race.
 */
public final class ReactionStore {
    /** Lists are ordered by creation, to the microsecond (exact: timestamptz keeps microseconds). */
    private static final String SORT_KEY = Keyset.micros("r.created_at");
    private static final String SELECT = """
            select %s as sort_key, r.id, r.message_id, r.user_id, u.username, u.name as user_name, r.emoji, r.poll_option_id
            from chat_reactions r join users u on u.id = r.user_id
            """.formatted(SORT_KEY);

    private static final RowMapper<ReactionRow> ROW = (rs, ctx) -> new ReactionRow(
            rs.getString("id"), rs.getString("message_id"), rs.getString("user_id"), rs.getString("username"),
            rs.getString("user_name"), rs.getString("emoji"), rs.getString("poll_option_id"));

    /** A reaction (emoji set) or a poll vote (poll option set), with its user's public fields. */
    record ReactionRow(String id, String messageId, String userId, String username, String userName, String emoji,
                       String pollOptionId) {
    }

    private final Jdbi jdbi;

    public ReactionStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<ReactionRow> find(String id) {
        return jdbi.withHandle(h -> find(h, id));
    }

    private static Optional<ReactionRow> find(Handle h, String id) {
        return h.createQuery(SELECT + " where r.id = :id").bind("id", id).map(ROW).findOne();
    }

    /** A reaction, and whether this request added it (false: the user already had it). */
    record Reacted(ReactionRow row, boolean added) {
    }

    /** The user's reaction with this emoji on the message: the one just added, or the one they already had. */
    public Reacted react(Handle h, String messageId, String userId, String emoji) {
        for (;;) {
            int inserted = h.createUpdate("""
                            insert into chat_reactions (id, message_id, user_id, emoji) values (:id, :message, :user, :emoji)
                            on conflict (message_id, user_id, emoji) where emoji is not null do nothing""")
                    .bind("id", Ids.next("reac")).bind("message", messageId).bind("user", userId).bind("emoji", emoji).execute();
            // A separate statement sees the row a concurrent request committed first (read committed).
            Optional<ReactionRow> row = h.createQuery(SELECT + " where r.message_id = :message and r.user_id = :user and r.emoji = :emoji")
                    .bind("message", messageId).bind("user", userId).bind("emoji", emoji).map(ROW).findOne();
            if (row.isPresent()) {
                return new Reacted(row.get(), inserted == 1);
            }
            // Removed by a concurrent un-react between the two statements: add it again.
        }
    }

    /** The user's vote on the message's poll, cast or moved to this option in one statement; a moved vote keeps its id. */
    public ReactionRow vote(Handle h, String messageId, String userId, String optionId) {
        String id = h.createQuery("""
                        insert into chat_reactions (id, message_id, user_id, poll_option_id) values (:id, :message, :user, :option)
                        on conflict (message_id, user_id) where poll_option_id is not null
                        do update set poll_option_id = excluded.poll_option_id
                        returning id""")
                .bind("id", Ids.next("reac")).bind("message", messageId).bind("user", userId).bind("option", optionId)
                .mapTo(String.class).one();
        return find(h, id).orElseThrow();
    }

    /** One page of a message's reactions and votes, as {@link Keyset} asks. */
    List<Keyset.Keyed<ReactionRow>> page(String messageId, Keyset keyset) {
        String sql = SELECT + " where r.message_id = :message" + keyset.sql(SORT_KEY, "r.id");
        return jdbi.withHandle(h -> keyset.bind(h.createQuery(sql).bind("message", messageId)).map(Keyset.keyed(ROW)).list());
    }

    /** Removes a reaction; the removed row (for its event), or empty when it was already gone. */
    public Optional<ReactionRow> delete(Handle h, String id) {
        Optional<ReactionRow> row = find(h, id);
        boolean deleted = row.isPresent() && h.createUpdate("delete from chat_reactions where id = :id").bind("id", id).execute() == 1;
        return deleted ? row : Optional.empty();
    }

    /** Removes the user's reaction with this emoji from the message; empty when there was none. */
    public Optional<ReactionRow> deleteEmoji(Handle h, String messageId, String userId, String emoji) {
        return h.createQuery("select id from chat_reactions where message_id = :message and user_id = :user and emoji = :emoji")
                .bind("message", messageId).bind("user", userId).bind("emoji", emoji).mapTo(String.class).findOne()
                .flatMap(id -> delete(h, id));
    }
}
