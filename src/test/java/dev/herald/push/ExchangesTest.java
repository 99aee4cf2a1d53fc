package dev.herald.push;

import dev.herald.push.FakeServer.Answer;
import dev.herald.push.FakeServer.Request;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How many connections a burst of pushes costs, against a provider that closes idle connections. */
class ExchangesTest {
    @Test
    void aBurstAfterAQuietSpellSharesOneNewConnection() throws Exception {
        try (FakeServer provider = FakeServer.https(Duration.ofMillis(400), request -> Answer.of(200))) {
            Exchanges exchanges = new Exchanges(HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                    .sslContext(TestTls.get().clientContext()).build(), Duration.ofMillis(200));
            HttpRequest request = HttpRequest.newBuilder(provider.uri("/push")).POST(HttpRequest.BodyPublishers.ofString("{}")).build();

            burst(exchanges, request);
            assertEquals(1, connections(provider.requests()), "a cold burst shares one multiplexed HTTP/2 connection");

            Thread.sleep(1500); // the provider closes the idle connection
            provider.reset();
            burst(exchanges, request);
            assertEquals(1, connections(provider.requests()), "after the provider closed it, one new connection for the burst");
        }
    }

    private static void burst(Exchanges exchanges, HttpRequest request) throws Exception {
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> sends = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                sends.add(threads.submit(() -> exchanges.send(request).statusCode()));
            }
            for (Future<Integer> send : sends) {
                assertEquals(200, send.get());
            }
        }
    }

    private static long connections(List<Request> requests) {
        assertEquals(40, requests.size());
        return requests.stream().map(Request::connection).distinct().count();
    }
}
