package dev.herald.notify;

import dev.herald.auth.Credential;
import dev.herald.web.ApiException;
import dev.herald.web.Cursor;
import dev.herald.web.Page;
import dev.herald.web.PageInfo;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.Set;

/** The user's side of notifications: feed pages, one notification, badges, read marks and topics. */
public final class FeedService {
    public static final int DEFAULT_PAGE = 20;
    public static final int MAX_PAGE = 100;
    private static final String CURSOR_KIND = "ntf";

    private final FeedStore store;
    private final FeedCache cache;
    private final String publicUrl;

    public FeedService(FeedStore store, FeedCache cache, String publicUrl) {
        this.store = store;
        this.cache = cache;
        this.publicUrl = publicUrl;
    }

    public record Query(Integer first, String after, String experienceId, String accountId, boolean mentions, boolean unread) {
    }

    public record Badge(String experienceId, Experience experience, boolean hasUnread, int importantCount, String lastViewedAt) {
        public record Experience(String id, String name) {
        }
    }

    public record Topic(String id, String identifier, String name, String description, boolean defaultPreferenceValue,
                        App app) {
        public record App(String id, String name) {
        }
    }

    /** A page of the feed; pages without {@code unread} come from {@link FeedCache} while nothing they depend on changed. */
    public Page<FeedView> list(Credential caller, Query q) {
        String userId = userId(caller);
        FeedCache.Stamp stamp = cache.stamp(userId);
        FeedStore.Audience audience = audience(userId, stamp);
        int limit = q.first() == null ? DEFAULT_PAGE : q.first();
        long before = q.after() == null ? Long.MAX_VALUE : Cursor.decode(CURSOR_KIND, q.after(), "after");
        FeedStore.Filter filter = new FeedStore.Filter(q.experienceId(), q.accountId(), q.mentions(), q.unread())
                .muting(audience.mutedTopics());
        List<FeedStore.Source> sources = narrow(audience, filter);
        Supplier<Page<FeedView>> read = () -> {
            List<FeedStore.Rendered> rows = store.pageRows(userId, sources, filter, before, limit + 1);
            boolean hasNext = rows.size() > limit;
            List<FeedStore.Rendered> page = hasNext ? rows.subList(0, limit) : rows;
            List<FeedView> data = page.stream().map(r -> FeedView.of(r.row(), r.mention(), publicUrl)).toList();
            String start = page.isEmpty() ? null : Cursor.encode(CURSOR_KIND, page.getFirst().row().seq());
            String end = hasNext ? Cursor.encode(CURSOR_KIND, page.getLast().row().seq()) : null;
            return new Page<>(data, new PageInfo(start, end, hasNext, q.after() != null));
        };
        if (q.unread()) {
            return read.get();
        }
        return cache.page(new FeedCache.PageKey(userId, q.experienceId(), q.accountId(), q.mentions(), before, limit),
                stamp, sources, read);
    }

    /**
     * The sources the user holds now (open intervals), read from the database rather than the cache:
     * realtime delivery matches each newly delivered notification against them.
     */
    public List<FeedStore.Source> currentSources(String userId) {
        return store.audience(userId).map(a -> a.sources().stream().filter(s -> s.toSeq() == FeedStore.OPEN).toList())
                .orElse(List.of());
    }

    /** A delivered notification as a reader's feed shows it; empty when it does not exist. */
    public Optional<NotificationRow> notification(long seq) {
        return store.find(seq);
    }

    /** Of these users, those whose feed leaves this notification out because they muted its topic. */
    public Set<String> mutedAmong(NotificationRow row, Collection<String> userIds) {
        return row.topicId() == null || userIds.isEmpty() ? Set.of() : store.mutedAmong(row.topicId(), userIds);
    }

    public FeedView view(NotificationRow row, boolean mention) {
        return FeedView.of(row, mention, publicUrl);
    }

    public FeedView get(Credential caller, String id) {
        FeedStore.Audience audience = audience(caller);
        long seq = store.seqOf(id).orElseThrow(() -> ApiException.notFound("Notification not found.", "id"));
        List<FeedStore.Rendered> rows = store.pageRows(audience.reader().userId(), audience.sources(),
                FeedStore.Filter.NONE.muting(audience.mutedTopics()), seq + 1, 1);
        if (rows.isEmpty() || rows.getFirst().row().seq() != seq) {
            throw ApiException.notFound("Notification not found.", "id");
        }
        return FeedView.of(rows.getFirst().row(), rows.getFirst().mention(), publicUrl);
    }

    /**
     * What a reader missed after the notification {@code lastId} (an SSE client's Last-Event-ID): the
     * newer notifications of their feed, oldest first. Empty when that id is unknown, or when more than
     * {@code max} came after it (the client should refetch instead).
     */
    public Optional<List<FeedView>> since(Credential caller, String lastId, int max) {
        Optional<Long> lastSeq = store.seqOf(lastId);
        if (lastSeq.isEmpty()) {
            return Optional.empty();
        }
        FeedStore.Audience audience = audience(caller);
        List<FeedStore.Rendered> newestFirst = store.pageRows(audience.reader().userId(), audience.sources(),
                FeedStore.Filter.NONE.muting(audience.mutedTopics()), Long.MAX_VALUE, max + 1);
        List<FeedView> missed = new ArrayList<>();
        for (FeedStore.Rendered r : newestFirst) {
            if (r.row().seq() <= lastSeq.get()) {
                return Optional.of(missed.reversed());
            }
            missed.add(FeedView.of(r.row(), r.mention(), publicUrl));
        }
        return newestFirst.size() > max ? Optional.empty() : Optional.of(missed.reversed());
    }

    public Map<String, Object> badges(Credential caller) {
        FeedStore.Audience audience = audience(caller);
        FeedStore.Reader reader = audience.reader();
        Set<String> experiences = new LinkedHashSet<>();
        for (FeedStore.Source s : audience.sources()) {
            if (s.experienceId() != null && s.toSeq() == FeedStore.OPEN) {
                experiences.add(s.experienceId());
            }
        }
        Map<String, FeedStore.View> views = store.views(reader.userId());
        Map<String, Integer> mentions = store.unreadMentionsByExperience(reader.userId(), reader.readAllSeq());
        Map<String, String> names = store.experienceNames(new ArrayList<>(experiences));
        List<Badge> badges = new ArrayList<>();
        for (String experienceId : experiences) {
            FeedStore.Filter unread = new FeedStore.Filter(experienceId, null, false, true).muting(audience.mutedTopics());
            boolean hasUnread = !store.page(reader.userId(), narrow(audience, unread, views), unread, Long.MAX_VALUE, 1).isEmpty();
            FeedStore.View view = views.get(experienceId);
            String lastViewed = latest(view == null ? null : view.lastViewedAt(), reader.readAllAt());
            badges.add(new Badge(experienceId, new Badge.Experience(experienceId, names.get(experienceId)), hasUnread,
                    mentions.getOrDefault(experienceId, 0), lastViewed));
        }
        return Map.of("data", badges);
    }

    /** Marks as read everything the user can see now in one experience (or company), or everywhere with {@code all}. */
    public void markRead(Credential caller, String experienceId, String accountId, boolean all) {
        FeedStore.Audience audience = audience(caller);
        if (all) {
            store.markAllSeen(audience.reader().userId(), newest(audience, FeedStore.Filter.NONE));
            cache.userChanged(audience.reader().userId());
            return;
        }
        if (experienceId == null && accountId == null) {
            throw ApiException.missing("experience_id");
        }
        FeedStore.Filter filter = new FeedStore.Filter(experienceId, experienceId == null ? accountId : null, false, false);
        store.markSeen(audience.reader().userId(), experienceId != null ? experienceId : accountId, newest(audience, filter));
    }

    public Map<String, Object> topics(Credential caller) {
        List<Topic> topics = store.topicsFor(userId(caller)).stream()
                .map(t -> new Topic(t.id(), t.identifier(), t.name(), t.description(), t.defaultPreferenceValue(),
                        new Topic.App(t.appId(), t.appName())))
                .toList();
        return Map.of("data", topics);
    }

    private long newest(FeedStore.Audience audience, FeedStore.Filter filter) {
        List<FeedStore.Hit> top = store.page(audience.reader().userId(), narrow(audience, filter), filter, Long.MAX_VALUE, 1);
        return top.isEmpty() ? 0 : top.getFirst().seq();
    }

    private List<FeedStore.Source> narrow(FeedStore.Audience audience, FeedStore.Filter filter) {
        return narrow(audience, filter, filter.unreadOnly() ? store.views(audience.reader().userId()) : Map.of());
    }

    /**
     * Drops sources that cannot hold a matching row and, for unread queries, raises each interval's
     * lower bound to the read watermark where the whole source shares one scope, so the index range
     * itself excludes what was read.
     */
    private static List<FeedStore.Source> narrow(FeedStore.Audience audience, FeedStore.Filter filter,
                                                 Map<String, FeedStore.View> views) {
        String userId = audience.reader().userId();
        List<FeedStore.Source> kept = new ArrayList<>();
        for (FeedStore.Source s : audience.sources()) {
            boolean personal = s.key().equals(userId);
            if (filter.experienceId() != null && !personal && !filter.experienceId().equals(s.experienceId())) {
                continue;
            }
            if (filter.companyId() != null && !personal && !filter.companyId().equals(s.companyId())) {
                continue;
            }
            long from = s.fromSeq();
            if (filter.unreadOnly()) {
                from = Math.max(from, audience.reader().readAllSeq());
                String uniformScope = s.key().equals(s.experienceId()) || s.key().equals(s.companyId()) ? s.key() : null;
                FeedStore.View view = uniformScope == null ? null : views.get(uniformScope);
                if (view != null) {
                    from = Math.max(from, view.lastSeenSeq());
                }
            }
            if (from < s.toSeq()) {
                kept.add(s.from(from));
            }
        }
        return kept;
    }

    private FeedStore.Audience audience(Credential caller) {
        String userId = userId(caller);
        return audience(userId, cache.stamp(userId));
    }

    private FeedStore.Audience audience(String userId, FeedCache.Stamp stamp) {
        Optional<FeedStore.Audience> cached = cache.audience(userId, stamp);
        if (cached.isPresent()) {
            return cached.get();
        }
        FeedStore.Audience audience = store.audience(userId)
                .orElseThrow(() -> ApiException.unauthorized("Invalid or missing API key"));
        cache.putAudience(userId, stamp, audience);
        return audience;
    }

    private static String userId(Credential caller) {
        if (!(caller instanceof Credential.User user)) {
            throw ApiException.forbidden("The notification feed needs a user token.");
        }
        return user.userId();
    }

    private static String latest(String a, String b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.compareTo(b) >= 0 ? a : b;
    }
}
