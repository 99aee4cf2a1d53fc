package dev.herald.chat;

import dev.herald.directory.Directory;
import dev.herald.web.Ids;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Optional;

/**
 * SQL for support threads: chat channels of kind {@code support}, one per company and customer
 * (the partial unique index {@code support_channel_per_customer} keeps it so under concurrent opens).
 */
public final class SupportStore {
    // The experience columns are null for support threads; they are selected so ChatStore.CHANNEL maps the row.
    private static final String COLUMNS = """
            c.*, null as experience_name, null as app_id, u.username as customer_username, u.name as customer_name""";
    private static final String FROM = " from chat_channels c join users u on u.id = c.customer_user_id where c.kind = 'support'";
    private static final String SELECT = "select " + COLUMNS + FROM;

    private static final RowMapper<SupportRow> ROW = (rs, ctx) -> new SupportRow(ChatStore.CHANNEL.map(rs, ctx),
            new Directory.UserRef(rs.getString("customer_user_id"), rs.getString("customer_username"), rs.getString("customer_name")));

    /** A support thread and its customer's public fields. */
    record SupportRow(ChannelRow channel, Directory.UserRef customer) {
    }

    /**
     * Which threads a caller lists: those of one company, or of every company when {@code companyId}
     * is null; of those, the ones the caller is an admin of ({@code admin}: all of them, or only
     * companies where {@code teamUserId} is on the team) and the ones whose customer is {@code customerUserId}.
     */
    record Scope(String companyId, boolean admin, String teamUserId, String customerUserId) {
    }

    private final Jdbi jdbi;

    public SupportStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The customer's thread with the company: the one that exists, or a new one. Safe under concurrent calls. */
    SupportRow open(String companyId, String customerUserId, String customName, String createdByUserId) {
        return jdbi.withHandle(h -> {
            h.createUpdate("""
                            insert into chat_channels (id, kind, company_id, customer_user_id, custom_name, created_by_user_id)
                            values (:id, 'support', :company, :customer, :name, :creator)
                            on conflict (company_id, customer_user_id) where kind = 'support' do nothing""")
                    .bind("id", Ids.next("channel")).bind("company", companyId).bind("customer", customerUserId)
                    .bind("name", customName).bind("creator", createdByUserId).execute();
            // A separate statement sees the row a concurrent open committed first (read committed).
            return h.createQuery(SELECT + " and c.company_id = :company and c.customer_user_id = :customer")
                    .bind("company", companyId).bind("customer", customerUserId).map(ROW).one();
        });
    }

    Optional<SupportRow> find(String id) {
        return jdbi.withHandle(h -> h.createQuery(SELECT + " and c.id = :id").bind("id", id).map(ROW).findOne());
    }

    /**
     * One page of the scope's threads, optionally only open ({@code resolved_at} null) or only
     * resolved ones, ordered by {@code keySql} (an expression over {@code c}) and id.
     */
    List<Keyset.Keyed<SupportRow>> list(Scope scope, Boolean open, String keySql, Keyset keyset) {
        String admin = !scope.admin() ? "false" : scope.teamUserId() == null ? "true" : """
                exists (select 1 from authorized_users a
                        where a.company_id = c.company_id and a.user_id = :team and a.removed_at is null)""";
        String customer = scope.customerUserId() == null ? "false" : "c.customer_user_id = :customer";
        String sql = "select " + COLUMNS + ", " + keySql + " as sort_key" + FROM
                + (scope.companyId() == null ? "" : " and c.company_id = :company")
                + (open == null ? "" : open ? " and c.resolved_at is null" : " and c.resolved_at is not null")
                + " and (" + admin + " or " + customer + ")"
                + keyset.sql(keySql, "c.id");
        return jdbi.withHandle(h -> {
            var query = h.createQuery(sql);
            if (scope.companyId() != null) {
                query.bind("company", scope.companyId());
            }
            if (scope.admin() && scope.teamUserId() != null) {
                query.bind("team", scope.teamUserId());
            }
            if (scope.customerUserId() != null) {
                query.bind("customer", scope.customerUserId());
            }
            return keyset.bind(query).map(Keyset.keyed(ROW)).list();
        });
    }

    /** Marks the thread resolved (keeping the first resolution time when it already was) or open again. */
    void setResolved(String id, boolean resolved) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update chat_channels set resolved_at = case when :resolved then coalesce(resolved_at, now()) end
                        where id = :id and kind = 'support'""")
                .bind("resolved", resolved).bind("id", id).execute());
    }
}
