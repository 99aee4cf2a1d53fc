package dev.herald.webhook;

import dev.herald.db.Rows;
import dev.herald.web.Ids;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** SQL for webhook endpoints, their deliveries (one per event and endpoint) and the attempts at each. */
public final class WebhookStore {
    private static final String SELECT = """
            select seq, id, company_id, app_id, resource_id, resource_company_id, url, events, enabled, api_version,
                   child_resource_events, disabled_reason, failing_since, created_at
            from webhooks""";
    private static final RowMapper<WebhookRow> WEBHOOK = (rs, ctx) -> new WebhookRow(
            rs.getLong("seq"), rs.getString("id"), rs.getString("company_id"), rs.getString("app_id"),
            rs.getString("resource_id"), rs.getString("resource_company_id"), rs.getString("url"),
            Arrays.asList((String[]) rs.getArray("events").getArray()), rs.getBoolean("enabled"), rs.getString("api_version"),
            rs.getBoolean("child_resource_events"), rs.getString("disabled_reason"), Rows.time(rs, "failing_since"),
            Rows.time(rs, "created_at"));
    private static final RowMapper<DeliveryRow> DELIVERY = (rs, ctx) -> new DeliveryRow(
            rs.getLong("seq"), rs.getString("id"), rs.getString("event_id"), rs.getString("event_type"), rs.getString("status"),
            rs.getInt("attempts"), rs.getString("status").equals("pending") ? Rows.time(rs, "next_attempt_at") : null,
            (Integer) rs.getObject("last_status_code"), rs.getString("last_error"), Rows.time(rs, "created_at"),
            Rows.time(rs, "delivered_at"));

    /** An endpoint: owned by a company or an app, listening to one resource. */
    record WebhookRow(long seq, String id, String companyId, String appId, String resourceId, String resourceCompanyId,
                      String url, List<String> events, boolean enabled, String apiVersion, boolean childResourceEvents,
                      String disabledReason, String failingSince, String createdAt) {
    }

    /** The settings a create or an update writes. */
    record Settings(String url, List<String> events, boolean enabled, String apiVersion, boolean childResourceEvents) {
    }

    record DeliveryRow(long seq, String id, String eventId, String eventType, String status, int attempts,
                       String nextAttemptAt, Integer lastStatusCode, String lastError, String createdAt, String deliveredAt) {
    }

    record AttemptRow(String deliveryId, String attemptedAt, Integer statusCode, String error, int durationMs,
                      String responseSnippet) {
    }

    /** A delivery a sender has leased for one attempt; {@code attempts} counts this one and fences its result. */
    record Claimed(String id, String webhookId, String eventId, String payload, int attempts, String url, String secret) {
    }

    private final Jdbi jdbi;

    public WebhookStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    Jdbi jdbi() {
        return jdbi;
    }

    // --- endpoints

    WebhookRow insert(String id, String companyId, String appId, String resourceId, String resourceCompanyId,
                      Settings s, String secret) {
        return jdbi.withHandle(h -> {
            h.createUpdate("""
                            insert into webhooks (id, company_id, app_id, resource_id, resource_company_id, url, events, enabled,
                                                  api_version, child_resource_events, secret)
                            values (:id, :company, :app, :resource, :resourceCompany, :url, :events, :enabled, :apiVersion,
                                    :child, :secret)""")
                    .bind("id", id).bind("company", companyId).bind("app", appId).bind("resource", resourceId)
                    .bind("resourceCompany", resourceCompanyId).bind("url", s.url()).bind("events", s.events().toArray(new String[0]))
                    .bind("enabled", s.enabled()).bind("apiVersion", s.apiVersion()).bind("child", s.childResourceEvents())
                    .bind("secret", secret).execute();
            return find(h, id).orElseThrow();
        });
    }

    Optional<WebhookRow> find(String id) {
        return jdbi.withHandle(h -> find(h, id));
    }

    private static Optional<WebhookRow> find(Handle h, String id) {
        return h.createQuery(SELECT + " where id = :id").bind("id", id).map(WEBHOOK).findOne();
    }

    /**
     * Writes new settings. Re-enabling clears why Herald disabled the endpoint; disabling fails what
     * was still pending for it, as a disabled endpoint gets nothing, not even a backlog later.
     */
    WebhookRow update(String id, Settings s) {
        return jdbi.inTransaction(h -> {
            boolean wasEnabled = h.createQuery("select enabled from webhooks where id = :id for update")
                    .bind("id", id).mapTo(Boolean.class).one();
            h.createUpdate("""
                            update webhooks set url = :url, events = :events, enabled = :enabled, api_version = :apiVersion,
                                   child_resource_events = :child,
                                   disabled_reason = case when :enabled then null else disabled_reason end,
                                   failing_since = case when :enabled then null else failing_since end
                            where id = :id""")
                    .bind("id", id).bind("url", s.url()).bind("events", s.events().toArray(new String[0]))
                    .bind("enabled", s.enabled()).bind("apiVersion", s.apiVersion()).bind("child", s.childResourceEvents())
                    .execute();
            if (wasEnabled && !s.enabled()) {
                failPending(h, id, "The endpoint was disabled.");
            }
            return find(h, id).orElseThrow();
        });
    }

    void delete(String id) {
        jdbi.useHandle(h -> h.createUpdate("delete from webhooks where id = :id").bind("id", id).execute());
    }

    /** One page of the endpoints attached within a company, newest first, narrowed to one owner unless both are null. */
    List<WebhookRow> page(String resourceCompanyId, String ownerCompanyId, String ownerAppId, long beforeSeq, int limit) {
        return jdbi.withHandle(h -> h.createQuery(SELECT + "\n" + """
                         where resource_company_id = :company and seq < :before
                           and (cast(:ownerCompany as text) is null or company_id = :ownerCompany)
                           and (cast(:ownerApp as text) is null or app_id = :ownerApp)
                         order by seq desc limit :limit""")
                .bind("company", resourceCompanyId).bind("before", beforeSeq).bind("ownerCompany", ownerCompanyId)
                .bind("ownerApp", ownerAppId).bind("limit", limit).map(WEBHOOK).list());
    }

    // --- fan-out (inside the outbox worker's transaction)

    /**
     * The enabled endpoints that want an event of this type about these resources (its company, and
     * the experience or product it concerns): endpoints attached to one of them, and app endpoints
     * of apps installed in the company. An app's endpoint hears a company only while the app is installed there.
     */
    List<String> matching(Handle h, String type, String companyId, List<String> resources) {
        return h.createQuery("""
                        select w.id from webhooks w
                        where w.enabled and not w.child_resource_events and :type = any(w.events)
                          and w.resource_id = any(cast(:resources as text[])
                                                  || array(select app_id from app_installations where company_id = :company))
                          and (w.app_id is null
                               or exists (select 1 from app_installations i where i.app_id = w.app_id and i.company_id = :company))
                        order by w.seq""")
                .bind("type", type).bind("company", companyId).bind("resources", resources.toArray(new String[0]))
                .mapTo(String.class).list();
    }

    /** One pending delivery per endpoint; an event already enqueued for an endpoint is not enqueued again. */
    void enqueue(Handle h, List<String> webhookIds, String eventId, String eventType, String payload) {
        PreparedBatch batch = h.prepareBatch("""
                insert into webhook_deliveries (id, webhook_id, event_id, event_type, payload)
                values (:id, :webhook, :event, :type, :payload)
                on conflict (webhook_id, event_id) do nothing""");
        for (String webhookId : webhookIds) {
            batch.bind("id", Ids.next("whd")).bind("webhook", webhookId).bind("event", eventId).bind("type", eventType)
                    .bind("payload", payload).add();
        }
        batch.execute();
    }

    // --- sending

    /**
     * Leases up to {@code limit} due deliveries of enabled endpoints: the attempt is counted and the
     * delivery hidden from other senders for {@code lease}, all in one short statement, so no
     * transaction stays open while a receiver is called. A sender that dies mid-attempt leaves the
     * delivery to be taken again when the lease runs out.
     */
    List<Claimed> claimDue(int limit, Duration lease) {
        return jdbi.withHandle(h -> h.createQuery("""
                        with due as (
                            select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id
                            where d.status = 'pending' and d.next_attempt_at <= now() and w.enabled
                            order by d.next_attempt_at limit :limit
                            for update of d skip locked)
                        update webhook_deliveries d
                        set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => :lease)
                        from due, webhooks w
                        where d.id = due.id and w.id = d.webhook_id
                        returning d.id, d.webhook_id, d.event_id, d.payload, d.attempts, w.url, w.secret""")
                .bind("limit", limit).bind("lease", lease.toSeconds())
                .map((rs, ctx) -> new Claimed(rs.getString("id"), rs.getString("webhook_id"), rs.getString("event_id"),
                        rs.getString("payload"), rs.getInt("attempts"), rs.getString("url"), rs.getString("secret")))
                .list());
    }

    /**
     * Locks the delivery if this attempt still owns it (same attempt count) and returns its status;
     * empty when the endpoint was deleted or the lease ran out and another attempt took over.
     */
    Optional<String> lockAttempt(Handle h, Claimed c) {
        return h.createQuery("select status from webhook_deliveries where id = :id and attempts = :attempts for update")
                .bind("id", c.id()).bind("attempts", c.attempts()).mapTo(String.class).findOne();
    }

    void addAttempt(Handle h, String deliveryId, WebhookHttp.Result r) {
        h.createUpdate("""
                        insert into webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms, response_snippet)
                        values (:delivery, :at, :status, :error, :duration, :snippet)""")
                .bind("delivery", deliveryId).bind("at", java.sql.Timestamp.from(r.startedAt()))
                .bind("status", r.status() == 0 ? null : r.status()).bind("error", r.error())
                .bind("duration", (int) Math.min(Integer.MAX_VALUE, r.durationMs())).bind("snippet", r.snippet())
                .execute();
    }

    /** Records the attempt's outcome: {@code status} is succeeded, failed or pending (then due again after {@code retryIn}). */
    void settle(Handle h, String deliveryId, String status, Duration retryIn, WebhookHttp.Result r) {
        h.createUpdate("""
                        update webhook_deliveries set status = :status, last_status_code = :code, last_error = :error,
                               next_attempt_at = case when :status = 'pending' then now() + make_interval(secs => :retry)
                                                      else next_attempt_at end,
                               delivered_at = case when :status = 'succeeded' then now() else delivered_at end
                        where id = :id""")
                .bind("id", deliveryId).bind("status", status).bind("code", r.status() == 0 ? null : r.status())
                .bind("error", r.succeeded() ? null : r.describe())
                .bind("retry", retryIn == null ? 0.0 : retryIn.toMillis() / 1000.0).execute();
    }

    void noteSuccess(Handle h, String webhookId) {
        h.createUpdate("update webhooks set failing_since = null where id = :id and failing_since is not null")
                .bind("id", webhookId).execute();
    }

    /** Marks the endpoint failing (from the first failure after a success) and says for how long it has been. */
    Duration noteFailure(Handle h, String webhookId) {
        return h.createQuery("""
                        update webhooks set failing_since = coalesce(failing_since, now()) where id = :id
                        returning extract(epoch from now() - failing_since)""")
                .bind("id", webhookId).mapTo(Double.class).findOne()
                .map(seconds -> Duration.ofMillis((long) (seconds * 1000))).orElse(Duration.ZERO);
    }

    /** Herald disables an endpoint and says why; what was pending for it fails. */
    void disable(Handle h, String webhookId, String reason) {
        h.createUpdate("update webhooks set enabled = false, disabled_reason = :reason where id = :id and enabled")
                .bind("id", webhookId).bind("reason", reason).execute();
        failPending(h, webhookId, reason);
    }

    private static void failPending(Handle h, String webhookId, String reason) {
        h.createUpdate("update webhook_deliveries set status = 'failed', last_error = :reason where webhook_id = :id and status = 'pending'")
                .bind("id", webhookId).bind("reason", reason).execute();
    }

    // --- reading deliveries

    /** A page of deliveries with their attempts (oldest first), read from one snapshot so the two agree. */
    record DeliveryPage(List<DeliveryRow> rows, Map<String, List<AttemptRow>> attempts) {
    }

    DeliveryPage deliveries(String webhookId, String status, long beforeSeq, int limit) {
        return jdbi.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, h -> {
            List<DeliveryRow> rows = h.createQuery("""
                            select seq, id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error,
                                   created_at, delivered_at
                            from webhook_deliveries
                            where webhook_id = :webhook and seq < :before and (cast(:status as text) is null or status = :status)
                            order by seq desc limit :limit""")
                    .bind("webhook", webhookId).bind("status", status).bind("before", beforeSeq).bind("limit", limit)
                    .map(DELIVERY).list();
            Map<String, List<AttemptRow>> attempts = h.createQuery("""
                            select delivery_id, attempted_at, status_code, error, duration_ms, response_snippet
                            from webhook_attempts where delivery_id = any(:ids) order by id""")
                    .bind("ids", rows.stream().map(DeliveryRow::id).toArray(String[]::new))
                    .map((rs, ctx) -> new AttemptRow(rs.getString("delivery_id"), Rows.time(rs, "attempted_at"),
                            (Integer) rs.getObject("status_code"), rs.getString("error"), rs.getInt("duration_ms"),
                            rs.getString("response_snippet")))
                    .list().stream().collect(Collectors.groupingBy(AttemptRow::deliveryId));
            return new DeliveryPage(rows, attempts);
        });
    }
}
