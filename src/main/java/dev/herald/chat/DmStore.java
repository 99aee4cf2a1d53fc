package dev.herald.chat;

import dev.herald.db.Rows;
import dev.herald.web.Ids;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SQL for DMs: chat channels of kind {@code dm} and their {@code dm_members}. A membership whose
 * status is {@code closed} has left (ChatStore.isDmMember); the row stays, so adding the user back
 * reopens it.
 */
public final class DmStore {
    // The experience columns are null for DMs; they are selected so ChatStore.CHANNEL maps the row. A DM
    // without a custom name is called by its other members' names (alphabetically), as seen by the viewer.
    private static final String CHANNEL_COLUMNS = """
            c.*, null as experience_name, null as app_id,
            coalesce(c.custom_name, (select string_agg(coalesce(u.name, u.username), ', ' order by coalesce(u.name, u.username), u.id)
                                     from dm_members m join users u on u.id = m.user_id
                                     where m.channel_id = c.id and m.status <> 'closed'
                                       and m.user_id is distinct from cast(:viewer as text))) as display_name""";
    private static final String MEMBER_COLUMNS = "m.id, m.channel_id, m.user_id, m.status, m.notification_preference, m.last_viewed_at";
    private static final String MEMBER_SELECT = "select " + MEMBER_COLUMNS + " from dm_members m";

    private static final RowMapper<DmRow> CHANNEL = (rs, ctx) -> new DmRow(ChatStore.CHANNEL.map(rs, ctx),
            rs.getString("created_by_user_id"), rs.getString("display_name"));
    private static final RowMapper<DmMember> MEMBER = (rs, ctx) -> new DmMember(rs.getString("id"),
            rs.getString("channel_id"), Rows.time(rs, "last_viewed_at"), rs.getString("notification_preference"),
            rs.getString("status"), rs.getString("user_id"));

    /** A DM, who created it (null when the admin token did) and its name as one viewer sees it. */
    record DmRow(ChannelRow channel, String createdByUserId, String name) {
    }

    /** The SDK's DmMember, which is the stored row as it is. */
    public record DmMember(String id, String channelId, String lastViewedAt, String notificationPreference, String status,
                           String userId) {
    }

    private final Jdbi jdbi;

    public DmStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The users named by these ids or (case-insensitive) usernames: reference → user id, for those that exist. */
    Map<String, String> userIds(List<String> references) {
        Map<String, String> out = new HashMap<>();
        jdbi.useHandle(h -> h.createQuery("""
                        select distinct on (r.ref) r.ref, u.id from unnest(cast(:refs as text[])) as r(ref)
                        join users u on u.id = r.ref or lower(u.username) = lower(r.ref)
                        order by r.ref, u.id = r.ref desc""")
                .bind("refs", references.toArray(new String[0]))
                .map((rs, ctx) -> Map.entry(rs.getString("ref"), rs.getString("id")))
                .forEach(e -> out.put(e.getKey(), e.getValue())));
        return out;
    }

    /**
     * The open DM of exactly these members (sorted user ids) in this company scope, or a new one
     * with every member accepted. Returns its id. A member who had hidden or archived the existing
     * DM and asks for it again ({@code creatorUserId}) gets it back in their list.
     */
    String open(String companyId, List<String> members, String customName, String creatorUserId) {
        return jdbi.inTransaction(h -> {
            // Concurrent creates of the same DM queue here, so the later one finds what the first made.
            h.createQuery("select pg_advisory_xact_lock(hashtextextended(:key, 0))::text")
                    .bind("key", "dm:" + (companyId == null ? "" : companyId) + ":" + String.join(",", members))
                    .mapTo(String.class).one();
            Optional<String> existing = h.createQuery("""
                            select c.id from dm_members me join chat_channels c on c.id = me.channel_id
                            where me.user_id = :first and me.status <> 'closed' and c.kind = 'dm'
                              and c.company_id is not distinct from cast(:company as text)
                              and array(select m.user_id from dm_members m where m.channel_id = c.id and m.status <> 'closed'
                                        order by m.user_id collate "C") = cast(:members as text[])
                            order by c.created_at, c.id limit 1""")
                    .bind("first", members.getFirst()).bind("company", companyId)
                    .bind("members", members.toArray(new String[0])).mapTo(String.class).findOne();
            if (existing.isPresent()) {
                h.createUpdate("""
                                update dm_members set status = 'accepted'
                                where channel_id = :channel and user_id = :user and status in ('hidden', 'archived')""")
                        .bind("channel", existing.get()).bind("user", creatorUserId).execute();
                return existing.get();
            }
            String id = Ids.next("channel");
            h.createUpdate("""
                            insert into chat_channels (id, kind, company_id, custom_name, created_by_user_id)
                            values (:id, 'dm', :company, :name, :creator)""")
                    .bind("id", id).bind("company", companyId).bind("name", customName).bind("creator", creatorUserId)
                    .execute();
            h.createUpdate("""
                            insert into dm_members (id, channel_id, user_id)
                            select m.id, :channel, m.user_id from unnest(cast(:ids as text[]), cast(:users as text[])) as m(id, user_id)""")
                    .bind("channel", id).bind("ids", members.stream().map(u -> Ids.next("dmm")).toArray(String[]::new))
                    .bind("users", members.toArray(new String[0])).execute();
            return id;
        });
    }

    /** The DM, named as {@code viewerUserId} sees it (null: every member's name). */
    Optional<DmRow> find(String id, String viewerUserId) {
        return jdbi.withHandle(h -> h.createQuery("select " + CHANNEL_COLUMNS + " from chat_channels c where c.kind = 'dm' and c.id = :id")
                .bind("id", id).bind("viewer", viewerUserId).map(CHANNEL).findOne());
    }

    /**
     * A page of the DMs {@code memberUserId} is in and has not hidden (null: every DM), optionally only
     * those of one company, most recently active first (a DM without messages by when it was made).
     */
    List<Keyset.Keyed<DmRow>> list(String memberUserId, String companyId, Keyset keyset) {
        String key = Keyset.micros("coalesce(c.last_message_at, c.created_at)");
        String sql = "select " + CHANNEL_COLUMNS + ", " + key + " as sort_key from chat_channels c where c.kind = 'dm'"
                + (memberUserId == null ? "" : " and exists (select 1 from dm_members me where me.channel_id = c.id"
                        + " and me.user_id = :viewer and me.status not in ('closed', 'hidden'))")
                + (companyId == null ? "" : " and c.company_id = :company")
                + keyset.sql(key, "c.id");
        return jdbi.withHandle(h -> {
            var query = h.createQuery(sql).bind("viewer", memberUserId);
            if (companyId != null) {
                query.bind("company", companyId);
            }
            return keyset.bind(query).map(Keyset.keyed(CHANNEL)).list();
        });
    }

    void rename(String id, String customName) {
        jdbi.useHandle(h -> h.createUpdate("update chat_channels set custom_name = :name where id = :id and kind = 'dm'")
                .bind("name", customName).bind("id", id).execute());
    }

    /** Closes the DM for everyone: no member reads or posts in it any more. */
    void close(String channelId) {
        jdbi.useHandle(h -> h.createUpdate("update dm_members set status = 'closed' where channel_id = :channel")
                .bind("channel", channelId).execute());
    }

    Optional<DmMember> findMember(String id) {
        return jdbi.withHandle(h -> h.createQuery(MEMBER_SELECT + " where m.id = :id").bind("id", id).map(MEMBER).findOne());
    }

    /** A page of the DM's current members (not those who left), in the order they joined. */
    List<Keyset.Keyed<DmMember>> members(String channelId, Keyset keyset) {
        String key = Keyset.micros("m.created_at");
        String sql = "select " + MEMBER_COLUMNS + ", " + key + " as sort_key from dm_members m"
                + " where m.channel_id = :channel and m.status <> 'closed'" + keyset.sql(key, "m.id");
        return jdbi.withHandle(h -> keyset.bind(h.createQuery(sql).bind("channel", channelId)).map(Keyset.keyed(MEMBER)).list());
    }

    /** Adds the user to the DM (accepted); a user who had left is back in with their old membership. */
    DmMember addMember(String channelId, String userId) {
        return jdbi.withHandle(h -> {
            h.createUpdate("""
                            insert into dm_members (id, channel_id, user_id) values (:id, :channel, :user)
                            on conflict (channel_id, user_id) do update set status = 'accepted' where dm_members.status = 'closed'""")
                    .bind("id", Ids.next("dmm")).bind("channel", channelId).bind("user", userId).execute();
            return h.createQuery(MEMBER_SELECT + " where m.channel_id = :channel and m.user_id = :user")
                    .bind("channel", channelId).bind("user", userId).map(MEMBER).one();
        });
    }

    /** Sets what is given (null: unchanged). */
    DmMember updateMember(String id, String notificationPreference, String status) {
        return jdbi.withHandle(h -> h.createQuery("""
                        update dm_members m set notification_preference = coalesce(:preference, notification_preference),
                               status = coalesce(:status, status)
                        where id = :id""" + " returning " + MEMBER_COLUMNS)
                .bind("preference", notificationPreference).bind("status", status).bind("id", id).map(MEMBER).one());
    }
}
