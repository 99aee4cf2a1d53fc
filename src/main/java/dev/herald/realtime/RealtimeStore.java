package dev.herald.realtime;

import dev.herald.db.Database;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Streams, their retained events, presence and the notifications that tell every node about them. */
public final class RealtimeStore {
    static final String CHANNEL = Database.CHANGES_CHANNEL;

    private final Jdbi jdbi;

    public RealtimeStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    Jdbi jdbi() {
        return jdbi;
    }

    /** Where a stream stands: its offset space and the last offset handed out. */
    record Head(String epoch, long lastOffset) {
    }

    /** A retained event: its offset and the complete frame. */
    record Retained(long offset, String frame) {
    }

    /** An event to publish: its name and the frame's other fields. */
    record Published(String event, Map<String, Object> fields) {
    }

    /**
     * Appends events to a stream, inside the caller's transaction: takes the next offsets (the
     * counter row stays locked until commit, so offsets commit in order), keeps the frames and
     * announces the new head to every node at commit (the notice is queued by the statement that takes
     * the offsets, one round trip less; PostgreSQL delivers it at commit, or never on rollback).
     */
    static List<Retained> append(Handle h, String stream, List<Published> events) {
        Head head = h.createQuery("""
                        with head as (
                            insert into realtime_streams (stream, epoch, last_offset) values (:stream, :epoch, :count)
                            on conflict (stream) do update set last_offset = realtime_streams.last_offset + :count
                            returning epoch, last_offset
                        )
                        select epoch, last_offset, pg_notify(:channel, 'c:' || :stream || ':' || last_offset) from head""")
                .bind("stream", stream).bind("epoch", Ids.random(12)).bind("count", events.size()).bind("channel", CHANNEL)
                .map((rs, ctx) -> new Head(rs.getString("epoch"), rs.getLong("last_offset"))).one();
        long offset = head.lastOffset() - events.size();
        PreparedBatch batch = h.prepareBatch(
                "insert into realtime_events (stream, seq, payload) values (:stream, :seq, :payload)");
        List<Retained> appended = new ArrayList<>(events.size());
        for (Published event : events) {
            offset++;
            Map<String, Object> frame = new LinkedHashMap<>();
            frame.put("type", "event");
            frame.put("stream", stream);
            frame.put("offset", offset);
            frame.put("epoch", head.epoch());
            frame.put("event", event.event());
            frame.putAll(event.fields());
            String payload = Json.string(frame);
            batch.bind("stream", stream).bind("seq", offset).bind("payload", payload).add();
            appended.add(new Retained(offset, payload));
        }
        batch.execute();
        return appended;
    }

    /** The stream's head, creating the stream (and its epoch) when nothing was ever published on it. */
    Head head(String stream) {
        // Empty only when a concurrent first append committed during the statement: its row is visible to the next one.
        Optional<Head> head = Optional.empty();
        while (head.isEmpty()) {
            head = findHead(stream);
        }
        return head.get();
    }

    private Optional<Head> findHead(String stream) {
        return jdbi.withHandle(h -> h.createQuery("""
                        with created as (
                            insert into realtime_streams (stream, epoch, last_offset) values (:stream, :epoch, 0)
                            on conflict (stream) do nothing returning epoch, last_offset
                        )
                        select epoch, last_offset from created
                        union all select epoch, last_offset from realtime_streams where stream = :stream""")
                .bind("stream", stream).bind("epoch", Ids.random(12))
                .map((rs, ctx) -> new Head(rs.getString("epoch"), rs.getLong("last_offset"))).findFirst());
    }

    /** Retained events after {@code offset}, up to and including {@code upTo}, in order. */
    List<Retained> between(String stream, long offset, long upTo) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select seq, payload as frame from realtime_events
                        where stream = :stream and seq > :from and seq <= :to order by seq""")
                .bind("stream", stream).bind("from", offset).bind("to", upTo)
                .map((rs, ctx) -> new Retained(rs.getLong("seq"), rs.getString("frame"))).list());
    }

    /** Every retained event after {@code offset}, in order. */
    List<Retained> after(String stream, long offset) {
        return between(stream, offset, Long.MAX_VALUE);
    }

    /** Drops history beyond the newest {@code keep} events of each stream and anything older than {@code maxAge}. */
    public int prune(int keep, Duration maxAge) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        delete from realtime_events e using realtime_streams s
                        where e.stream = s.stream
                          and (e.seq <= s.last_offset - :keep or e.created_at < now() - make_interval(secs => :age))""")
                .bind("keep", keep).bind("age", (double) maxAge.toSeconds()).execute());
    }

    /** An audience row of a delivered notification. */
    record AudienceRow(String sourceKey, boolean customersOnly, boolean mention) {
    }

    List<AudienceRow> audience(long seq) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select source_key, customers_only, mention from notification_audiences where seq = :seq""")
                .bind("seq", seq)
                .map((rs, ctx) -> new AudienceRow(rs.getString("source_key"), rs.getBoolean("customers_only"), rs.getBoolean("mention")))
                .list());
    }

    // --- presence

    /** Marks this node alive and forgets nodes that stopped doing so (their presence rows go with them). */
    void heartbeat(String nodeId, Duration deadAfter) {
        jdbi.useTransaction(h -> {
            h.createUpdate("""
                            insert into realtime_nodes (id, seen_at) values (:node, now())
                            on conflict (id) do update set seen_at = now()""")
                    .bind("node", nodeId).execute();
            h.createUpdate("delete from realtime_nodes where seen_at < now() - make_interval(secs => :dead)")
                    .bind("dead", (double) deadAfter.toSeconds()).execute();
        });
    }

    void forgetNode(String nodeId) {
        jdbi.useHandle(h -> h.createUpdate("delete from realtime_nodes where id = :node").bind("node", nodeId).execute());
    }

    void joined(String nodeId, String stream, String userId) {
        jdbi.useTransaction(h -> {
            h.createUpdate("""
                            insert into realtime_presence (stream, user_id, node_id) values (:stream, :user, :node)
                            on conflict do nothing""")
                    .bind("stream", stream).bind("user", userId).bind("node", nodeId).execute();
            notify(h, "p:" + stream);
        });
    }

    void left(String nodeId, String stream, String userId) {
        jdbi.useTransaction(h -> {
            h.createUpdate("delete from realtime_presence where stream = :stream and user_id = :user and node_id = :node")
                    .bind("stream", stream).bind("user", userId).bind("node", nodeId).execute();
            notify(h, "p:" + stream);
        });
    }

    /** Users with a live subscription to the stream on any node, at most {@code limit}. */
    List<String> online(String stream, int limit) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select distinct user_id from realtime_presence where stream = :stream order by user_id limit :limit""")
                .bind("stream", stream).bind("limit", limit).mapTo(String.class).list());
    }

    void typing(String stream, String userId) {
        jdbi.useHandle(h -> notify(h, "t:" + stream + ":" + userId));
    }

    private static void notify(Handle h, String payload) {
        h.execute("select pg_notify(?, ?)", CHANNEL, payload);
    }
}
