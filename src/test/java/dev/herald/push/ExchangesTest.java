package dev.herald.push;

import dev.herald.push.FakeServer.Answer;
import dev.herald.push.FakeServer.Request;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * How many connections a burst of pushes costs. The test JVM runs with
 * {@code jdk.httpclient.keepalive.timeout.h2=1} (pom.xml), so the JDK client closes an idle HTTP/2
 * connection after a second, as it does after 30 s in production.
 */
class ExchangesTest {
    @Test
    void aBurstAfterTheClientClosedItsIdleConnectionSharesOneNewConnection() throws Exception {
        try (FakeServer provider = FakeServer.https(request -> Answer.of(200))) {
            Exchanges exchanges = new Exchanges(HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(TestTls.get().clientContext()).build());
            HttpRequest request = HttpRequest.newBuilder(provider.uri("/push")).POST(HttpRequest.BodyPublishers.ofString("{}")).build();

            Set<String> first = burst(exchanges, request, provider);
            assertEquals(1, first.size(), "a cold burst shares one multiplexed HTTP/2 connection");

            Thread.sleep(2500);
            Set<String> second = burst(exchanges, request, provider);
            assertEquals(1, second.size(), "after the client closed the idle one, one new connection for the burst");
            assertNotEquals(first, second, "the first connection was closed while idle");
        }
    }

    @Test
    void noMoreRequestsAreInFlightThanAProviderAllowsOnAConnection() throws Exception {
        // Each answer takes a while, so a burst of 40 would have them all in flight at once.
        try (FakeServer provider = FakeServer.https(request -> {
            Thread.sleep(100);
            return Answer.of(200);
        }, 10)) {
            // 8 of 10: the margin Exchanges.MAX_STREAMS keeps below 100 (Helidon counts a stream a little longer than the client).
            Exchanges exchanges = new Exchanges(HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(TestTls.get().clientContext()).build(), 8);
            HttpRequest request = HttpRequest.newBuilder(provider.uri("/push")).POST(HttpRequest.BodyPublishers.ofString("{}")).build();

            Set<String> connections = burst(exchanges, request, provider);

            assertEquals(1, connections.size(), "the requests beyond the limit waited for a stream, on the same connection");
        }
    }

    /** Sends 40 pushes at once; returns the connections the provider saw them on. */
    private static Set<String> burst(Exchanges exchanges, HttpRequest request, FakeServer provider) throws Exception {
        provider.reset();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> sends = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                sends.add(threads.submit(() -> exchanges.send(request).statusCode()));
            }
            for (Future<Integer> send : sends) {
                assertEquals(200, send.get());
            }
        }
        assertEquals(40, provider.requests().size());
        return provider.requests().stream().map(Request::connection).collect(Collectors.toSet());
    }
}
