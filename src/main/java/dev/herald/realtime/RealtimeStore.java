package dev.herald.realtime;

import dev.herald.db.Database;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
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
     * Appends events to a stream, inside the caller's transaction, in one statement: takes the next
     * offsets (the counter row stays locked until commit, so offsets commit in order), keeps the frames
     * and announces the new head to every node at commit (PostgreSQL delivers the notice at commit, or
     * never on rollback). The offset and epoch are only known inside the statement, so it writes them
     * into each frame's head itself and returns the frames exactly as kept.
     */
    static List<Retained> append(Handle h, String stream, List<Published> events) {
        String[] rests = new String[events.size()];
        for (int i = 0; i < rests.length; i++) {
            Map<String, Object> rest = new LinkedHashMap<>();
            rest.put("event", events.get(i).event());
            rest.putAll(events.get(i).fields());
            rests[i] = Json.string(rest);
        }
        return h.createQuery("""
                        with head as (
                            insert into realtime_streams (stream, epoch, last_offset) values (:stream, :epoch, :count)
                            on conflict (stream) do update set last_offset = realtime_streams.last_offset + :count
                            returning epoch, last_offset
                        ), kept as (
                            insert into realtime_events (stream, seq, payload)
                            select :stream, head.last_offset - :count + e.ord,
                                   '{"type":"event","stream":' || :streamJson || ',"offset":' || (head.last_offset - :count + e.ord)
                                       || ',"epoch":' || to_json(head.epoch) || ',' || substr(e.rest, 2)
                            from head cross join unnest(cast(:rests as text[])) with ordinality as e (rest, ord)
                            returning seq, payload
                        )
                        select seq, payload, (select pg_notify(:channel, 'c:' || :stream || ':' || last_offset) from head)
                        from kept order by seq""")
                .bind("stream", stream).bind("streamJson", Json.string(stream)).bind("epoch", Ids.random(12))
                .bind("count", rests.length).bind("rests", rests).bind("channel", CHANNEL)
                .map((rs, ctx) -> new Retained(rs.getLong("seq"), rs.getString("payload"))).list();
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
