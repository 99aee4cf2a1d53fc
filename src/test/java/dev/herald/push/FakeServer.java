package dev.herald.push;

import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncoding;
import io.helidon.http.encoding.ContentEncodingContext;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http2.Http2Config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP server on 127.0.0.1 (random port) standing in for a push provider: it records every
 * request and answers through the test's handler. A handler that throws (a failed check on what was
 * sent) answers 599 and is reported by {@link #assertNoFailures()}.
 */
final class FakeServer implements AutoCloseable {
    /** {@code connection} is the client's address and port: one value per TCP connection. */
    record Request(String method, String path, String protocolVersion, String connection, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    record Answer(int status, Map<String, String> headers, byte[] body) {
        static Answer of(int status) {
            return new Answer(status, Map.of(), new byte[0]);
        }

        static Answer json(int status, String json) {
            return new Answer(status, Map.of("content-type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
        }

        Answer with(String header, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(header, value);
            return new Answer(status, more, body);
        }
    }

    /**
     * Web Push bodies come as "Content-Encoding: aes128gcm", which Helidon refuses with 400 unless a
     * decoder is registered; a push service relays the bytes as they are, and so does this one.
     */
    private record PassThrough() implements ContentEncoding {
        @Override
        public Set<String> ids() {
            return Set.of("aes128gcm");
        }

        @Override
        public boolean supportsEncoding() {
            return false;
        }

        @Override
        public boolean supportsDecoding() {
            return true;
        }

        @Override
        public ContentDecoder decoder() {
            return ContentDecoder.NO_OP;
        }

        @Override
        public ContentEncoder encoder() {
            return ContentEncoder.NO_OP;
        }

        @Override
        public String name() {
            return "aes128gcm";
        }

        @Override
        public String type() {
            return "aes128gcm";
        }
    }

    @FunctionalInterface
    interface Handler {
        Answer handle(Request request) throws Exception;
    }

    private final WebServer server;
    private final boolean tls;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private FakeServer(boolean tls, Handler handler, long maxConcurrentStreams) {
        this.tls = tls;
        var builder = WebServer.builder()
                .addProtocol(Http2Config.builder().maxConcurrentStreams(maxConcurrentStreams).build())
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                // Without it small HTTP/2 frames wait out the client's delayed ACK: ~40 ms a request.
                .connectionOptions(o -> o.tcpNoDelay(true))
                .contentEncoding(ContentEncodingContext.create(c -> c.addContentEncoding(new PassThrough())))
                .routing(routing -> routing.any((req, res) -> {
                    Map<String, String> headers = new HashMap<>();
                    req.headers().forEach(h -> headers.put(h.name().toLowerCase(Locale.ROOT), h.get()));
                    byte[] body = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
                    Request request = new Request(req.prologue().method().text(), req.path().rawPath(),
                            req.prologue().protocolVersion(), req.remotePeer().address().toString(), Map.copyOf(headers), body);
                    requests.add(request);
                    Answer answer;
                    try {
                        answer = handler.handle(request);
                    } catch (Throwable t) {
                        failures.add(t);
                        answer = new Answer(599, Map.of(), String.valueOf(t.getMessage()).getBytes(StandardCharsets.UTF_8));
                    }
                    res.status(answer.status());
                    answer.headers().forEach(res::header);
                    res.send(answer.body());
                }));
        if (tls) {
            TestTls certificate = TestTls.get();
            builder.tls(t -> t.privateKey(certificate.key()).privateKeyCertChain(List.of(certificate.certificate())));
        }
        this.server = builder.build().start();
    }

    static FakeServer http(Handler handler) {
        return new FakeServer(false, handler, Http2Config.create().maxConcurrentStreams());
    }

    /** TLS with {@link TestTls}'s self-signed certificate; HTTP/2 is negotiated through ALPN. */
    static FakeServer https(Handler handler) {
        return https(handler, Http2Config.create().maxConcurrentStreams());
    }

    /** Like {@link #https(Handler)}, allowing a client at most this many requests in flight on one connection. */
    static FakeServer https(Handler handler, long maxConcurrentStreams) {
        return new FakeServer(true, handler, maxConcurrentStreams);
    }

    URI uri(String path) {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + server.port() + path);
    }

    List<Request> requests() {
        return requests;
    }

    /** Forgets what was received, for the next test against the same server. */
    void reset() {
        requests.clear();
        failures.clear();
    }

    void assertNoFailures() {
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("the fake server rejected " + failures.size() + " request(s): " + failures.getFirst());
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
