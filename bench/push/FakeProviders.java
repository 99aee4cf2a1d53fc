import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The fake push providers of {@code bench/push}: APNs, FCM (OAuth token endpoint and messages:send) and a Web Push
 * service, each an HTTP/2-over-TLS server (ALPN h2) on 127.0.0.1 that checks the request carries its provider's
 * authorization, counts it and answers at once. Built on Netty's HTTP/2 frame codec on one event loop thread, with
 * BoringSSL when netty-tcnative is on the class path, so
 * that they take as little of the shared 2 cores as a server can: real providers run elsewhere, and the benchmark
 * measures Herald, not its fakes. Runs in its own JVM, started by PushBench:
 *
 *   java -cp "bench/push/lib/*" bench/push/FakeProviders.java TRUST_PEM
 *
 * Writes the self-signed certificate to TRUST_PEM, prints {@code FAKES <apns> <fcm> <web> <control>} (ports) and
 * serves until its standard input ends. The control port answers any HTTP/1.1 request with the counters
 * (see {@link #counts()}).
 */
public final class FakeProviders {
    static final LongAdder APNS = new LongAdder();
    static final LongAdder FCM = new LongAdder();
    static final LongAdder TOKENS = new LongAdder();
    static final LongAdder WEB = new LongAdder();
    static final LongAdder REJECTED = new LongAdder();
    // TLS connections each fake accepted.
    static final LongAdder APNS_CONNECTIONS = new LongAdder();
    static final LongAdder FCM_CONNECTIONS = new LongAdder();
    static final LongAdder WEB_CONNECTIONS = new LongAdder();

    static final byte[] FCM_TOKEN = "{\"access_token\":\"bench-access\",\"expires_in\":3600,\"token_type\":\"Bearer\"}"
            .getBytes(StandardCharsets.US_ASCII);
    static final AsciiString APNS_ID = AsciiString.cached("apns-id");
    static final AsciiString APNS_TOPIC = AsciiString.cached("apns-topic");
    static final AsciiString AUTHORIZATION = AsciiString.cached("authorization");
    static final AsciiString CONTENT_ENCODING = AsciiString.cached("content-encoding");
    static final AsciiString CONTENT_TYPE = AsciiString.cached("content-type");
    static final AsciiString LOCATION = AsciiString.cached("location");
    static final AsciiString JSON = AsciiString.cached("application/json");

    private FakeProviders() {
    }

    public static void main(String[] args) throws Exception {
        Path trustPem = Path.of(args[0]);
        Tls tls = Tls.generate();
        Files.writeString(trustPem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(tls.certificate().getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        SslContext ssl = SslContextBuilder.forServer(tls.key(), tls.certificate())
                // BoringSSL (netty-tcnative) when its native library loads: less CPU per TLS record than the JDK's engine.
                .sslProvider(provider())
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
                .build();
        // One thread for all: the load is a handful of connections, and a second thread would only compete with Herald.
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            int apns = serve(loop, ssl, Kind.APNS);
            int fcm = serve(loop, ssl, Kind.FCM);
            int web = serve(loop, ssl, Kind.WEB);
            int control = control();
            System.err.println("fakes: TLS by " + (provider() == SslProvider.OPENSSL ? OpenSsl.versionString() : "the JDK"));
            System.out.println("FAKES " + apns + " " + fcm + " " + web + " " + control);
            System.out.flush();
            InputStream in = System.in;
            while (in.read() >= 0) {
                // until the benchmark closes our standard input (or ends)
            }
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        System.exit(0);
    }

    static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** APNs pushes, FCM sends, FCM token requests, Web Push pushes, rejected requests; connections to APNs, FCM, Web Push. */
    static String counts() {
        return APNS.sum() + " " + FCM.sum() + " " + TOKENS.sum() + " " + WEB.sum() + " " + REJECTED.sum() + " "
                + APNS_CONNECTIONS.sum() + " " + FCM_CONNECTIONS.sum() + " " + WEB_CONNECTIONS.sum();
    }

    enum Kind { APNS, FCM, WEB }

    static int serve(EventLoopGroup loop, SslContext ssl, Kind kind) throws InterruptedException {
        Channel server = new ServerBootstrap()
                .group(loop)
                .channel(NioServerSocketChannel.class)
                // Without it small HTTP/2 frames wait out the client's delayed ACK.
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        (switch (kind) {
                            case APNS -> APNS_CONNECTIONS;
                            case FCM -> FCM_CONNECTIONS;
                            case WEB -> WEB_CONNECTIONS;
                        }).increment();
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc()),
                                // A window as large as HTTP/2 allows: a job's thousands of requests share one connection.
                                Http2FrameCodecBuilder.forServer()
                                        .initialSettings(Http2Settings.defaultSettings().initialWindowSize(1 << 24).maxConcurrentStreams(1000))
                                        .build(),
                                new Exchange(kind));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /**
     * One connection's requests: the headers decide the answer, which goes out once the request's body has been read
     * (its flow-control credit returned); answers are flushed once per read from the socket, not once per request.
     */
    static final class Exchange extends ChannelInboundHandlerAdapter {
        private final Kind kind;
        private final Map<Integer, Http2Headers> pending = new HashMap<>();

        Exchange(Kind kind) {
            this.kind = kind;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame headers) {
                    if (headers.isEndStream()) {
                        answer(ctx, headers.stream(), headers.headers());
                    } else {
                        pending.put(headers.stream().id(), headers.headers());
                    }
                } else if (msg instanceof Http2DataFrame data) {
                    if (data.initialFlowControlledBytes() > 0) {
                        ctx.write(new DefaultHttp2WindowUpdateFrame(data.initialFlowControlledBytes()).stream(data.stream()));
                    }
                    if (data.isEndStream()) {
                        Http2Headers request = pending.remove(data.stream().id());
                        if (request != null) {
                            answer(ctx, data.stream(), request);
                        }
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof IOException)) {
                cause.printStackTrace();
            }
            ctx.close();
        }

        private void answer(ChannelHandlerContext ctx, Http2FrameStream stream, Http2Headers request) {
            String path = String.valueOf(request.path());
            CharSequence authorization = request.get(AUTHORIZATION);
            String auth = authorization == null ? "" : authorization.toString();
            switch (kind) {
                case APNS -> {
                    if (!path.startsWith("/3/device/") || !auth.startsWith("bearer ") || !request.contains(APNS_TOPIC)) {
                        reject(ctx, stream);
                        return;
                    }
                    APNS.increment();
                    Http2Headers out = new DefaultHttp2Headers().status(HttpResponseStatus.OK.codeAsText())
                            .set(APNS_ID, "00000000-0000-0000-0000-" + String.format("%012x", System.nanoTime() & 0xffffffffffffL));
                    ctx.write(new DefaultHttp2HeadersFrame(out, true).stream(stream));
                }
                case FCM -> {
                    if (path.equals("/token")) {
                        TOKENS.increment();
                        json(ctx, stream, FCM_TOKEN);
                        return;
                    }
                    if (!path.endsWith("/messages:send") || !auth.equals("Bearer bench-access")) {
                        reject(ctx, stream);
                        return;
                    }
                    FCM.increment();
                    json(ctx, stream, ("{\"name\":\"projects/herald-bench/messages/" + System.nanoTime() + "\"}")
                            .getBytes(StandardCharsets.US_ASCII));
                }
                case WEB -> {
                    CharSequence encoding = request.get(CONTENT_ENCODING);
                    if (!path.startsWith("/push/") || !auth.startsWith("vapid t=") || encoding == null
                            || !encoding.toString().equals("aes128gcm")) {
                        reject(ctx, stream);
                        return;
                    }
                    WEB.increment();
                    Http2Headers out = new DefaultHttp2Headers().status(HttpResponseStatus.CREATED.codeAsText())
                            .set(LOCATION, "/m/" + System.nanoTime());
                    ctx.write(new DefaultHttp2HeadersFrame(out, true).stream(stream));
                }
            }
        }

        private static void json(ChannelHandlerContext ctx, Http2FrameStream stream, byte[] body) {
            Http2Headers out = new DefaultHttp2Headers().status(HttpResponseStatus.OK.codeAsText()).set(CONTENT_TYPE, JSON);
            ctx.write(new DefaultHttp2HeadersFrame(out, false).stream(stream));
            ByteBuf bytes = Unpooled.wrappedBuffer(body);
            ctx.write(new DefaultHttp2DataFrame(bytes, true).stream(stream));
        }

        private static void reject(ChannelHandlerContext ctx, Http2FrameStream stream) {
            REJECTED.increment();
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status(HttpResponseStatus.BAD_REQUEST.codeAsText()), true)
                    .stream(stream));
        }
    }

    /** The counters over plain HTTP/1.1 (any request), from a blocking server on a daemon thread. */
    static int control() throws IOException {
        java.net.ServerSocket socket = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("fakes-control").start(() -> {
            while (true) {
                try (java.net.Socket client = socket.accept()) {
                    InputStream in = client.getInputStream();
                    // Read the request head (up to the blank line), then answer and close.
                    int state = 0;
                    int b;
                    while (state < 4 && (b = in.read()) >= 0) {
                        state = (b == '\r' || b == '\n') ? state + 1 : 0;
                    }
                    byte[] body = counts().getBytes(StandardCharsets.US_ASCII);
                    client.getOutputStream().write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + body.length
                            + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    client.getOutputStream().write(body);
                } catch (IOException e) {
                    // one failed exchange; keep serving
                }
            }
        });
        return socket.getLocalPort();
    }

    /** A self-signed certificate for 127.0.0.1 made with the JDK's keytool (the JDK has no public API to issue one). */
    record Tls(PrivateKey key, X509Certificate certificate) {
        static Tls generate() throws Exception {
            char[] password = "push-bench".toCharArray();
            Path dir = Files.createTempDirectory("herald-push-bench-tls");
            Path store = dir.resolve("fake.p12");
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "fake",
                    "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                    "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
                    "-keystore", store.toString(), "-storetype", "PKCS12",
                    "-storepass", new String(password), "-keypass", new String(password))
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, password);
            }
            Tls tls = new Tls((PrivateKey) keyStore.getKey("fake", password), (X509Certificate) keyStore.getCertificate("fake"));
            Files.delete(store);
            Files.delete(dir);
            return tls;
        }
    }
}
