package dev.herald.realtime;

import dev.herald.auth.Authenticator;
import dev.herald.auth.Credential;
import dev.herald.chat.ChannelRow;
import dev.herald.chat.ChatAccess;
import dev.herald.db.PgListener;
import dev.herald.notify.FeedService;
import dev.herald.notify.FeedStore;
import dev.herald.notify.NotificationRow;
import dev.herald.web.ApiException;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's side of realtime: who is connected and subscribed to what, and the fan-out to them.
 * Every node hears the same {@code herald_changes} notifications (see V6__feed_invalidation.sql and V7__realtime.sql) and pushes
 * to its own connections only; the database is the one place streams are numbered and kept, so any
 * number of nodes serve clients without talking to each other. Sending never blocks: each client has
 * a bounded queue of its own ({@link WsSocket}).
 */
public final class RealtimeHub implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RealtimeHub.class.getName());

    /** At most this much replayed on resume; a longer gap is cheaper to refetch over the REST API. */
    static final int MAX_REPLAY = 500;
    static final int MAX_SUBSCRIPTIONS = 100;
    static final int PRESENCE_LIMIT = 1_000;
    static final Duration TYPING_INTERVAL = Duration.ofSeconds(3);
    static final Duration BADGES_DELAY = Duration.ofMillis(250);
    static final Duration PRESENCE_DELAY = Duration.ofMillis(100);
    static final int KEEP_EVENTS = 1_000;
    static final Duration KEEP_FOR = Duration.ofHours(24);
    private static final Duration HEARTBEAT = Duration.ofSeconds(10);
    private static final Duration NODE_DEAD_AFTER = Duration.ofSeconds(30);

    private final RealtimeStore store;
    private final Authenticator auth;
    private final ChatAccess access;
    private final FeedService feed;
    private final String nodeId = Ids.next("node");
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("realtime-timer").factory());
    private final Map<String, ChannelStream> streams = new ConcurrentHashMap<>();
    private final Map<String, Set<Connection>> connections = new ConcurrentHashMap<>();
    private final Map<String, Set<FeedSub>> feedsByUser = new ConcurrentHashMap<>();
    private final Map<String, Set<FeedSub>> feedsBySource = new ConcurrentHashMap<>();
    private final Counter slowConsumers;

    public RealtimeHub(PgListener listener, RealtimeStore store, Authenticator auth, ChatAccess access,
                       FeedService feed, MeterRegistry metrics) {
        this.store = store;
        this.auth = auth;
        this.access = access;
        this.feed = feed;
        listener.subscribe(RealtimeStore.CHANNEL, this::apply, this::resync);
        this.slowConsumers = Counter.builder("herald_realtime_slow_consumers_total").register(metrics);
        metrics.gauge("herald_realtime_connections", connections, c -> c.values().stream().mapToInt(Set::size).sum());
    }

    public RealtimeHub start() {
        store.heartbeat(nodeId, NODE_DEAD_AFTER);
        timer.scheduleWithFixedDelay(() -> quietly("heartbeat", () -> store.heartbeat(nodeId, NODE_DEAD_AFTER)),
                HEARTBEAT.toSeconds(), HEARTBEAT.toSeconds(), TimeUnit.SECONDS);
        timer.scheduleWithFixedDelay(() -> quietly("prune", () -> store.prune(KEEP_EVENTS, KEEP_FOR)), 1, 60, TimeUnit.SECONDS);
        return this;
    }

    /** The user behind {@code Authorization: Bearer …} or, for browsers that cannot set headers, {@code ?token=}. */
    public Credential.User authenticate(String authorization, String token) {
        String secret = secret(authorization, token);
        return user((secret == null ? Optional.<Credential>empty() : auth.resolve(secret))
                .orElseThrow(() -> ApiException.unauthorized("Invalid or missing user token")));
    }

    /**
     * {@link #authenticate} when the credential is known without the database, so the gateway's loop
     * can do it itself; empty when it is not (then it may need a query: not on the loop).
     */
    Optional<Credential.User> authenticateRemembered(String authorization, String token) {
        String secret = secret(authorization, token);
        return (secret == null ? Optional.<Credential>empty() : auth.remembered(secret)).map(RealtimeHub::user);
    }

    private static String secret(String authorization, String token) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : token;
    }

    private static Credential.User user(Credential credential) {
        if (!(credential instanceof Credential.User user)) {
            throw ApiException.forbidden("Realtime streams need a user token.");
        }
        return user;
    }

    // --- connections

    void opened(Connection c) {
        connections.computeIfAbsent(c.userId(), k -> ConcurrentHashMap.newKeySet()).add(c);
    }

    /** Drops everything a connection held; safe to call more than once. */
    void release(Connection c) {
        connections.computeIfPresent(c.userId(), (k, set) -> {
            set.remove(c);
            return set.isEmpty() ? null : set;
        });
        for (Object sub : c.takeAll()) {
            if (sub instanceof ChannelSub channel) {
                leave(channel);
            } else if (sub instanceof FeedSub feedSub) {
                unsubscribeFeed(feedSub);
            }
        }
    }

    /** The connection could not keep up: cut it off (its queue is already dropped) and say so in the metrics. */
    void slowConsumer(Connection c) {
        slowConsumers.increment();
        Thread.startVirtualThread(() -> release(c));
        timer.schedule(c::terminate, Connection.CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    void subscribe(Connection c, String stream, Long offset, String epoch) {
        if (c.subscriptions() >= MAX_SUBSCRIPTIONS) {
            c.error("too_many_subscriptions", "At most " + MAX_SUBSCRIPTIONS + " subscriptions per connection.", stream);
        } else if ("feed".equals(stream)) {
            if (c.subscription("feed") != null) {
                c.error("already_subscribed", "Already subscribed to feed.", stream);
                return;
            }
            c.put("feed", subscribeFeed(c, c.user()));
            c.send(Json.string(Map.of("type", "subscribed", "stream", "feed")));
        } else if (stream != null && stream.startsWith("channel:")) {
            subscribeChannel(c, stream, offset, epoch);
        } else {
            c.error("unknown_stream", "Streams are \"feed\" and \"channel:<channel or experience id>\".", stream);
        }
    }

    void unsubscribe(Connection c, String stream) {
        Object sub = c.take(stream);
        if (sub instanceof ChannelSub channel) {
            leave(channel);
        } else if (sub instanceof FeedSub feedSub) {
            unsubscribeFeed(feedSub);
        } else {
            c.error("not_subscribed", "Not subscribed to " + stream + ".", stream);
            return;
        }
        c.send(Json.string(Map.of("type", "unsubscribed", "stream", stream)));
    }

    // --- channel streams

    /** A channel stream with local subscribers. {@code lock} orders everything sent on it. */
    static final class ChannelStream {
        final String name;
        final String channelId;
        final ReentrantLock lock = new ReentrantLock();
        final Set<ChannelSub> subs = ConcurrentHashMap.newKeySet();
        final Map<String, Integer> localUsers = new HashMap<>();
        final AtomicBoolean presencePending = new AtomicBoolean();
        /** The last presence frame sent to everyone: who is online until the next one. */
        volatile String presence;
        volatile boolean dirty;
        /** The last offset handed to subscribers; written under {@link #lock}. */
        volatile long cursor;
        String epoch;
        boolean retired;

        ChannelStream(String name, String channelId) {
            this.name = name;
            this.channelId = channelId;
        }
    }

    /** One connection's subscription to a channel: the last offset it was sent (guarded by the stream's lock). */
    static final class ChannelSub {
        final Connection conn;
        final ChannelStream stream;
        long offset;
        long lastTypingNanos;
        /** Set when it ends, before the client is told: fan-outs still on their way then skip it. */
        private volatile boolean ended;

        ChannelSub(Connection conn, ChannelStream stream) {
            this.conn = conn;
            this.stream = stream;
        }

        boolean active() {
            return !ended;
        }

        void end() {
            ended = true;
        }
    }

    private void subscribeChannel(Connection c, String requested, Long offset, String epoch) {
        String id = requested.substring("channel:".length());
        Optional<ChannelRow> channel = id.isEmpty() ? Optional.empty() : access.channel(id);
        if (channel.isEmpty() || access.userRole(c.userId(), channel.get()) == ChatAccess.Role.NONE) {
            c.error("not_found", "Channel not found.", requested);
            return;
        }
        String name = ChannelEvents.stream(channel.get().id());
        if (c.subscription(name) != null) {
            c.error("already_subscribed", "Already subscribed to " + name + ".", requested);
            return;
        }
        for (;;) {
            ChannelStream s = streams.computeIfAbsent(name, n -> new ChannelStream(n, channel.get().id()));
            boolean firstOfUser;
            s.lock.lock();
            try {
                if (s.retired) {
                    continue;
                }
                // A stream with subscribers knows its position in memory: joining a busy channel costs no
                // database round trip under the lock (10,000 subscribes must not queue on one query each).
                if (s.subs.isEmpty() || s.epoch == null) {
                    RealtimeStore.Head stored = store.head(name);
                    s.epoch = stored.epoch();
                    s.cursor = stored.lastOffset();
                }
                RealtimeStore.Head head = new RealtimeStore.Head(s.epoch, s.cursor);
                ChannelSub sub = new ChannelSub(c, s);
                if (offset == null || !replay(c, s, head, offset, epoch)) {
                    c.send(frame(offset == null ? "subscribed" : "recovery_failed", name, head.epoch(), head.lastOffset()));
                }
                sub.offset = head.lastOffset();
                s.subs.add(sub);
                c.put(name, sub);
                firstOfUser = s.localUsers.merge(c.userId(), 1, Integer::sum) == 1;
            } finally {
                s.lock.unlock();
            }
            if (firstOfUser) {
                store.joined(nodeId, name, c.userId());
            } else {
                presenceFor(c, s);
            }
            return;
        }
    }

    /**
     * Sends what the client missed after {@code offset}, if it is all still retained, in the same
     * epoch and small enough to replay; false when the client must refetch.
     */
    private boolean replay(Connection c, ChannelStream s, RealtimeStore.Head head, long offset, String epoch) {
        long missed = head.lastOffset() - offset;
        if ((epoch != null && !epoch.equals(head.epoch())) || missed < 0 || missed > MAX_REPLAY) {
            return false;
        }
        List<RealtimeStore.Retained> rows = store.between(s.name, offset, head.lastOffset());
        long bytes = rows.stream().mapToLong(r -> r.frame().length()).sum();
        if (rows.size() != missed || bytes > WsSocket.MAX_QUEUED_BYTES / 2) {
            return false;
        }
        c.send(frame("subscribed", s.name, head.epoch(), offset));
        rows.forEach(r -> c.send(r.frame()));
        return true;
    }

    private static String frame(String type, String stream, String epoch, long offset) {
        Map<String, Object> frame = new LinkedHashMap<>();
        frame.put("type", type);
        frame.put("stream", stream);
        frame.put("epoch", epoch);
        frame.put("offset", offset);
        return Json.string(frame);
    }

    private void leave(ChannelSub sub) {
        ChannelStream s = sub.stream;
        String userId = sub.conn.userId();
        sub.end();
        s.lock.lock();
        try {
            s.subs.remove(sub);
            if (s.localUsers.merge(userId, -1, Integer::sum) == 0) {
                s.localUsers.remove(userId);
                quietly("presence", () -> store.left(nodeId, s.name, userId));
            }
            if (s.subs.isEmpty()) {
                s.retired = true;
                streams.remove(s.name, s);
            }
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Sends the stream's new events to its local subscribers in offset order. Concurrent calls
     * collapse: whoever holds the lock loops until no call came in meanwhile.
     */
    private void pump(ChannelStream s) {
        s.dirty = true;
        while (s.dirty && s.lock.tryLock()) {
            try {
                s.dirty = false;
                if (s.retired) {
                    return;
                }
                for (RealtimeStore.Retained r : store.after(s.name, s.cursor)) {
                    sendNext(s, r);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Could not read stream " + s.name, e);
            } finally {
                s.lock.unlock();
            }
        }
    }

    /**
     * Frames this node just committed: sent at once if they are the stream's next ones. Anything else
     * (another commit in between, the pump busy) is left to the pump, which the commit's notice runs.
     */
    void committed(String name, List<RealtimeStore.Retained> frames) {
        ChannelStream s = streams.get(name);
        if (s != null) {
            // Not on the committing thread: that is the message writer's, and it has the next group to write.
            Thread.startVirtualThread(() -> sendCommitted(s, frames));
        }
    }

    private void sendCommitted(ChannelStream s, List<RealtimeStore.Retained> frames) {
        if (!s.lock.tryLock()) {
            return;
        }
        try {
            for (RealtimeStore.Retained r : frames) {
                if (s.retired || r.offset() != s.cursor + 1) {
                    break;
                }
                sendNext(s, r);
            }
        } finally {
            s.lock.unlock();
        }
        if (s.dirty) {
            pump(s); // a notice came while we held the lock
        }
    }

    /** Sends the stream's next frame to the subscribers that do not have it yet; call holding the stream's lock. */
    private static void sendNext(ChannelStream s, RealtimeStore.Retained r) {
        WsFrame frame = WsFrame.text(r.frame()); // encoded once, however many subscribers
        // Advanced before the walk: the commit's notice arrives while a big fan-out is still walking, and
        // seeing the cursor already there it starts no pump (a thread and a database read per message).
        s.cursor = r.offset();
        FanOut fanOut = new FanOut(frame);
        for (ChannelSub sub : s.subs) {
            if (r.offset() > sub.offset) {
                sub.offset = r.offset();
                fanOut.add(sub);
            }
        }
        fanOut.finish();
    }

    void typing(Connection c, String stream) {
        if (!(c.subscription(stream) instanceof ChannelSub sub)) {
            c.error("not_subscribed", "Subscribe to a channel before typing in it.", stream);
            return;
        }
        long now = System.nanoTime();
        if (sub.lastTypingNanos != 0 && now - sub.lastTypingNanos < TYPING_INTERVAL.toNanos()) {
            return;
        }
        sub.lastTypingNanos = now;
        store.typing(stream, c.userId());
    }

    private void presenceSoon(ChannelStream s) {
        if (s.presencePending.compareAndSet(false, true)) {
            timer.schedule(() -> Thread.startVirtualThread(() -> {
                s.presencePending.set(false);
                if (s.subs.isEmpty()) {
                    return;
                }
                Map<String, Object> frame = new LinkedHashMap<>();
                frame.put("type", "presence");
                frame.put("stream", s.name);
                frame.put("online", store.online(s.name, PRESENCE_LIMIT));
                String text = Json.string(frame);
                // Set before the walk: a subscriber the walk misses joined after this and reads it in presenceFor.
                s.presence = text;
                FanOut fanOut = new FanOut(WsFrame.text(text));
                s.subs.forEach(fanOut::add);
                fanOut.finish();
            }), PRESENCE_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Another subscription of a user already online leaves the online set as it was: only the newcomer
     * needs it. Broadcasting here would send every subscriber a frame per join, which made joining a
     * busy channel quadratic.
     */
    private void presenceFor(Connection c, ChannelStream s) {
        String current = s.presence;
        if (current != null && !s.presencePending.get()) {
            c.send(current);
        } else {
            presenceSoon(s); // one is coming (or about to), and the newcomer is already among its recipients
        }
    }

    /** After a membership change: drops the user's channel subscriptions they can no longer read. */
    private void recheckChannels(String userId) {
        for (Connection c : connections.getOrDefault(userId, Set.of())) {
            for (Object sub : c.all()) {
                if (sub instanceof ChannelSub channel) {
                    Optional<ChannelRow> row = access.channel(channel.stream.channelId);
                    if (row.isEmpty() || access.userRole(userId, row.get()) == ChatAccess.Role.NONE) {
                        if (c.take(channel.stream.name) == channel) {
                            leave(channel);
                            c.send(Json.string(Map.of("type", "unsubscribed", "stream", channel.stream.name,
                                    "reason", "access_revoked")));
                        }
                    }
                }
            }
        }
    }

    // --- the feed

    /** Where a feed subscriber's notifications go: a WebSocket connection or an SSE response. */
    interface FeedClient {
        void notification(String id, String json);

        void badges(String json);

        void recoveryFailed();
    }

    /** A feed subscriber and the sources (open intervals) its user holds, to match new notifications against. */
    static final class FeedSub {
        final FeedClient client;
        final Credential.User user;
        final AtomicBoolean badgesPending = new AtomicBoolean();
        volatile List<FeedStore.Source> sources = List.of();
        volatile boolean closed;

        FeedSub(FeedClient client, Credential.User user) {
            this.client = client;
            this.user = user;
        }

        /** Mirrors the feed's read rule (FeedStore): the row is in an interval the user holds, with a reach that sees it. */
        boolean reaches(RealtimeStore.AudienceRow row, long seq) {
            for (FeedStore.Source s : sources) {
                if (s.key().equals(row.sourceKey()) && s.fromSeq() < seq && seq <= s.toSeq()
                        && (row.customersOnly() ? s.reach().customersOnly() : s.reach().all())) {
                    return true;
                }
            }
            return false;
        }
    }

    FeedSub subscribeFeed(FeedClient client, Credential.User user) {
        FeedSub sub = new FeedSub(client, user);
        feedsByUser.computeIfAbsent(user.userId(), k -> ConcurrentHashMap.newKeySet()).add(sub);
        refresh(sub);
        return sub;
    }

    void unsubscribeFeed(FeedSub sub) {
        feedsByUser.computeIfPresent(sub.user.userId(), (k, set) -> {
            set.remove(sub);
            return set.isEmpty() ? null : set;
        });
        synchronized (sub) {
            sub.closed = true;
            index(sub, sub.sources, List.of());
            sub.sources = List.of();
        }
    }

    /** Re-reads the user's sources and re-indexes the subscriber under them. */
    private void refresh(FeedSub sub) {
        List<FeedStore.Source> fresh = feed.currentSources(sub.user.userId());
        synchronized (sub) {
            if (!sub.closed) {
                index(sub, sub.sources, fresh);
                sub.sources = fresh;
            }
        }
    }

    private void index(FeedSub sub, List<FeedStore.Source> before, List<FeedStore.Source> after) {
        Set<String> keep = new HashSet<>();
        after.forEach(s -> keep.add(s.key()));
        for (FeedStore.Source s : before) {
            if (!keep.contains(s.key())) {
                feedsBySource.computeIfPresent(s.key(), (k, set) -> {
                    set.remove(sub);
                    return set.isEmpty() ? null : set;
                });
            }
        }
        for (String key : keep) {
            feedsBySource.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(sub);
        }
    }

    /**
     * A notification got its audience rows: push it to the local feed subscribers it reaches, rendered
     * once per mention flag, whatever the audience's size: a broadcast is one row naming its source.
     */
    private void deliver(long seq) {
        if (feedsByUser.isEmpty()) {
            return;
        }
        Map<FeedSub, Boolean> reached = new HashMap<>();
        for (RealtimeStore.AudienceRow row : store.audience(seq)) {
            for (FeedSub sub : feedsBySource.getOrDefault(row.sourceKey(), Set.of())) {
                if (sub.reaches(row, seq)) {
                    reached.merge(sub, row.mention(), Boolean::logicalOr);
                }
            }
        }
        if (reached.isEmpty()) {
            return;
        }
        Optional<NotificationRow> notification = feed.notification(seq);
        if (notification.isEmpty()) {
            return;
        }
        // Read now, not kept per subscriber: a preference saved before the notification was sent always counts.
        List<String> readers = reached.keySet().stream().map(sub -> sub.user.userId()).distinct().toList();
        Set<String> muted = feed.mutedAmong(notification.get(), readers);
        String[] rendered = new String[2];
        reached.forEach((sub, mention) -> {
            if (muted.contains(sub.user.userId())) {
                return;
            }
            int i = mention ? 1 : 0;
            if (rendered[i] == null) {
                rendered[i] = Json.string(feed.view(notification.get(), mention));
            }
            sub.client.notification(notification.get().id(), rendered[i]);
            badgesSoon(sub);
        });
    }

    /** Badges change in bursts (a broadcast, a mark_read per experience): one computation per user and burst. */
    private void badgesSoon(FeedSub sub) {
        if (sub.badgesPending.compareAndSet(false, true)) {
            timer.schedule(() -> Thread.startVirtualThread(() -> {
                sub.badgesPending.set(false);
                if (!sub.closed) {
                    quietly("badges", () -> sub.client.badges(Json.string(feed.badges(sub.user).get("data"))));
                }
            }), BADGES_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // --- notifications from every node

    void apply(String payload) {
        if (payload.equals("e")) {
            Thread.startVirtualThread(() -> feedsByUser.values().forEach(subs -> subs.forEach(
                    sub -> quietly("feed sources", () -> refresh(sub)))));
            return;
        }
        String rest = payload.substring(2);
        switch (payload.charAt(0)) {
            case 'c' -> {
                int split = rest.lastIndexOf(':');
                ChannelStream s = streams.get(rest.substring(0, split));
                // Frames this node committed itself have usually gone out already (see committed).
                if (s != null && Long.parseLong(rest.substring(split + 1)) > s.cursor) {
                    Thread.startVirtualThread(() -> pump(s));
                }
            }
            case 'n' -> Thread.startVirtualThread(() -> quietly("feed delivery", () -> deliver(Long.parseLong(rest))));
            case 'b' -> feedsByUser.getOrDefault(rest, Set.of()).forEach(this::badgesSoon);
            case 'u' -> {
                if (feedsByUser.containsKey(rest) || connections.containsKey(rest)) {
                    Thread.startVirtualThread(() -> quietly("membership change", () -> {
                        for (FeedSub sub : feedsByUser.getOrDefault(rest, Set.of())) {
                            refresh(sub);
                            badgesSoon(sub);
                        }
                        recheckChannels(rest);
                    }));
                }
            }
            case 'p' -> {
                ChannelStream s = streams.get(rest);
                if (s != null) {
                    presenceSoon(s);
                }
            }
            case 't' -> {
                int split = rest.lastIndexOf(':');
                ChannelStream s = streams.get(rest.substring(0, split));
                if (s != null) {
                    // Off the listener's thread: a busy channel's walk would hold up every other notice meanwhile.
                    Thread.startVirtualThread(() -> {
                        String userId = rest.substring(split + 1);
                        FanOut fanOut = new FanOut(WsFrame.text(Json.string(Map.of("type", "typing", "stream", s.name, "user_id", userId))));
                        s.subs.stream().filter(sub -> !sub.conn.userId().equals(userId)).forEach(fanOut::add);
                        fanOut.finish();
                    });
                }
            }
            default -> {
                // The channel is shared: other prefixes ('s:' sources for the feed cache) are not ours.
            }
        }
    }

    /**
     * The listener (re)connected and may have missed notifications: channel streams catch up from
     * their cursor (exact), feed subscribers re-read their sources and are told to refetch.
     */
    private void resync() {
        streams.values().forEach(s -> Thread.startVirtualThread(() -> pump(s)));
        Thread.startVirtualThread(() -> feedsByUser.values().forEach(subs -> subs.forEach(sub -> {
            quietly("feed sources", () -> refresh(sub));
            sub.client.recoveryFailed();
        })));
    }

    private static void quietly(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Realtime " + what + " failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        quietly("leaving", () -> store.forgetNode(nodeId));
    }
}
