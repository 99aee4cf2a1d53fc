package dev.herald.chat;

import dev.herald.db.Database;
import dev.herald.db.Lru;
import dev.herald.db.PgListener;
import dev.herald.directory.AccessChanges;
import dev.herald.directory.DirectoryStore;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Experience channels and users' roles in experiences, the two reads every post and page needs,
 * kept in memory and exact under change. Database triggers announce changes on
 * {@link Database#CHANGES_CHANNEL} at commit on every node ('r:&lt;channel&gt;' a channel's settings,
 * 'u:&lt;user&gt;' a user's memberships or team seats, 'e' experiences and their products); this node's
 * own changes are applied at once. An entry remembers the versions it was read under, taken before
 * the read, and is used only while they are unchanged. Nothing is cached while the listener is down.
 */
public final class ChatCache implements AccessChanges {
    private static final Duration TTL = Duration.ofMinutes(5);
    private static final int MAX_ENTRIES = 100_000;

    private final Map<String, Long> versions = new ConcurrentHashMap<>();
    private final AtomicLong epoch = new AtomicLong();
    private final Lru<String, Entry> entries = new Lru<>(MAX_ENTRIES);
    private final PgListener listener;
    private final ChatStore store;
    private final DirectoryStore directory;

    private record Entry(long epoch, long version, Object value, long expiresAt) {
    }

    public ChatCache(PgListener listener, ChatStore store, DirectoryStore directory) {
        this.store = store;
        this.directory = directory;
        this.listener = listener;
        listener.subscribe(Database.CHANGES_CHANNEL, this::apply, epoch::incrementAndGet);
    }

    void apply(String payload) {
        if (payload.equals("e")) {
            epoch.incrementAndGet();
        } else if (payload.startsWith("u:") || payload.startsWith("r:")) {
            versions.merge(payload, 1L, Long::sum);
        }
    }

    @Override
    public void userChanged(String userId) {
        apply("u:" + userId);
    }

    @Override
    public void everyoneChanged() {
        apply("e");
    }

    void channelChanged(String channelId) {
        apply("r:" + channelId);
    }

    /** A channel by its id, or an experience's channel by the experience id; experience channels come from memory. */
    public Optional<ChannelRow> channel(String idOrExperienceId) {
        String id = idOrExperienceId;
        if (id.startsWith("exp_")) {
            // Which channel an experience has never changes; the experience's removal is an 'e'.
            id = get("x:" + id, "", () -> store.findChannel(idOrExperienceId).map(ChannelRow::id).orElse(null), any -> true);
            if (id == null) {
                return Optional.empty();
            }
        }
        String channelId = id;
        return Optional.ofNullable(get("c:" + id, "r:" + id, () -> store.findChannel(channelId).orElse(null),
                channel -> channel.kind() == ChannelRow.Kind.EXPERIENCE));
    }

    /** The user's access to an experience as {@link DirectoryStore#experienceAccess} tells it. */
    String experienceAccess(String userId, String experienceId) {
        return get("a:" + userId + " " + experienceId, "u:" + userId,
                () -> directory.experienceAccess(userId, experienceId), any -> true);
    }

    /**
     * The cached value of {@code key}, or {@code load}'s, cached when {@code cacheable}: valid until
     * the change {@code dependsOn} (or any 'e') is announced. Null values are not cached.
     */
    @SuppressWarnings("unchecked")
    private <V> V get(String key, String dependsOn, Supplier<V> load, Predicate<V> cacheable) {
        long e = epoch.get();
        long v = versions.getOrDefault(dependsOn, 0L);
        boolean trusted = listener.isListening();
        if (trusted) {
            Entry entry = entries.get(key);
            if (entry != null && entry.epoch() == e && entry.version() == v && entry.expiresAt() - System.nanoTime() > 0) {
                return (V) entry.value();
            }
        }
        V value = load.get();
        if (trusted && value != null && cacheable.test(value)) {
            entries.put(key, new Entry(e, v, value, System.nanoTime() + TTL.toNanos()));
        }
        return value;
    }
}
