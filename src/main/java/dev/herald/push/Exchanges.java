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
    /** When each origin last answered (System.nanoTime), or last failed: see {@link #send}. */
    private final ConcurrentMap<String, Long> lastAnswer = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ReentrantLock> connecting = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Semaphore> streams = new ConcurrentHashMap<>();
    private final int maxStreams;

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
        String origin = uri.getScheme() + "://" + uri.getRawAuthority();
        if (cold(origin)) {
            ReentrantLock lock = connecting.computeIfAbsent(origin, key -> new ReentrantLock());
            lock.lock();
            try {
                if (cold(origin)) {
                    try {
                        return exchange(request, origin);
                    } finally {
                        connecting.remove(origin, lock);
                    }
                }
            } finally {
                lock.unlock();
            }
        }
        return exchange(request, origin);
    }

    private HttpResponse<byte[]> exchange(HttpRequest request, String origin) throws IOException, InterruptedException {
        if (streams.size() >= MAX_ORIGINS && !streams.containsKey(origin)) {
            streams.clear(); // requests in flight release the semaphore they took
        }
        Semaphore slots = streams.computeIfAbsent(origin, key -> new Semaphore(maxStreams));
        slots.acquire();
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } finally {
            slots.release();
            // Even after a failure: later outages must not serialise every send behind one connect timeout.
            answered(origin);
        }
    }

    private boolean cold(String origin) {
        Long last = lastAnswer.get(origin);
        return last == null || System.nanoTime() - last > warmNanos;
    }

    private void answered(String origin) {
        if (lastAnswer.size() >= MAX_ORIGINS && !lastAnswer.containsKey(origin)) {
            lastAnswer.clear();
        }
        lastAnswer.put(origin, System.nanoTime());
    }
}
