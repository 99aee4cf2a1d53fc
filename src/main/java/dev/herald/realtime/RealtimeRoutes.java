package dev.herald.realtime;

import dev.herald.auth.Credential;
import dev.herald.web.ApiException;
import dev.herald.web.Http;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side of realtime: the notification feed as Server-Sent Events, and the answer to a
 * request for the WebSocket endpoint that was not upgraded (missing or wrong credential, or no
 * upgrade asked for).
 */
public final class RealtimeRoutes implements HttpService {
    /** A comment this often keeps proxies from timing the stream out and finds clients that left. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(25);

    private final RealtimeHub hub;

    public RealtimeRoutes(RealtimeHub hub) {
        this.hub = hub;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/realtime", (req, res) -> {
            user(req);
            throw ApiException.rejected("websocket_required", null, "Connect to this endpoint with a WebSocket upgrade.");
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
            for (;;) {
                SseEvent event = client.events.poll(KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
                if (client.overflowed) {
                    return;
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

    /** A bounded buffer between the hub and the response's thread; a reader too slow to keep it from filling is dropped. */
    private static final class SseClient implements RealtimeHub.FeedClient {
        static final int CAPACITY = 1_000;
        final BlockingQueue<SseEvent> events = new ArrayBlockingQueue<>(CAPACITY);
        volatile boolean overflowed;

        @Override
        public void notification(String id, String json) {
            offer(SseEvent.builder().id(id).name("notification.created").data(json).build());
        }

        @Override
        public void badges(String json) {
            offer(SseEvent.builder().name("badges").data(json).build());
        }

        @Override
        public void recoveryFailed() {
            offer(SseEvent.builder().name("recovery_failed").data("{\"stream\":\"feed\"}").build());
        }

        private void offer(SseEvent event) {
            if (!events.offer(event)) {
                overflowed = true;
            }
        }
    }
}
