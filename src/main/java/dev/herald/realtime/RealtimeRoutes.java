package dev.herald.realtime;

import dev.herald.auth.Credential;
import dev.herald.notify.FeedService;
import dev.herald.notify.FeedView;
import dev.herald.web.ApiException;
import dev.herald.web.Http;
import dev.herald.web.Json;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side of realtime: the notification feed as Server-Sent Events, and a pointer for a
 * request to the WebSocket endpoint on the API port (the {@link Gateway} serves it on its own port).
 */
public final class RealtimeRoutes implements HttpService {
    /** A comment this often keeps proxies from timing the stream out and finds clients that left. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(25);

    /** A client further behind than this after a reconnect is told to refetch rather than replayed to. */
    static final int REPLAY_MAX = 100;

    private final RealtimeHub hub;
    private final FeedService feed;

    public RealtimeRoutes(RealtimeHub hub, FeedService feed) {
        this.hub = hub;
        this.feed = feed;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/realtime", (req, res) -> {
            user(req);
            throw ApiException.rejected("websocket_required", null,
                    "WebSocket clients connect to " + WsHandshake.PATH + " on the realtime port (HERALD_REALTIME_PORT).");
        });
        rules.get("/notifications/stream", this::stream);
    }

    private Credential.User user(ServerRequest req) {
        return hub.authenticate(Http.header(req, "Authorization"), Http.query(req, "token"));
    }

    /**
     * {@code notification.created} (id: the notification's id) and {@code badges} events for the
     * caller's feed, until the client goes away or falls {@value SseClient#CAPACITY} events behind.
     */
    private void stream(ServerRequest req, ServerResponse res) {
        Credential.User user = user(req);
        SseClient client = new SseClient();
        RealtimeHub.FeedSub sub = hub.subscribeFeed(client, user);
        try (SseSink sink = res.sink(SseSink.TYPE)) {
            // Sent once the subscription is live: a client refetches GET /notifications after it, not before.
            sink.emit(SseEvent.builder().name("subscribed").data("{\"stream\":\"feed\"}").build());
            Set<String> replayed = replay(sink, user, Http.header(req, "Last-Event-ID"));
            for (;;) {
                SseEvent event = client.events.poll(KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
                if (client.overflowed) {
                    return;
                }
                if (event != null && !replayed.isEmpty() && event.id().map(replayed::remove).orElse(false)) {
                    continue; // delivered live while it was being replayed
                }
                sink.emit(event != null ? event : SseEvent.builder().comment("keepalive").build());
            }
        } catch (UncheckedIOException e) {
            // The client went away.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hub.unsubscribeFeed(sub);
        }
    }

    /**
     * After a reconnect (EventSource sends the last id it saw), the notifications that arrived meanwhile,
     * oldest first, or {@code recovery_failed} when the id is unknown or too far back. Returns the ids sent.
     */
    private Set<String> replay(SseSink sink, Credential.User user, String lastEventId) {
        if (lastEventId == null || lastEventId.isBlank()) {
            return Set.of();
        }
        Optional<List<FeedView>> missed = feed.since(user, lastEventId.strip(), REPLAY_MAX);
        if (missed.isEmpty()) {
            sink.emit(SseClient.RECOVERY_FAILED);
            return Set.of();
        }
        Set<String> sent = new HashSet<>();
        for (FeedView view : missed.get()) {
            sink.emit(SseClient.notificationEvent(view.id(), Json.string(view)));
            sent.add(view.id());
        }
        return sent;
    }

    /** A bounded buffer between the hub and the response's thread; a reader too slow to keep it from filling is dropped. */
    private static final class SseClient implements RealtimeHub.FeedClient {
        static final int CAPACITY = 1_000;
        final BlockingQueue<SseEvent> events = new ArrayBlockingQueue<>(CAPACITY);
        volatile boolean overflowed;

        static final SseEvent RECOVERY_FAILED = SseEvent.builder().name("recovery_failed").data("{\"stream\":\"feed\"}").build();

        static SseEvent notificationEvent(String id, String json) {
            return SseEvent.builder().id(id).name("notification.created").data(json).build();
        }

        @Override
        public void notification(String id, String json) {
            offer(notificationEvent(id, json));
        }

        @Override
        public void badges(String json) {
            offer(SseEvent.builder().name("badges").data(json).build());
        }

        @Override
        public void recoveryFailed() {
            offer(RECOVERY_FAILED);
        }

        private void offer(SseEvent event) {
            if (!events.offer(event)) {
                overflowed = true;
            }
        }
    }
}
