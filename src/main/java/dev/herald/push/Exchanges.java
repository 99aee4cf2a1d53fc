package dev.herald.push;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends requests through one shared HttpClient, letting the first request to an origin go alone.
 * The JDK client opens a new connection for every request that starts before the first HTTP/2
 * connection to that origin is up, so a cold burst of sends would cost one TLS handshake each
 * instead of sharing a single multiplexed connection.
 */
final class Exchanges {
    /** Push endpoints come from browsers, so their origins are not ours to bound; past this many, start over. */
    private static final int MAX_ORIGINS = 1024;

    private final HttpClient client;
    private final Set<String> connected = ConcurrentHashMap.newKeySet();
    private final ConcurrentMap<String, ReentrantLock> connecting = new ConcurrentHashMap<>();

    Exchanges(HttpClient client) {
        this.client = client;
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
        if (!connected.contains(origin)) {
            ReentrantLock lock = connecting.computeIfAbsent(origin, key -> new ReentrantLock());
            lock.lock();
            try {
                if (!connected.contains(origin)) {
                    try {
                        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    } finally {
                        // Even after a failure: later outages must not serialise every send behind one connect timeout.
                        if (connected.size() >= MAX_ORIGINS) {
                            connected.clear();
                        }
                        connected.add(origin);
                        connecting.remove(origin, lock);
                    }
                }
            } finally {
                lock.unlock();
            }
        }
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }
}
