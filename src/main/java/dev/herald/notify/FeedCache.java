package dev.herald.notify;

import dev.herald.db.Database;
import dev.herald.db.Lru;
import dev.herald.db.PgListener;
import dev.herald.directory.AccessChanges;
import dev.herald.web.Page;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Users' sources and feed pages, kept in memory and exact under change. Database triggers announce
 * every change that can alter a feed on {@link Database#CHANGES_CHANNEL} at commit (a source got a
 * notification, a user's memberships or read mark changed, an experience was created or attached),
 * on every node. Each change bumps a version; an entry records the versions it was computed from,
 * taken before its database read, and is used only while they are unchanged. While the listener is
 * not connected nothing is cached, and a reconnection invalidates everything.
 */
public final class FeedCache implements AccessChanges {
    static final Duration TTL = Duration.ofSeconds(60);
    private static final int MAX_AUDIENCES = 20_000;
    private static final int MAX_PAGES = 4_000;

    private final Map<String, Long> sourceVersions = new ConcurrentHashMap<>();
    private final Map<String, Long> userVersions = new ConcurrentHashMap<>();
    private final AtomicLong epoch = new AtomicLong();
    private final Lru<String, AudienceEntry> audiences = new Lru<>(MAX_AUDIENCES);
    private final Lru<PageKey, PageEntry> pages = new Lru<>(MAX_PAGES);
    private final Map<PageKey, Flight> inflight = new ConcurrentHashMap<>();
    private final PgListener listener;
    private final Counter hits;
    private final Counter misses;

    /** The versions a user's entries depend on besides their sources. */
    public record Stamp(long epoch, long userVersion) {
    }

    public record PageKey(String userId, String experienceId, String companyId, boolean mentions, long before, int limit) {
    }

    private record AudienceEntry(Stamp stamp, FeedStore.Audience audience, long expiresAt) {
    }

    private record PageEntry(Stamp stamp, List<String> keys, long[] versions, Page<FeedView> page, long expiresAt) {
    }

    public FeedCache(PgListener listener, MeterRegistry metrics) {
        this.listener = listener;
        listener.subscribe(Database.CHANGES_CHANNEL, this::apply, epoch::incrementAndGet);
        this.hits = Counter.builder("herald_feed_cache_hits_total").register(metrics);
        this.misses = Counter.builder("herald_feed_cache_misses_total").register(metrics);
    }

    void apply(String payload) {
        if (payload.startsWith("s:")) {
            sourceVersions.merge(payload.substring(2), 1L, Long::sum);
        } else if (payload.startsWith("u:")) {
            userVersions.merge(payload.substring(2), 1L, Long::sum);
        } else if (payload.equals("e")) {
            epoch.incrementAndGet();
        }
    }

    /** This node's own change, applied at once rather than when the database's notice arrives. */
    @Override
    public void userChanged(String userId) {
        apply("u:" + userId);
    }

    @Override
    public void everyoneChanged() {
        apply("e");
    }

    /** Take this before reading the database for anything to be cached. */
    Stamp stamp(String userId) {
        return new Stamp(epoch.get(), userVersions.getOrDefault(userId, 0L));
    }

    Optional<FeedStore.Audience> audience(String userId, Stamp now) {
        AudienceEntry entry = listener.isListening() ? audiences.get(userId) : null;
        if (entry == null || !entry.stamp().equals(now) || expired(entry.expiresAt())) {
            return Optional.empty();
        }
        return Optional.of(entry.audience());
    }

    void putAudience(String userId, Stamp before, FeedStore.Audience audience) {
        if (listener.isListening()) {
            audiences.put(userId, new AudienceEntry(before, audience, System.nanoTime() + TTL.toNanos()));
        }
    }

    /** The current versions of these sources, to be taken before the page is read. */
    private long[] versions(List<FeedStore.Source> sources) {
        long[] versions = new long[sources.size()];
        for (int i = 0; i < versions.length; i++) {
            versions[i] = sourceVersions.getOrDefault(sources.get(i).key(), 0L);
        }
        return versions;
    }

    private Optional<Page<FeedView>> page(PageKey key, Stamp now) {
        PageEntry entry = listener.isListening() ? pages.get(key) : null;
        if (entry == null || !entry.stamp().equals(now) || expired(entry.expiresAt())) {
            misses.increment();
            return Optional.empty();
        }
        for (int i = 0; i < entry.versions().length; i++) {
            if (sourceVersions.getOrDefault(entry.keys().get(i), 0L) != entry.versions()[i]) {
                misses.increment();
                return Optional.empty();
            }
        }
        hits.increment();
        return Optional.of(entry.page());
    }

    private void putPage(PageKey key, Stamp before, List<FeedStore.Source> sources, long[] versions, Page<FeedView> page) {
        if (listener.isListening()) {
            pages.put(key, new PageEntry(before, sources.stream().map(FeedStore.Source::key).toList(), versions, page,
                    System.nanoTime() + TTL.toNanos()));
        }
    }

    /**
     * The page from the cache, or computed. Concurrent misses of one page share one computation when
     * nothing it depends on changed since it started (same stamp and source versions): after an
     * invalidation, 32 readers of a busy feed cost one database read, not 32.
     */
    Page<FeedView> page(PageKey key, Stamp now, List<FeedStore.Source> sources, Supplier<Page<FeedView>> compute) {
        Optional<Page<FeedView>> cached = page(key, now);
        if (cached.isPresent()) {
            return cached.get();
        }
        long[] versions = versions(sources);
        if (!listener.isListening()) {
            return compute.get();
        }
        Flight flight = new Flight(now, versions, new CompletableFuture<>());
        Flight running = inflight.putIfAbsent(key, flight);
        if (running != null) {
            if (running.stamp().equals(now) && Arrays.equals(running.versions(), versions)) {
                try {
                    return running.result().join();
                } catch (RuntimeException e) {
                    return compute.get();
                }
            }
            return compute.get();
        }
        try {
            Page<FeedView> page = compute.get();
            putPage(key, now, sources, versions, page);
            flight.result().complete(page);
            return page;
        } catch (RuntimeException e) {
            flight.result().completeExceptionally(e);
            throw e;
        } finally {
            inflight.remove(key, flight);
        }
    }

    private record Flight(Stamp stamp, long[] versions, CompletableFuture<Page<FeedView>> result) {
    }

    private static boolean expired(long expiresAt) {
        return expiresAt - System.nanoTime() < 0;
    }
}
