package dev.herald.push;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.herald.db.Rows;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.result.ResultIterator;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL for devices, provider credentials, preferences, push jobs and their outcomes. */
public final class PushStore {
    private static final String DEVICE_COLUMNS = "id, user_id, app_id, platform, token, bundle_id, environment, p256dh, auth, name, created_at, updated_at";

    static final RowMapper<DeviceRow> DEVICE = (rs, ctx) -> new DeviceRow(rs.getString("id"), rs.getString("user_id"),
            rs.getString("app_id"), rs.getString("platform"), rs.getString("token"), rs.getString("bundle_id"),
            rs.getString("environment"), rs.getString("p256dh"), rs.getString("auth"), rs.getString("name"),
            Rows.time(rs, "created_at"), Rows.time(rs, "updated_at"));

    private final Jdbi jdbi;

    public PushStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    Jdbi jdbi() {
        return jdbi;
    }

    /** A registered device as stored. */
    record DeviceRow(String id, String userId, String appId, String platform, String token, String bundleId,
                     String environment, String p256dh, String auth, String name, String createdAt, String updatedAt) {
        /** What a provider sender takes. */
        Device device() {
            return switch (platform) {
                case "ios" -> new Device.Apns(id, token, bundleId, "sandbox".equals(environment));
                case "android" -> new Device.Fcm(id, token);
                default -> new Device.Web(id, token, p256dh, auth);
            };
        }
    }

    // --- devices

    /** Registers a device, or takes it over when its token was registered before (by anyone). */
    DeviceRow upsertDevice(DeviceRow d) {
        return jdbi.withHandle(h -> h.createQuery("""
                        insert into push_devices (id, user_id, app_id, platform, token, bundle_id, environment, p256dh, auth, name)
                        values (:id, :user, :app, :platform, :token, :bundle, :env, :p256dh, :auth, :name)
                        on conflict (platform, token) do update set user_id = excluded.user_id, app_id = excluded.app_id,
                            bundle_id = excluded.bundle_id, environment = excluded.environment, p256dh = excluded.p256dh,
                            auth = excluded.auth, name = excluded.name, updated_at = now()
                        returning\s""" + DEVICE_COLUMNS)
                .bind("id", Ids.next("device")).bind("user", d.userId()).bind("app", d.appId()).bind("platform", d.platform())
                .bind("token", d.token()).bind("bundle", d.bundleId()).bind("env", d.environment()).bind("p256dh", d.p256dh())
                .bind("auth", d.auth()).bind("name", d.name())
                .map(DEVICE).one());
    }

    List<DeviceRow> devicesOf(String userId) {
        return jdbi.withHandle(h -> h.createQuery("select " + DEVICE_COLUMNS + " from push_devices where user_id = :user order by created_at, id")
                .bind("user", userId).map(DEVICE).list());
    }

    boolean deleteDevice(String userId, String deviceId) {
        return jdbi.withHandle(h -> h.createUpdate("delete from push_devices where id = :id and user_id = :user")
                .bind("id", deviceId).bind("user", userId).execute() == 1);
    }

    // --- credentials

    /** Stored credentials: the provider's config, secrets included (never to leave the server). */
    record CredentialRow(String appId, String provider, Map<String, Object> config, String createdAt, String updatedAt) {
        @Override
        public String toString() {
            return "CredentialRow[" + provider + " for " + (appId == null ? "the instance" : appId) + "]";
        }
    }

    private static final TypeReference<Map<String, Object>> CONFIG_TYPE = new TypeReference<>() {
    };

    private static final RowMapper<CredentialRow> CREDENTIAL = (rs, ctx) -> new CredentialRow(rs.getString("app_id"),
            rs.getString("provider"), Json.MAPPER.convertValue(Json.tree(rs.getString("config")), CONFIG_TYPE),
            Rows.time(rs, "created_at"), Rows.time(rs, "updated_at"));

    void putCredentials(String appId, String provider, Map<String, Object> config) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into push_credentials (app_id, provider, config) values (:app, :provider, cast(:config as jsonb))
                        on conflict (app_id, provider) do update set config = excluded.config, updated_at = now()""")
                .bind("app", appId).bind("provider", provider).bind("config", Json.string(config)).execute());
    }

    /** Inserts the credentials unless some exist; returns what is stored afterwards (for keys generated once per instance). */
    CredentialRow putCredentialsIfAbsent(String appId, String provider, Map<String, Object> config) {
        return jdbi.withHandle(h -> {
            h.createUpdate("""
                            insert into push_credentials (app_id, provider, config) values (:app, :provider, cast(:config as jsonb))
                            on conflict (app_id, provider) do nothing""")
                    .bind("app", appId).bind("provider", provider).bind("config", Json.string(config)).execute();
            return findCredentials(h, appId, provider).orElseThrow();
        });
    }

    Optional<CredentialRow> findCredentials(String appId, String provider) {
        return jdbi.withHandle(h -> findCredentials(h, appId, provider));
    }

    private static Optional<CredentialRow> findCredentials(Handle h, String appId, String provider) {
        return h.createQuery("""
                        select app_id, provider, config::text as config, created_at, updated_at from push_credentials
                        where app_id is not distinct from :app and provider = :provider""")
                .bind("app", appId).bind("provider", provider).map(CREDENTIAL).findOne();
    }

    List<CredentialRow> credentialsOf(String appId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select app_id, provider, config::text as config, created_at, updated_at from push_credentials
                        where app_id is not distinct from :app order by provider""")
                .bind("app", appId).map(CREDENTIAL).list());
    }

    boolean deleteCredentials(String appId, String provider) {
        return jdbi.withHandle(h -> h.createUpdate("delete from push_credentials where app_id is not distinct from :app and provider = :provider")
                .bind("app", appId).bind("provider", provider).execute() == 1);
    }

    /** When any credentials last changed: senders built before are rebuilt. */
    String credentialsVersion() {
        return jdbi.withHandle(h -> h.createQuery("select coalesce(max(updated_at)::text, '') || ':' || count(*) from push_credentials")
                .mapTo(String.class).one());
    }

    // --- preferences

    record Preference(String topicId, String topicIdentifier, String appId, String channel, boolean enabled, String updatedAt) {
    }

    List<Preference> preferences(String userId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select p.topic_id, t.identifier, t.app_id, p.channel, p.enabled, p.updated_at
                        from notification_preferences p join notification_topics t on t.id = p.topic_id
                        where p.user_id = :user order by t.app_id, t.identifier, p.channel""")
                .bind("user", userId)
                .map((rs, ctx) -> new Preference(rs.getString("topic_id"), rs.getString("identifier"), rs.getString("app_id"),
                        rs.getString("channel"), rs.getBoolean("enabled"), Rows.time(rs, "updated_at")))
                .list());
    }

    boolean topicExists(String topicId) {
        return jdbi.withHandle(h -> h.createQuery("select exists (select 1 from notification_topics where id = :id)")
                .bind("id", topicId).mapTo(Boolean.class).one());
    }

    void setPreference(String userId, String topicId, String channel, boolean enabled) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into notification_preferences (user_id, topic_id, channel, enabled) values (:user, :topic, :channel, :enabled)
                        on conflict (user_id, topic_id, channel) do update set enabled = excluded.enabled, updated_at = now()""")
                .bind("user", userId).bind("topic", topicId).bind("channel", channel).bind("enabled", enabled).execute());
    }

    // --- jobs

    /** Queues the push of a notification; call in the transaction that delivers it. */
    public static void enqueueJob(Handle h, long seq) {
        h.createUpdate("insert into push_jobs (seq) values (:seq) on conflict do nothing").bind("seq", seq).execute();
    }

    record Job(long seq, String afterDevice) {
    }

    /** Takes the oldest open job nobody holds (or whose holder stopped renewing), for {@code leaseSeconds}. */
    Optional<Job> claimJob(int leaseSeconds) {
        return jdbi.withHandle(h -> h.createQuery("""
                        update push_jobs set status = 'sending', lease_until = now() + make_interval(secs => :lease),
                               started_at = coalesce(started_at, now())
                        where seq = (select seq from push_jobs
                                     where status <> 'done' and (lease_until is null or lease_until < now())
                                     order by created_at limit 1 for update skip locked)
                        returning seq, after_device""")
                .bind("lease", leaseSeconds)
                .map((rs, ctx) -> new Job(rs.getLong("seq"), rs.getString("after_device")))
                .findOne());
    }

    /** The notification as a push says it, or empty when it is not to be pushed (in-app only). */
    Optional<Pushed> pushed(long seq) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select n.id, n.api, n.app_id, n.topic_id, coalesce(n.mobile_title, n.title) as title, n.subtitle,
                               coalesce(n.mobile_content, n.content) as body, n.api = 'legacy' and n.mobile_content is null as in_app_only
                        from notifications n where n.seq = :seq""")
                .bind("seq", seq)
                .map((rs, ctx) -> rs.getBoolean("in_app_only") ? null : new Pushed(seq, rs.getString("id"), rs.getString("api"),
                        rs.getString("app_id"), rs.getString("topic_id"), rs.getString("title"), rs.getString("subtitle"),
                        rs.getString("body")))
                .findOne());
    }

    record Pushed(long seq, String notificationId, String api, String appId, String topicId, String title, String subtitle, String body) {
    }

    /**
     * The devices of everyone the notification reached when it was sent (the feed's rule, see
     * notify/Sources), in id order after {@code afterDevice}, each with whether the user's
     * preference for its topic lets it be pushed. Runs as one statement; read it with a cursor.
     */
    private static final String RECIPIENT_DEVICES = """
            with aud as (select source_key, customers_only from notification_audiences where seq = :seq),
            recipients as (
                select source_key as user_id from aud where source_key like 'user\\_%'
                union
                select m.user_id from aud
                  join experience_products ep on ep.experience_id = aud.source_key
                  join memberships m on m.product_id = ep.product_id
                 where aud.source_key like 'exp\\_%' and greatest(m.granted_seq, ep.attached_seq) < :seq
                   and (m.revoked_seq is null or m.revoked_seq >= :seq)
                union
                select a.user_id from aud
                  join experiences e on e.id = aud.source_key
                  join authorized_users a on a.company_id = e.company_id
                 where aud.source_key like 'exp\\_%' and not aud.customers_only
                   and a.granted_seq < :seq and (a.revoked_seq is null or a.revoked_seq >= :seq)
                union
                select a.user_id from aud join authorized_users a on a.company_id = aud.source_key
                 where aud.source_key like 'biz\\_%' and not aud.customers_only
                   and a.granted_seq < :seq and (a.revoked_seq is null or a.revoked_seq >= :seq)
                union
                select m.user_id from aud join memberships m on m.company_id = aud.source_key
                 where aud.source_key like 'biz\\_%' and aud.customers_only
                   and m.granted_seq < :seq and (m.revoked_seq is null or m.revoked_seq >= :seq)
                union
                select m.user_id from aud join memberships m on m.product_id = aud.source_key
                 where aud.source_key like 'prod\\_%' and m.granted_seq < :seq and (m.revoked_seq is null or m.revoked_seq >= :seq)
            )
            select d.id, d.user_id, d.app_id, d.platform, d.token, d.bundle_id, d.environment, d.p256dh, d.auth, d.name,
                   d.created_at, d.updated_at,
                   coalesce((select p.enabled from notification_preferences p
                             where p.user_id = d.user_id and p.topic_id = :topic and p.channel = 'push'),
                            (select t.default_preference_value from notification_topics t where t.id = :topic),
                            true) as allowed
            from push_devices d join recipients r on r.user_id = d.user_id
            where d.id > :after
            order by d.id""";

    record Recipient(DeviceRow device, boolean allowed) {
    }

    /** Streams the job's devices on the handle (which must be in a transaction, so the driver fetches in batches). */
    ResultIterator<Recipient> recipients(Handle h, Pushed n, String afterDevice, int fetchSize) {
        return h.createQuery(RECIPIENT_DEVICES).bind("seq", n.seq()).bind("topic", n.topicId()).bind("after", afterDevice)
                .setFetchSize(fetchSize)
                .map((rs, ctx) -> new Recipient(DEVICE.map(rs, ctx), rs.getBoolean("allowed")))
                .iterator();
    }

    /** Whether any device is registered at all: without one, no recipient query needs to run. */
    boolean anyDevice() {
        return jdbi.withHandle(h -> h.createQuery("select exists (select 1 from push_devices)").mapTo(Boolean.class).one());
    }

    /** What a batch of pushes came to, per platform. */
    record Tally(String platform, int sent, int failed, int removed, int skipped) {
    }

    /** A push that did not go through: to retry at {@code nextAt} seconds from now, or failed for good (nextAt null). */
    record Miss(String deviceId, String platform, int attempts, Long retryInSeconds, String error) {
    }

    /**
     * Records a batch in one transaction: counts, misses, devices gone, and (for the first pass)
     * how far the job got, renewing its lease.
     */
    void record(long seq, List<Tally> tallies, List<Miss> misses, List<String> goneDevices, List<String> deliveredRetries,
                String afterDevice, int devicesSeen, int leaseSeconds) {
        jdbi.useTransaction(h -> {
            PreparedBatch counts = h.prepareBatch("""
                    insert into push_counts (seq, platform, sent, failed, removed, skipped) values (:seq, :platform, :sent, :failed, :removed, :skipped)
                    on conflict (seq, platform) do update set sent = push_counts.sent + excluded.sent,
                        failed = push_counts.failed + excluded.failed, removed = push_counts.removed + excluded.removed,
                        skipped = push_counts.skipped + excluded.skipped""");
            for (Tally t : tallies) {
                counts.bind("seq", seq).bind("platform", t.platform()).bind("sent", t.sent()).bind("failed", t.failed())
                        .bind("removed", t.removed()).bind("skipped", t.skipped()).add();
            }
            if (!tallies.isEmpty()) {
                counts.execute();
            }
            if (!misses.isEmpty()) {
                PreparedBatch batch = h.prepareBatch("""
                        insert into push_attempts (seq, device_id, platform, state, attempts, next_at, last_error)
                        values (:seq, :device, :platform, :state, :attempts,
                                case when :retry is null then null else now() + make_interval(secs => :retry) end, :error)
                        on conflict (seq, device_id) do update set state = excluded.state, attempts = excluded.attempts,
                            next_at = excluded.next_at, last_error = excluded.last_error, updated_at = now()""");
                for (Miss m : misses) {
                    batch.bind("seq", seq).bind("device", m.deviceId()).bind("platform", m.platform())
                            .bind("state", m.retryInSeconds() == null ? "failed" : "retrying").bind("attempts", m.attempts())
                            .bind("retry", m.retryInSeconds() == null ? null : m.retryInSeconds().doubleValue())
                            .bind("error", m.error()).add();
                }
                batch.execute();
            }
            if (!deliveredRetries.isEmpty()) {
                h.createUpdate("delete from push_attempts where seq = :seq and device_id = any(:ids)")
                        .bind("seq", seq).bind("ids", deliveredRetries.toArray(new String[0])).execute();
            }
            if (!goneDevices.isEmpty()) {
                String[] ids = goneDevices.toArray(new String[0]);
                h.createUpdate("delete from push_attempts where seq = :seq and device_id = any(:ids)").bind("seq", seq).bind("ids", ids).execute();
                h.createUpdate("delete from push_devices where id = any(:ids)").bind("ids", ids).execute();
            }
            if (afterDevice != null) {
                h.createUpdate("""
                                update push_jobs set after_device = :after, lease_until = now() + make_interval(secs => :lease),
                                       devices = coalesce(devices, 0) + :seen
                                where seq = :seq""")
                        .bind("after", afterDevice).bind("lease", leaseSeconds).bind("seen", devicesSeen).bind("seq", seq).execute();
            }
        });
    }

    void finishJob(long seq) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update push_jobs set status = 'done', finished_at = now(), lease_until = null, devices = coalesce(devices, 0)
                        where seq = :seq""")
                .bind("seq", seq).execute());
    }

    /** A retry that is due, leased for {@code leaseSeconds} by pushing its time forward. */
    record DueRetry(long seq, DeviceRow device, int attempts) {
    }

    List<DueRetry> claimRetries(int limit, int leaseSeconds) {
        return jdbi.withHandle(h -> h.createQuery("""
                        with due as (
                            select seq, device_id from push_attempts
                            where state = 'retrying' and next_at <= now()
                            order by next_at limit :limit for update skip locked
                        )
                        update push_attempts a set next_at = now() + make_interval(secs => :lease)
                        from due join push_devices d on d.id = due.device_id
                        where a.seq = due.seq and a.device_id = due.device_id
                        returning a.seq, a.attempts, d.id, d.user_id, d.app_id, d.platform, d.token, d.bundle_id, d.environment,
                                  d.p256dh, d.auth, d.name, d.created_at, d.updated_at""")
                .bind("limit", limit).bind("lease", leaseSeconds)
                .map((rs, ctx) -> new DueRetry(rs.getLong("seq"), DEVICE.map(rs, ctx), rs.getInt("attempts")))
                .list());
    }

    /** Retries whose device is gone meanwhile have nothing left to do. */
    void dropOrphanRetries() {
        jdbi.useHandle(h -> h.createUpdate("""
                        delete from push_attempts a where state = 'retrying'
                        and not exists (select 1 from push_devices d where d.id = a.device_id)""").execute());
    }

    // --- status

    record Status(long seq, String status, Integer devices, String startedAt, String finishedAt, List<Counts> platforms) {
    }

    record Counts(String platform, int sent, int failed, int removed, int skipped, int retrying, List<String> errors) {
    }

    Optional<Status> status(long seq) {
        return jdbi.withHandle(h -> h.createQuery("select seq, status, devices, started_at, finished_at from push_jobs where seq = :seq")
                .bind("seq", seq)
                .map((rs, ctx) -> new Status(rs.getLong("seq"), rs.getString("status"), (Integer) rs.getObject("devices"),
                        Rows.time(rs, "started_at"), Rows.time(rs, "finished_at"), List.of()))
                .findOne()
                .map(s -> new Status(s.seq(), s.status(), s.devices(), s.startedAt(), s.finishedAt(), h.createQuery("""
                                select p.platform, coalesce(c.sent, 0) as sent, coalesce(c.failed, 0) as failed,
                                       coalesce(c.removed, 0) as removed, coalesce(c.skipped, 0) as skipped,
                                       (select count(*) from push_attempts a where a.seq = :seq and a.platform = p.platform
                                           and a.state = 'retrying') as retrying,
                                       array(select distinct a.last_error from push_attempts a where a.seq = :seq
                                             and a.platform = p.platform and a.last_error is not null order by 1 limit 5) as errors
                                from (values ('ios'), ('android'), ('web')) as p (platform)
                                left join push_counts c on c.seq = :seq and c.platform = p.platform
                                order by p.platform""")
                        .bind("seq", seq)
                        .map((rs, ctx) -> new Counts(rs.getString("platform"), rs.getInt("sent"), rs.getInt("failed"),
                                rs.getInt("removed"), rs.getInt("skipped"), rs.getInt("retrying"),
                                List.of((String[]) rs.getArray("errors").getArray())))
                        .list())));
    }
}
