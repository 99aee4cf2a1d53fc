package dev.herald.notify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.List;

/** SQL that stores notifications and resolves their audiences into source rows at delivery. */
public final class NotificationStore {
    private static final String AUDIENCE_INSERT = """
            insert into notification_audiences (source_key, seq, experience_id, company_id, mention, customers_only)
            select s.key, n.seq, n.experience_id, n.company_id, :mention, :customersOnly
            from notifications n, unnest(:keys) as s(key)
            where n.seq = :seq on conflict do nothing""";

    /** Inserts the notification; returns its position (the feed's order and the delivery job's key). */
    public long insert(Handle h, NewNotification n) {
        return h.createQuery("""
                        insert into notifications (id, api, app_id, company_id, experience_id, topic_id, title, subtitle, content,
                                                   mobile_title, mobile_content, icon_user_id, sender_user_id, rest_path, targets)
                        values (:id, :api, :app, :company, :experience, :topic, :title, :subtitle, :content,
                                :mobileTitle, :mobileContent, :icon, :sender, :restPath, cast(:targets as jsonb))
                        returning seq""")
                .bind("id", Ids.next("ntf")).bind("api", n.api()).bind("app", n.appId()).bind("company", n.companyId())
                .bind("experience", n.experienceId()).bind("topic", n.topicId()).bind("title", n.title())
                .bind("subtitle", n.subtitle()).bind("content", n.content()).bind("mobileTitle", n.mobileTitle())
                .bind("mobileContent", n.mobileContent()).bind("icon", n.iconUserId()).bind("sender", n.senderUserId())
                .bind("restPath", n.restPath()).bind("targets", Json.string(n.targets()))
                .mapTo(Long.class).one();
    }

    public record Stored(long seq, String api, String appId, String companyId, String experienceId, JsonNode targets,
                         boolean delivered) {
    }

    public Stored find(Handle h, long seq) {
        return h.createQuery("select seq, api, app_id, company_id, experience_id, targets::text as targets, delivered_at from notifications where seq = :seq")
                .bind("seq", seq)
                .map((rs, ctx) -> new Stored(rs.getLong("seq"), rs.getString("api"), rs.getString("app_id"),
                        rs.getString("company_id"), rs.getString("experience_id"), Json.tree(rs.getString("targets")),
                        rs.getTimestamp("delivered_at") != null))
                .one();
    }

    /**
     * Adds audience rows: broadcast sources (an experience, a company's team, a product's owners, …; one
     * row each, whatever the audience size) or named users (bounded by the request's size limit).
     */
    public void addAudience(Handle h, long seq, List<String> sourceKeys, boolean mention, boolean customersOnly) {
        if (!sourceKeys.isEmpty()) {
            h.createUpdate(AUDIENCE_INSERT).bind("mention", mention).bind("customersOnly", customersOnly).bind("seq", seq)
                    .bind("keys", sourceKeys.toArray(new String[0])).execute();
        }
    }

    public void markDelivered(Handle h, long seq) {
        h.createUpdate("update notifications set delivered_at = now() where seq = :seq").bind("seq", seq).execute();
    }

    /** The listed users who had access to the experience at this notification's position. */
    public List<String> usersWithExperienceAccessAt(Handle h, String experienceId, long seq, List<String> userIds) {
        return h.createQuery("""
                        select distinct u from unnest(:users) as u
                        where exists (select 1 from memberships m join experience_products ep on ep.product_id = m.product_id
                                      where m.user_id = u and ep.experience_id = :exp
                                        and greatest(m.granted_seq, ep.attached_seq) < :seq
                                        and (m.revoked_seq is null or m.revoked_seq >= :seq))
                           or exists (select 1 from authorized_users a join experiences e on e.company_id = a.company_id
                                      where a.user_id = u and e.id = :exp
                                        and a.granted_seq < :seq and (a.revoked_seq is null or a.revoked_seq >= :seq))""")
                .bind("users", userIds.toArray(new String[0])).bind("exp", experienceId).bind("seq", seq)
                .mapTo(String.class).list();
    }

    /** The listed users who were team members of the company at this notification's position. */
    public List<String> teamMembersAt(Handle h, String companyId, long seq, List<String> userIds) {
        return h.createQuery("""
                        select distinct a.user_id from authorized_users a
                        where a.company_id = :company and a.user_id = any(:users)
                          and a.granted_seq < :seq and (a.revoked_seq is null or a.revoked_seq >= :seq)""")
                .bind("users", userIds.toArray(new String[0])).bind("company", companyId).bind("seq", seq)
                .mapTo(String.class).list();
    }

    /** The listed users who belong to some company that has the app installed (team or customer): an app reaches no one else. */
    public List<String> usersReachableByApp(Handle h, String appId, List<String> userIds) {
        return h.createQuery("""
                        select u from unnest(:users) as u
                        where exists (select 1 from app_installations i join authorized_users a on a.company_id = i.company_id
                                      where i.app_id = :app and a.user_id = u and a.removed_at is null)
                           or exists (select 1 from app_installations i join memberships m on m.company_id = i.company_id
                                      where i.app_id = :app and m.user_id = u and m.status = 'active')""")
                .bind("users", userIds.toArray(new String[0])).bind("app", appId)
                .mapTo(String.class).list();
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(item -> out.add(item.asText()));
        }
        return out;
    }
}
