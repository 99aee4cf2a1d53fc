package dev.herald.push;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends requests through one shared HttpClient, letting the first request to a cold origin go alone.
 * The JDK client opens a new connection for every request that starts before the first HTTP/2
 * connection to that origin is up, so a cold burst of sends would cost one TLS handshake each
 * instead of sharing a single multiplexed connection. An origin is cold until its first answer and
 * again after a quiet spell: the JDK client closes idle HTTP/2 connections (after
 * {@code jdk.httpclient.keepalive.timeout.h2} seconds, 30 by default) and providers close them too.
 * Requests to one origin in flight at once are also bounded: the JDK client fails a request beyond the
 * server's SETTINGS_MAX_CONCURRENT_STREAMS ("too many concurrent streams") instead of queueing it.
 */
final class Exchanges {
    /** Push endpoints come from browsers, so their origins are not ours to bound; past this many, start over. */
    private static final int MAX_ORIGINS = 1024;
    /**
     * Below what an HTTP/2 server should allow at least (RFC 9113 6.5.2 recommends no fewer than 100), which is what
     * Google's front ends advertise; a connection's own limit is not visible through the JDK client. The margin is
     * for servers that count a stream until they are done with it, after the client has seen its end.
     */
    static final int MAX_STREAMS = 80;

    private final HttpClient client;
    private final long warmNanos;
    private final int maxStreams;
    private final ConcurrentMap<String, Origin> origins = new ConcurrentHashMap<>();

    /** What is known of one origin: its cold-start lock, its stream slots, when it last answered. */
    private static final class Origin {
        final ReentrantLock connecting = new ReentrantLock();
        final Semaphore slots;
        /** System.nanoTime of the last answer, or last failure (see {@link #exchange}); valid once answered. */
        volatile long lastAnswer;
        volatile boolean answered;

        Origin(int maxStreams) {
            slots = new Semaphore(maxStreams);
        }
    }

    Exchanges(HttpClient client) {
        this(client, MAX_STREAMS);
    }

    Exchanges(HttpClient client, int maxStreams) {
        this.client = client;
        this.maxStreams = maxStreams;
        // Taken to be still open for half the client's idle timeout after an answer: well inside it.
        long idleSeconds = Long.getLong("jdk.httpclient.keepalive.timeout.h2", Long.getLong("jdk.httpclient.keepalive.timeout", 30));
        this.warmNanos = Duration.ofSeconds(idleSeconds).dividedBy(2).toNanos();
    }

    /** Sends a push and maps the answer; a network failure or an interruption is a retry. */
    PushOutcome push(HttpRequest request, java.util.function.Function<HttpResponse<byte[]>, PushOutcome> outcome) {
        HttpResponse<byte[]> response;
        try {
            response = send(request);
        } catch (IOException e) {
            return Responses.networkError(e);
        } catch (InterruptedException e) {
            return Responses.interrupted();
        }
        return outcome.apply(response);
    }

    HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        URI uri = request.uri();
        Origin origin = origin(uri.getScheme() + "://" + uri.getRawAuthority());
        if (cold(origin)) {
            origin.connecting.lock();
            try {
                if (cold(origin)) {
                    return exchange(request, origin);
                }
            } finally {
                origin.connecting.unlock();
            }
        }
        return exchange(request, origin);
    }

    private Origin origin(String key) {
        if (origins.size() >= MAX_ORIGINS && !origins.containsKey(key)) {
            origins.clear(); // requests in flight keep the Origin they hold, and release its slot there
        }
        return origins.computeIfAbsent(key, k -> new Origin(maxStreams));
    }

    private HttpResponse<byte[]> exchange(HttpRequest request, Origin origin) throws IOException, InterruptedException {
        origin.slots.acquire();
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } finally {
            origin.slots.release();
            // Even after a failure: later outages must not serialise every send behind one connect timeout.
            origin.lastAnswer = System.nanoTime();
            origin.answered = true;
        }
    }

    private boolean cold(Origin origin) {
        return !origin.answered || System.nanoTime() - origin.lastAnswer > warmNanos;
    }
}
