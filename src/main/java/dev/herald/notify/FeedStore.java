package dev.herald.notify;

import dev.herald.db.Rows;
import org.jdbi.v3.core.Jdbi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a user's feed. First the user's sources with the position interval during which they
 * belonged to each ({@link #sources}); then, per source, the newest matching audience rows in that
 * interval through the {@code (source_key, seq)} primary key, merged and cut to the page size.
 * The cost grows with the number of sources a user has and the page size, never with how many
 * members an experience has or how many notifications are stored.
 */
public final class FeedStore {
    static final long OPEN = Long.MAX_VALUE;

    private final Jdbi jdbi;

    public FeedStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * A source, one interval (exclusive from, inclusive to) of notification positions the user held it
     * in, and which of its rows reach the user.
     */
    public record Source(String key, String companyId, String experienceId, long fromSeq, long toSeq, Sources.Reach reach) {
        Source from(long newFrom) {
            return new Source(key, companyId, experienceId, newFrom, toSeq, reach);
        }
    }

    public record Reader(String userId, long readAllSeq, String readAllAt) {
    }

    /** The reader's own state and sources, and the topics the reader does not want in the feed. */
    public record Audience(Reader reader, List<Source> sources, List<String> mutedTopics) {
    }

    public record Hit(long seq, boolean mention) {
    }

    /**
     * Topics the user keeps out of the feed: an in_app preference turned off, or a topic off by
     * default (default_preference_value false) the user did not turn on.
     */
    private List<String> mutedTopics(String userId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select topic_id from notification_preferences where user_id = :user and channel = 'in_app' and not enabled
                        union
                        select t.id from notification_topics t where not t.default_preference_value
                          and not exists (select 1 from notification_preferences p
                                          where p.topic_id = t.id and p.user_id = :user and p.channel = 'in_app' and p.enabled)""")
                .bind("user", userId).mapTo(String.class).list());
    }

    /** Of these users, those who keep this topic out of their feed (the rule of {@link #mutedTopics}). */
    public Set<String> mutedAmong(String topicId, Collection<String> userIds) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select u.id from unnest(cast(:users as text[])) as u(id)
                          left join notification_preferences p on p.user_id = u.id and p.topic_id = :topic and p.channel = 'in_app'
                          join notification_topics t on t.id = :topic
                         where not coalesce(p.enabled, t.default_preference_value)""")
                .bind("users", userIds.toArray(new String[0])).bind("topic", topicId)
                .mapTo(String.class).set());
    }

    /**
     * The user's sources: experiences through active or past memberships of attached products, the
     * products and companies themselves, and for team members their company and its experiences;
     * plus the user's own key. Empty when the user does not exist.
     */
    public Optional<Audience> audience(String userId) {
        List<Source> sources = new ArrayList<>();
        Reader[] reader = new Reader[1];
        jdbi.useHandle(h -> h.createQuery("""
                        with customer as (
                            select m.product_id, m.company_id, m.granted_seq, coalesce(m.revoked_seq, :open) as to_seq
                            from memberships m where m.user_id = :user
                        ), team as (
                            select a.company_id, a.granted_seq, coalesce(a.revoked_seq, :open) as to_seq
                            from authorized_users a where a.user_id = :user
                        )
                        select 'reader' as kind, u.id as key, null as company_id, null as experience_id,
                               u.feed_read_all_seq as from_seq, 0::bigint as to_seq, u.feed_read_all_at as read_all_at
                        from users u where u.id = :user
                        union all
                        select 'experience_customer', ep.experience_id, c.company_id, ep.experience_id,
                               greatest(c.granted_seq, ep.attached_seq), c.to_seq, null
                        from customer c join experience_products ep on ep.product_id = c.product_id
                        union all
                        select 'product_customer', product_id, company_id, null, granted_seq, to_seq, null from customer
                        union all
                        select 'company_customer', company_id, company_id, null, granted_seq, to_seq, null from customer
                        union all
                        select 'team', company_id, company_id, null, granted_seq, to_seq, null from team
                        union all
                        select 'team', e.id, e.company_id, e.id, t.granted_seq, t.to_seq, null
                        from team t join experiences e on e.company_id = t.company_id""")
                .bind("user", userId).bind("open", OPEN)
                .map((rs, ctx) -> {
                    String kind = rs.getString("kind");
                    if (kind.equals("reader")) {
                        reader[0] = new Reader(rs.getString("key"), rs.getLong("from_seq"), Rows.time(rs, "read_all_at"));
                        return null;
                    }
                    Sources.Reach reach = switch (kind) {
                        case "company_customer" -> Sources.Reach.CUSTOMER_OF_COMPANY;
                        case "team" -> Sources.Reach.TEAM;
                        default -> Sources.Reach.CUSTOMER_OF_EXPERIENCE;
                    };
                    return new Source(rs.getString("key"), rs.getString("company_id"), rs.getString("experience_id"),
                            rs.getLong("from_seq"), rs.getLong("to_seq"), reach);
                })
                .forEach(source -> {
                    if (source != null) {
                        sources.add(source);
                    }
                }));
        if (reader[0] == null) {
            return Optional.empty();
        }
        sources.add(new Source(userId, null, null, 0, OPEN, Sources.Reach.TEAM));
        return Optional.of(new Audience(reader[0], merged(sources), mutedTopics(userId)));
    }

    /**
     * One source per key, reach and overlapping interval: a customer with 50 products of one company
     * holds its company source 50 times, which would otherwise cost 50 index probes per page.
     */
    static List<Source> merged(List<Source> sources) {
        Map<List<Object>, List<Source>> groups = new LinkedHashMap<>();
        for (Source s : sources) {
            groups.computeIfAbsent(List.of(s.key(), s.reach(), String.valueOf(s.companyId()), String.valueOf(s.experienceId())),
                    k -> new ArrayList<>()).add(s);
        }
        List<Source> out = new ArrayList<>();
        for (List<Source> group : groups.values()) {
            group.sort(java.util.Comparator.comparingLong(Source::fromSeq));
            Source current = group.getFirst();
            for (Source next : group.subList(1, group.size())) {
                if (next.fromSeq() <= current.toSeq()) {
                    current = new Source(current.key(), current.companyId(), current.experienceId(), current.fromSeq(),
                            Math.max(current.toSeq(), next.toSeq()), current.reach());
                } else {
                    out.add(current);
                    current = next;
                }
            }
            out.add(current);
        }
        return out;
    }

    /** The per-scope (experience or company) read watermarks of this user. */
    public Map<String, View> views(String userId) {
        Map<String, View> views = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("select scope_id, last_seen_seq, last_viewed_at from feed_views where user_id = :user")
                .bind("user", userId)
                .map((rs, ctx) -> new View(rs.getString("scope_id"), rs.getLong("last_seen_seq"), Rows.time(rs, "last_viewed_at")))
                .forEach(v -> views.put(v.scopeId(), v)));
        return views;
    }

    public record View(String scopeId, long lastSeenSeq, String lastViewedAt) {
    }

    /** Filters applied to audience rows; null means "any". */
    public record Filter(String experienceId, String companyId, boolean mentionsOnly, boolean unreadOnly, List<String> mutedTopics) {
        public static final Filter NONE = new Filter(null, null, false, false);

        public Filter(String experienceId, String companyId, boolean mentionsOnly, boolean unreadOnly) {
            this(experienceId, companyId, mentionsOnly, unreadOnly, List.of());
        }

        /** The same filter, also leaving out notifications of these topics (the reader's muted ones). */
        public Filter muting(List<String> topics) {
            return new Filter(experienceId, companyId, mentionsOnly, unreadOnly, topics);
        }
    }

    /**
     * The newest hits below {@code beforeSeq}, at most {@code limit}, one per notification.
     * Sources must already be narrowed by the caller (see FeedService); rows are still checked
     * against the filter because a user source carries notifications of every experience.
     */
    public List<Hit> page(String userId, List<Source> sources, Filter filter, long beforeSeq, int limit) {
        if (sources.isEmpty()) {
            return List.of();
        }
        return jdbi.withHandle(h -> hits(h, HITS_SQL.formatted(conditions(filter)), userId, sources, filter, beforeSeq, limit)
                .map((rs, ctx) -> new Hit(rs.getLong("seq"), rs.getBoolean("mention"))).list());
    }

    /** Like {@link #page}, joined with everything the feed renders, in one statement. */
    public List<Rendered> pageRows(String userId, List<Source> sources, Filter filter, long beforeSeq, int limit) {
        if (sources.isEmpty()) {
            return List.of();
        }
        String sql = "with hits as (" + HITS_SQL.formatted(conditions(filter)) + ")\n" + ROW_SELECT
                + " join hits on hits.seq = n.seq order by n.seq desc";
        return jdbi.withHandle(h -> hits(h, sql, userId, sources, filter, beforeSeq, limit)
                .map((rs, ctx) -> new Rendered(ROW.map(rs, ctx), rs.getBoolean("mention"))).list());
    }

    public record Rendered(NotificationRow row, boolean mention) {
    }

    /**
     * A top-k merge of the sources' newest rows, done in two index passes. First each source's newest
     * matching position (one index-only probe per source); the k-th largest of those is a lower bound
     * for the whole page, since each is itself a matching row. Then only sources whose newest row
     * reaches that bound are read, and only down to it. A page costs about (sources + k) index entries
     * instead of sources × k, whatever the audience sizes or the number of notifications stored.
     */
    private static final String HITS_SQL = """
            with s as materialized (
                select src.*, (select a.seq from notification_audiences a
                               where a.source_key = src.key and a.seq > src.from_seq and a.seq <= src.to_seq and a.seq < :before
                                 and case when a.customers_only then src.customers_ok else src.all_ok end %1$s
                               order by a.seq desc limit 1) as newest
                from unnest(cast(:keys as text[]), cast(:froms as bigint[]), cast(:tos as bigint[]),
                            cast(:alls as boolean[]), cast(:customers as boolean[])) as src(key, from_seq, to_seq, all_ok, customers_ok)
            ), page as (
                select case when count(*) = :limit then min(newest) else 0 end as bound
                from (select distinct newest from s where newest is not null order by newest desc limit :limit) top
            )
            select hit.seq, bool_or(hit.mention) as mention
            from s cross join page
            cross join lateral (
                select a.seq, a.mention from notification_audiences a
                where a.source_key = s.key and a.seq > s.from_seq and a.seq <= s.to_seq and a.seq < :before
                  and a.seq >= page.bound
                  and case when a.customers_only then s.customers_ok else s.all_ok end %1$s
                order by a.seq desc limit :limit
            ) hit
            where s.newest >= page.bound
            group by hit.seq order by hit.seq desc limit :limit""";

    private static String conditions(Filter filter) {
        StringBuilder conditions = new StringBuilder();
        if (filter.experienceId() != null) {
            conditions.append(" and a.experience_id = :exp");
        }
        if (filter.companyId() != null) {
            conditions.append(" and a.company_id = :company");
        }
        if (filter.mentionsOnly()) {
            conditions.append(" and a.mention");
        }
        if (!filter.mutedTopics().isEmpty()) {
            // Only for readers who muted something: everyone else keeps the index-only read.
            conditions.append(" and not exists (select 1 from notifications mn where mn.seq = a.seq"
                    + " and mn.topic_id = any(cast(:muted as text[])))");
        }
        if (filter.unreadOnly()) {
            conditions.append(" and a.seq > coalesce((select v.last_seen_seq from feed_views v"
                    + " where v.user_id = :user and v.scope_id = coalesce(a.experience_id, a.company_id)), 0)");
        }
        return conditions.toString();
    }

    private static org.jdbi.v3.core.statement.Query hits(org.jdbi.v3.core.Handle h, String sql, String userId,
                                                         List<Source> sources, Filter filter, long beforeSeq, int limit) {
        int n = sources.size();
        String[] keys = new String[n];
        Long[] froms = new Long[n];
        Long[] tos = new Long[n];
        Boolean[] alls = new Boolean[n];
        Boolean[] customers = new Boolean[n];
        for (int i = 0; i < n; i++) {
            Source s = sources.get(i);
            keys[i] = s.key();
            froms[i] = s.fromSeq();
            tos[i] = s.toSeq();
            alls[i] = s.reach().all();
            customers[i] = s.reach().customersOnly();
        }
        var query = h.createQuery(sql).bind("keys", keys).bind("froms", froms).bind("tos", tos)
                .bind("alls", alls).bind("customers", customers)
                .bind("before", beforeSeq).bind("limit", limit).bind("user", userId);
        if (filter.experienceId() != null) {
            query.bind("exp", filter.experienceId());
        }
        if (filter.companyId() != null) {
            query.bind("company", filter.companyId());
        }
        if (!filter.mutedTopics().isEmpty()) {
            query.bind("muted", filter.mutedTopics().toArray(new String[0]));
        }
        return query;
    }

    /** Unread mentions of this user per experience, above each experience's read watermark. */
    public Map<String, Integer> unreadMentionsByExperience(String userId, long readAllSeq) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("""
                        select a.experience_id, count(*) as n from notification_audiences a
                        left join feed_views v on v.user_id = :user and v.scope_id = a.experience_id
                        where a.source_key = :user and a.mention and a.experience_id is not null
                          and a.seq > greatest(:readAll, coalesce(v.last_seen_seq, 0))
                        group by a.experience_id""")
                .bind("user", userId).bind("readAll", readAllSeq)
                .map((rs, ctx) -> Map.entry(rs.getString("experience_id"), rs.getInt("n")))
                .forEach(e -> counts.put(e.getKey(), e.getValue())));
        return counts;
    }

    public void markSeen(String userId, String scopeId, long seq) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into feed_views (user_id, scope_id, last_seen_seq, last_viewed_at) values (:user, :scope, :seq, now())
                        on conflict (user_id, scope_id) do update
                        set last_seen_seq = greatest(feed_views.last_seen_seq, excluded.last_seen_seq), last_viewed_at = now()""")
                .bind("user", userId).bind("scope", scopeId).bind("seq", seq).execute());
    }

    public void markAllSeen(String userId, long seq) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update users set feed_read_all_seq = greatest(feed_read_all_seq, :seq), feed_read_all_at = now()
                        where id = :user""")
                .bind("user", userId).bind("seq", seq).execute());
    }

    private static final String ROW_SELECT = """
            select n.seq, n.id, n.title, n.subtitle, n.content, n.rest_path, n.created_at, n.company_id, n.experience_id,
                   c.title as company_title, c.route as company_route, c.logo_url as company_logo,
                   e.name as experience_name, e.image_url as experience_image,
                   a.id as app_id, a.name as app_name, a.icon_url as app_icon, a.base_url, a.experience_path, a.dashboard_path,
                   iu.profile_picture_url as icon_picture,
                   s.id as sender_id, s.username as sender_username, s.name as sender_name,
                   t.id as topic_id, t.identifier as topic_identifier, t.name as topic_name, hits.mention
            from notifications n
            left join companies c on c.id = n.company_id
            left join experiences e on e.id = n.experience_id
            left join apps a on a.id = n.app_id
            left join users iu on iu.id = n.icon_user_id
            left join users s on s.id = n.sender_user_id
            left join notification_topics t on t.id = n.topic_id
            """;

    private static final org.jdbi.v3.core.mapper.RowMapper<NotificationRow> ROW = (rs, ctx) -> new NotificationRow(
            rs.getLong("seq"), rs.getString("id"), rs.getString("title"),
            rs.getString("subtitle"), rs.getString("content"), rs.getString("rest_path"), Rows.time(rs, "created_at"),
            rs.getString("company_id"), rs.getString("company_title"), rs.getString("company_route"),
            rs.getString("company_logo"), rs.getString("experience_id"), rs.getString("experience_name"),
            rs.getString("experience_image"), rs.getString("app_id"), rs.getString("app_name"),
            rs.getString("app_icon"), rs.getString("base_url"), rs.getString("experience_path"),
            rs.getString("dashboard_path"), rs.getString("icon_picture"), rs.getString("sender_id"),
            rs.getString("sender_username"), rs.getString("sender_name"), rs.getString("topic_id"),
            rs.getString("topic_identifier"), rs.getString("topic_name"));

    /** One notification as feeds show it, for pushing it to connected readers as it is delivered. */
    public Optional<NotificationRow> find(long seq) {
        return jdbi.withHandle(h -> h.createQuery("with hits as (select cast(:seq as bigint) as seq, false as mention)\n"
                        + ROW_SELECT + " join hits on hits.seq = n.seq")
                .bind("seq", seq).map(ROW).findOne());
    }

    public Optional<Long> seqOf(String notificationId) {
        return jdbi.withHandle(h -> h.createQuery("select seq from notifications where id = :id")
                .bind("id", notificationId).mapTo(Long.class).findOne());
    }

    /** Topics of the apps whose experiences or installations this user can currently see. */
    public List<TopicRow> topicsFor(String userId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        with companies as (
                            select company_id from memberships where user_id = :user and status = 'active'
                            union select company_id from authorized_users where user_id = :user and removed_at is null
                        )
                        select distinct t.id, t.identifier, t.name, t.description, t.default_preference_value, a.id as app_id, a.name as app_name
                        from notification_topics t join apps a on a.id = t.app_id
                        join app_installations i on i.app_id = a.id join companies c on c.company_id = i.company_id
                        order by a.name, t.identifier""")
                .bind("user", userId)
                .map((rs, ctx) -> new TopicRow(rs.getString("id"), rs.getString("identifier"), rs.getString("name"),
                        rs.getString("description"), rs.getBoolean("default_preference_value"), rs.getString("app_id"),
                        rs.getString("app_name")))
                .list());
    }

    public record TopicRow(String id, String identifier, String name, String description, boolean defaultPreferenceValue,
                           String appId, String appName) {
    }

    /** Names of experiences, for badges. */
    public Map<String, String> experienceNames(List<String> ids) {
        Map<String, String> names = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("select id, name from experiences where id = any(:ids)")
                .bind("ids", ids.toArray(new String[0]))
                .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("name")))
                .forEach(e -> names.put(e.getKey(), e.getValue())));
        return names;
    }
}
