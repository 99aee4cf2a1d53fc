import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * bench/realtime's load driver: N WebSocket subscribers of one channel, P publishes of one message each, per-delivery
 * latency. Not a test; run.sh compiles and runs it (JDK 22+: it calls libc through the FFM API).
 *
 * <pre>
 *   java --add-exports java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -cp … Drive \
 *       --target herald|soketi|floor --n 10000 --publishes 20 --interval 500 --config '{…}'
 * </pre>
 *
 * Prints one JSON line with the results on stdout; progress goes to stderr.
 *
 * <p>What is measured, the same way for every target:
 * <ul>
 * <li>connect+subscribe: from the first connect until every socket has its subscription acknowledged (Herald and the
 *     floor {@code {"type":"subscribed"}}, soketi {@code pusher_internal:subscription_succeeded}), at most
 *     {@code --inflight} handshakes in flight, one selector thread.
 * <li>memory per idle connection: server memory before connecting and {@code --idleWait} ms after the last
 *     acknowledgement, no traffic in between, delta / N (Herald: HeraldServer's {@code /mem}, RSS and heap after GC;
 *     others: VmRSS of the pid in the config).
 * <li>latency: a delivery's latency is the time the kernel put the frame into the subscriber's socket minus the
 *     publisher's send time (wall clock, taken just before the HTTP request). The arrival time is the socket's
 *     receive timestamp ({@code SO_TIMESTAMPNS}, read with {@code recvmsg}), not the time the driver got round to
 *     reading: the driver does not read while a fan-out is running, but {@code --drainAt} ms after each publish.
 *     Subscribers of a real server are other machines; a driver reading 10,000 sockets on the two cores the server
 *     runs on took ~7.5 µs of CPU per delivery away from the server during the fan-out and added its own queueing
 *     to every latency (the earlier Node driver), which put the same floor under every server measured.
 * <li>deliveries/s: all deliveries / the sum over publishes of (last arrival of that publish - its send time).
 * </ul>
 */
public final class Drive {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MARK = "bench|";
    // One fixed handshake key for every socket: the servers only check its form.
    private static final String KEY = "aGVyYWxkLWJlbmNoLWtleQ==";
    private static final String ACCEPT = accept(KEY);
    private static final byte[] MASK = {0x37, (byte) 0xfa, 0x21, 0x3d};

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Drive drive = new Drive(o);
        try {
            System.out.println(JSON.writeValueAsString(drive.run()));
        } finally {
            drive.closeAll();
        }
    }

    record Options(String target, int n, int publishes, int primers, int interval, int drainAt, int inflight, int idleWait,
                   JsonNode config) {
        static Options parse(String[] args) throws IOException {
            String target = null;
            String config = null;
            int n = 1000;
            int publishes = 20;
            int primers = 3;
            int interval = 500;
            int drainAt = 300;
            int inflight = 400;
            int idleWait = 3000;
            for (int i = 0; i + 1 < args.length; i += 2) {
                String value = args[i + 1];
                switch (args[i]) {
                    case "--target" -> target = value;
                    case "--config" -> config = value;
                    case "--n" -> n = Integer.parseInt(value);
                    case "--publishes" -> publishes = Integer.parseInt(value);
                    case "--primers" -> primers = Integer.parseInt(value);
                    case "--interval" -> interval = Integer.parseInt(value);
                    case "--drainAt" -> drainAt = Integer.parseInt(value);
                    case "--inflight" -> inflight = Integer.parseInt(value);
                    case "--idleWait" -> idleWait = Integer.parseInt(value);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (target == null || config == null || !List.of("herald", "soketi", "floor").contains(target)) {
                throw new IllegalArgumentException("need --target herald|soketi|floor and --config '{…}'");
            }
            return new Options(target, n, publishes, primers, interval, drainAt, inflight, idleWait, JSON.readTree(config));
        }

        String pusherChannel() {
            return config.path("pusherChannel").asText("bench");
        }
    }

    private final Options o;
    private final List<Sub> subs = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Native nat = new Native();
    private final long[] sends;
    private final int[] counts;
    private final long[] lastArrival;
    private final long[] firstArrival;
    private final long[] latencies;
    private int delivered;
    private boolean armed;

    Drive(Options o) {
        this.o = o;
        sends = new long[o.publishes];
        counts = new int[o.publishes];
        lastArrival = new long[o.publishes];
        firstArrival = new long[o.publishes];
        Arrays.fill(firstArrival, Long.MAX_VALUE);
        latencies = new long[o.n * o.publishes];
    }

    private void log(String s) {
        System.err.println("Drive [" + o.target + " N=" + o.n + "] " + s);
    }

    ObjectNode run() throws Exception {
        Thread.sleep(1000);
        if (!o.target.equals("herald")) {
            settled(o.config.get("pid").asLong());
        }
        JsonNode mem0 = memory();
        log("memory before: " + mem0 + "; connecting " + o.n + " sockets, " + o.inflight + " handshakes in flight");
        long t0 = System.nanoTime();
        Connected connected = connectAll();
        double connectMs = (System.nanoTime() - t0) / 1e6;
        log("connect+subscribe: " + connected.ok + " ok, " + connected.failed + " failed in " + Math.round(connectMs) + " ms "
                + (connected.why.isEmpty() ? "" : connected.why));

        Thread.sleep(o.idleWait);
        JsonNode mem1 = memory();
        log("memory after " + connected.ok + " idle subscribers: " + mem1);

        // Publishes before the measured ones, not counted. The driver's first HTTP request (class loading, JIT of the
        // HTTP client, its selector thread) took ~100 ms of CPU in the middle of the first fan-out; and the first
        // fan-outs after the idle wait and the memory reading (Herald's: three full GCs, after which the JVM has
        // given back heap it then touches afresh) were slower than the rest for every server.
        for (int i = 0; i < o.primers; i++) {
            long primed = System.nanoTime();
            publish(-1);
            sleepUntil(primed, o.interval);
            drain();
        }

        armed = true;
        for (int seq = 0; seq < o.publishes; seq++) {
            long started = System.nanoTime();
            sends[seq] = publish(seq);
            sleepUntil(started, o.drainAt);
            drain();
            sleepUntil(started, o.interval);
        }
        long expected = (long) connected.ok * o.publishes;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (delivered < expected && System.nanoTime() < deadline) {
            Thread.sleep(200);
            drain();
        }
        armed = false;
        log("deliveries: " + delivered + " of " + expected);

        long[] lat = Arrays.copyOf(latencies, delivered);
        Arrays.sort(lat);
        List<Long> spans = new ArrayList<>();
        List<Long> firsts = new ArrayList<>();
        double spanSum = 0;
        for (int seq = 0; seq < o.publishes; seq++) {
            if (counts[seq] > 0) {
                long span = lastArrival[seq] - sends[seq];
                spans.add(span);
                firsts.add(firstArrival[seq] - sends[seq]);
                spanSum += span / 1e6;
            }
        }

        ObjectNode out = JSON.createObjectNode();
        out.put("target", o.target);
        out.put("n", o.n);
        out.put("subscribed", connected.ok);
        out.put("connectFailures", connected.failed);
        out.putPOJO("connectFailureSamples", connected.why);
        out.put("connectMs", connectMs);
        out.put("publishes", o.publishes);
        out.put("intervalMs", o.interval);
        out.put("drainAtMs", o.drainAt);
        out.put("primers", o.primers);
        out.put("expectedDeliveries", expected);
        out.put("delivered", delivered);
        out.put("p50", percentile(lat, 50));
        out.put("p99", percentile(lat, 99));
        out.put("max", lat.length > 0 ? lat[lat.length - 1] / 1e6 : Double.NaN);
        out.put("fanoutSpanMedianMs", medianMs(spans));
        out.putPOJO("fanoutSpansMs", spans.stream().map(s -> Math.round(s / 1e6)).toList());
        // Publish to first delivery: the server's fixed path (HTTP, and for Herald its durable write) before fanning out.
        out.put("firstDeliveryMedianMs", medianMs(firsts));
        out.putPOJO("firstDeliveryMs", firsts.stream().map(f -> Math.round(f / 1e5) / 10.0).toList());
        out.put("deliveriesPerSec", spanSum > 0 ? delivered * 1000 / spanSum : Double.NaN);
        out.set("memBefore", mem0);
        out.set("memAfter", mem1);
        int ok = connected.ok;
        out.put("rssPerConn", ok > 0 ? (mem1.get("rss").asDouble() - mem0.get("rss").asDouble()) / ok : Double.NaN);
        if (mem0.has("heapUsed") && ok > 0) {
            out.put("heapPerConn", (mem1.get("heapUsed").asDouble() - mem0.get("heapUsed").asDouble()) / ok);
        } else {
            out.putNull("heapPerConn");
        }
        return out;
    }

    private static void sleepUntil(long startedNanos, int afterMs) throws InterruptedException {
        long wait = startedNanos + afterMs * 1_000_000L - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    /** The middle one (the upper of the two for an even count) of these nanosecond spans, in ms. */
    private static double medianMs(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2) / 1e6;
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
        return sorted[i] / 1e6;
    }

    // ------------------------------------------------------------------ connect + subscribe (one selector)

    record Connected(int ok, int failed, List<String> why) {
    }

    private static final long CONNECT_TIMEOUT_NANOS = 120_000_000_000L;

    private Connected connectAll() throws IOException {
        int ok = 0;
        int failed = 0;
        List<String> why = new ArrayList<>();
        int next = 0;
        int inFlight = 0;
        long deadline = System.nanoTime() + CONNECT_TIMEOUT_NANOS;
        try (Selector selector = Selector.open()) {
            while (ok + failed < o.n) {
                if (System.nanoTime() - deadline > 0) {
                    // A server that stopped answering: what is still in flight or not started has failed.
                    for (SelectionKey key : selector.keys()) {
                        ((Sub) key.attachment()).close();
                    }
                    if (why.size() < 5) {
                        why.add("no subscription within " + CONNECT_TIMEOUT_NANOS / 1_000_000_000 + " s");
                    }
                    failed += o.n - ok - failed;
                    break;
                }
                while (inFlight < o.inflight && next < o.n) {
                    Sub sub = new Sub(next++);
                    subs.add(sub);
                    if (sub.channel.connect(new InetSocketAddress("127.0.0.1", wsPort()))) {
                        sub.connected();
                        sub.channel.register(selector, SelectionKey.OP_READ, sub);
                    } else {
                        sub.channel.register(selector, SelectionKey.OP_CONNECT, sub);
                    }
                    inFlight++;
                }
                selector.select(1000);
                for (SelectionKey key : selector.selectedKeys()) {
                    Sub sub = (Sub) key.attachment();
                    String failure = null;
                    try {
                        if (key.isConnectable()) {
                            sub.channel.finishConnect();
                            sub.connected();
                            key.interestOps(SelectionKey.OP_READ);
                        } else if (key.isReadable() && !sub.readSome()) {
                            failure = sub.failure != null ? sub.failure : "closed " + sub.closeCode;
                        }
                        if (failure == null && sub.failure != null) {
                            failure = sub.failure;
                        }
                    } catch (IOException e) {
                        failure = String.valueOf(e.getMessage());
                    }
                    if (failure != null || sub.subscribed) {
                        key.cancel();
                        inFlight--;
                        if (failure != null) {
                            failed++;
                            if (why.size() < 5) {
                                why.add(failure);
                            }
                            sub.close();
                        } else {
                            ok++;
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        return new Connected(ok, failed, why);
    }

    private String handshake(int index) {
        JsonNode tokens = o.config.path("tokens");
        String path = switch (o.target) {
            case "herald" -> "/api/v1/realtime?token="
                    + URLEncoder.encode(tokens.get(index % tokens.size()).asText(), StandardCharsets.UTF_8);
            case "floor" -> "/";
            default -> "/app/" + o.config.get("key").asText() + "?protocol=7&client=js&version=8.4.0";
        };
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + wsPort() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    }

    private int wsPort() {
        return o.target.equals("herald") ? o.config.get("wsPort").asInt() : o.config.get("port").asInt();
    }

    // ------------------------------------------------------------------ measuring: read after the fan-out, kernel arrival times

    /** Reads whatever every socket has, without waiting; each frame gets the arrival time the kernel recorded. */
    private void drain() throws IOException {
        for (Sub sub : subs) {
            if (sub.subscribed && !sub.closed) {
                sub.drain();
            }
        }
    }

    private static final Pattern MARKED = Pattern.compile("bench\\|(\\d+)\\|(\\d+)\\|");

    private void delivery(String text, long arrival) {
        if (!armed) {
            return;
        }
        Matcher m = MARKED.matcher(text);
        if (!m.find()) {
            return;
        }
        int seq = Integer.parseInt(m.group(1));
        long sent = Long.parseLong(m.group(2));
        if (delivered < latencies.length) {
            latencies[delivered++] = arrival - sent;
        }
        counts[seq]++;
        lastArrival[seq] = Math.max(lastArrival[seq], arrival);
        firstArrival[seq] = Math.min(firstArrival[seq], arrival);
    }

    // ------------------------------------------------------------------ publishing and memory

    private static long wallNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private long publish(int seq) throws Exception {
        long sent = wallNanos();
        String content = MARK + seq + "|" + sent + "|fan-out bench message";
        JsonNode c = o.config;
        HttpRequest request = switch (o.target) {
            case "floor" -> HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.get("publishPort").asInt() + "/publish"))
                    .POST(HttpRequest.BodyPublishers.ofString(content)).build();
            case "herald" -> HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.get("port").asInt() + "/api/v1/messages"))
                    .header("authorization", "Bearer " + c.get("tokens").get(0).asText())
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                            JSON.createObjectNode().put("channel_id", c.get("channel").asText()).put("content", content))))
                    .build();
            default -> pusherTrigger(content);
        };
        HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() >= 300) {
            throw new IOException("publish " + seq + ": HTTP " + res.statusCode() + " " + res.body());
        }
        return sent;
    }

    private HttpRequest pusherTrigger(String content) throws Exception {
        JsonNode c = o.config;
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("name", "message")
                .put("data", content).set("channels", JSON.createArrayNode().add(o.pusherChannel())));
        String path = "/apps/" + c.get("appId").asText() + "/events";
        String params = "auth_key=" + c.get("key").asText() + "&auth_timestamp=" + Instant.now().getEpochSecond()
                + "&auth_version=1.0&body_md5=" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body.getBytes(StandardCharsets.UTF_8)));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(c.get("secret").asText().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = HexFormat.of().formatHex(mac.doFinal(("POST\n" + path + "\n" + params).getBytes(StandardCharsets.UTF_8)));
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.get("port").asInt() + path + "?" + params + "&auth_signature=" + signature))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private JsonNode memory() throws Exception {
        if (o.target.equals("herald")) {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + o.config.get("memPort").asInt() + "/mem")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(res.body());
        }
        return JSON.createObjectNode().put("rss", rssOf(o.config.get("pid").asLong()));
    }

    private static long rssOf(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    // A Node server's RSS keeps falling for a while after a busy run (V8 shrinks its heap when allocation stops):
    // take the baseline once it has stopped moving (< 1 MiB over 2 s). Herald's baseline is taken after forced GCs.
    private void settled(long pid) throws Exception {
        List<Long> readings = new ArrayList<>(List.of(rssOf(pid)));
        for (int i = 0; i < 60; i++) {
            Thread.sleep(500);
            readings.add(rssOf(pid));
            List<Long> recent = readings.subList(Math.max(0, readings.size() - 5), readings.size());
            if (recent.size() == 5 && recent.stream().mapToLong(Long::longValue).max().orElseThrow()
                    - recent.stream().mapToLong(Long::longValue).min().orElseThrow() < 1 << 20) {
                return;
            }
        }
        log("RSS still moving after 30 s: " + readings.subList(readings.size() - 5, readings.size()));
    }

    void closeAll() {
        for (Sub sub : subs) {
            sub.close();
        }
    }

    private static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ one subscriber: a minimal RFC 6455 client

    /**
     * Handshake with the Sec-WebSocket-Accept check, masked client frames, fragments, pong, close; nothing more, the
     * same for every target apart from the subscribe message.
     */
    final class Sub {
        final int index;
        final SocketChannel channel;
        int fd = -1;
        byte[] buf = new byte[512];
        int len;
        boolean open;
        boolean subscribed;
        boolean closed;
        int closeCode = 1006;
        String failure;
        private ByteArrayOutputStream fragments;

        Sub(int index) throws IOException {
            this.index = index;
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }

        /** Once the TCP connection is up: arrival timestamps on, the upgrade request out. */
        void connected() throws IOException {
            fd = nat.fd(channel);
            nat.timestamps(fd);
            write(handshake(index).getBytes(StandardCharsets.ISO_8859_1));
        }

        /** Connect phase: reads what the socket has; false when it was closed. */
        boolean readSome() throws IOException {
            for (;;) {
                ensureRoom();
                int n = channel.read(ByteBuffer.wrap(buf, len, buf.length - len));
                if (n < 0) {
                    closed = true;
                    return false;
                }
                if (n == 0) {
                    return !closed;
                }
                len += n;
                parse(System.currentTimeMillis() * 1_000_000L);
                if (closed) {
                    return false;
                }
            }
        }

        /** Measuring phase: reads everything queued on the socket through recvmsg, with its kernel arrival time. */
        void drain() throws IOException {
            for (;;) {
                ensureRoom();
                int n = nat.recv(fd, buf, len);
                if (n < 0) {
                    return; // nothing queued
                }
                if (n == 0) {
                    closed = true;
                    return;
                }
                len += n;
                parse(nat.arrival);
            }
        }

        private void ensureRoom() {
            if (buf.length - len < 256) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
        }

        private void parse(long arrival) throws IOException {
            int pos = 0;
            if (!open) {
                int end = indexOf(buf, len, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                if (end < 0) {
                    return;
                }
                String head = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
                String acceptHeader = head.lines().filter(l -> l.toLowerCase().startsWith("sec-websocket-accept:"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
                if (!head.startsWith("HTTP/1.1 101") || !acceptHeader.equals(ACCEPT)) {
                    failure = "handshake: " + head.lines().findFirst().orElse("");
                    closed = true;
                    return;
                }
                open = true;
                pos = end + 4;
                if (!o.target.equals("soketi")) {
                    text("{\"type\":\"subscribe\",\"stream\":\"channel:" + o.config.path("channel").asText() + "\"}");
                }
            }
            while (len - pos >= 2) {
                boolean fin = (buf[pos] & 0x80) != 0;
                int opcode = buf[pos] & 0x0f;
                long size = buf[pos + 1] & 0x7f;
                int header = 2;
                if (size == 126) {
                    if (len - pos < 4) {
                        break;
                    }
                    size = ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
                    header = 4;
                } else if (size == 127) {
                    if (len - pos < 10) {
                        break;
                    }
                    size = ByteBuffer.wrap(buf, pos + 2, 8).getLong();
                    header = 10;
                }
                if (len - pos < header + size) {
                    break;
                }
                int start = pos + header;
                int end = (int) (start + size);
                pos = end;
                switch (opcode) {
                    case 0x1, 0x0 -> {
                        if (!fin || fragments != null) {
                            if (fragments == null) {
                                fragments = new ByteArrayOutputStream();
                            }
                            fragments.write(buf, start, end - start);
                            if (fin) {
                                onText(fragments.toString(StandardCharsets.UTF_8), arrival);
                                fragments = null;
                            }
                        } else {
                            onText(new String(buf, start, end - start, StandardCharsets.UTF_8), arrival);
                        }
                    }
                    case 0x9 -> frame(0xa, Arrays.copyOfRange(buf, start, end));
                    case 0x8 -> {
                        closeCode = size >= 2 ? ((buf[start] & 0xff) << 8) | (buf[start + 1] & 0xff) : 1005;
                        frame(0x8, Arrays.copyOfRange(buf, start, Math.min(end, start + 2)));
                        closed = true;
                        return;
                    }
                    default -> {
                        // binary and pong frames carry nothing the benchmark needs
                    }
                }
            }
            System.arraycopy(buf, pos, buf, 0, len - pos);
            len -= pos;
        }

        private void onText(String text, long arrival) throws IOException {
            if (text.contains(MARK)) {
                delivery(text, arrival);
            } else if (!o.target.equals("soketi")) {
                if (text.contains("\"type\":\"subscribed\"")) {
                    subscribed = true;
                } else if (text.contains("\"type\":\"error\"")) {
                    failure = text;
                }
            } else if (text.contains("pusher:connection_established")) {
                text("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + o.pusherChannel() + "\"}}");
            } else if (text.contains("pusher_internal:subscription_succeeded")) {
                subscribed = true;
            } else if (text.contains("\"pusher:ping\"")) {
                text("{\"event\":\"pusher:pong\",\"data\":{}}");
            } else if (text.contains("pusher:error")) {
                failure = text;
            }
        }

        private void text(String text) throws IOException {
            frame(0x1, text.getBytes(StandardCharsets.UTF_8));
        }

        private void frame(int opcode, byte[] payload) throws IOException {
            int n = payload.length;
            int header = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
            ByteBuffer out = ByteBuffer.allocate(header + 4 + n);
            out.put((byte) (0x80 | opcode));
            if (n < 126) {
                out.put((byte) (0x80 | n));
            } else if (n <= 0xffff) {
                out.put((byte) (0x80 | 126)).putShort((short) n);
            } else {
                out.put((byte) (0x80 | 127)).putLong(n);
            }
            out.put(MASK);
            for (int i = 0; i < n; i++) {
                out.put((byte) (payload[i] ^ MASK[i & 3]));
            }
            write(out.array());
        }

        /** Client frames are a few hundred bytes at most: a fresh socket's send buffer always takes them whole. */
        void write(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            channel.write(b);
            if (b.hasRemaining()) {
                throw new IOException("send buffer full");
            }
        }

        void close() {
            closed = true;
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private static int indexOf(byte[] hay, int len, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= len; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ------------------------------------------------------------------ libc: SO_TIMESTAMPNS and recvmsg (x86-64 Linux)

    /** The few libc calls Java's sockets do not offer: receive timestamps. One instance, used from one thread. */
    static final class Native {
        private static final int SOL_SOCKET = 1;
        private static final int SO_TIMESTAMPNS = 35; // SCM_TIMESTAMPNS has the same number
        private static final int MSG_DONTWAIT = 0x40;
        private static final int EAGAIN = 11;
        private static final int CHUNK = 64 * 1024;

        private final Arena arena = Arena.ofAuto();
        private final MethodHandle setsockopt;
        private final MethodHandle recvmsg;
        private final StructLayout captureLayout = Linker.Option.captureStateLayout();
        private final VarHandle errno = captureLayout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        private final MemorySegment capture = arena.allocate(captureLayout);
        private final MemorySegment one = arena.allocate(JAVA_INT);
        private final MemorySegment data = arena.allocate(CHUNK);
        private final MemorySegment control = arena.allocate(128, 8);
        private final MemorySegment iov = arena.allocate(16, 8);
        private final MemorySegment msg = arena.allocate(56, 8);
        /** When the bytes the last {@link #recv} returned reached the socket: wall-clock nanoseconds. */
        long arrival;

        Native() {
            Linker linker = Linker.nativeLinker();
            setsockopt = linker.downcallHandle(linker.defaultLookup().find("setsockopt").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
                    Linker.Option.captureCallState("errno"));
            recvmsg = linker.downcallHandle(linker.defaultLookup().find("recvmsg").orElseThrow(),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT),
                    Linker.Option.captureCallState("errno"));
            one.set(JAVA_INT, 0, 1);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, CHUNK);
            msg.set(ADDRESS, 0, MemorySegment.NULL); // msg_name
            msg.set(JAVA_INT, 8, 0); // msg_namelen
            msg.set(ADDRESS, 16, iov); // msg_iov
            msg.set(JAVA_LONG, 24, 1); // msg_iovlen
            msg.set(ADDRESS, 32, control); // msg_control
        }

        int fd(SocketChannel channel) {
            return ((sun.nio.ch.SelChImpl) channel).getFDVal();
        }

        void timestamps(int fd) throws IOException {
            try {
                int r = (int) setsockopt.invokeExact(capture, fd, SOL_SOCKET, SO_TIMESTAMPNS, one, (int) JAVA_INT.byteSize());
                if (r != 0) {
                    throw new IOException("setsockopt(SO_TIMESTAMPNS): errno " + (int) errno.get(capture, 0L));
                }
            } catch (IOException e) {
                throw e;
            } catch (Throwable e) {
                throw new IOException(e);
            }
        }

        /**
         * recvmsg without waiting into {@code into[at…]}: the number of bytes read (their receive timestamp in
         * {@link #arrival}), 0 at the end of the stream, -1 when nothing is queued.
         */
        int recv(int fd, byte[] into, int at) throws IOException {
            int room = Math.min(CHUNK, into.length - at);
            iov.set(JAVA_LONG, 8, room);
            msg.set(JAVA_LONG, 40, control.byteSize()); // msg_controllen, overwritten by every call
            msg.set(JAVA_INT, 48, 0);
            long n;
            try {
                n = (long) recvmsg.invokeExact(capture, fd, msg, MSG_DONTWAIT);
            } catch (Throwable e) {
                throw new IOException(e);
            }
            if (n == 0) {
                return 0;
            }
            if (n < 0) {
                int err = (int) errno.get(capture, 0L);
                if (err == EAGAIN) {
                    return -1;
                }
                throw new IOException("recvmsg: errno " + err);
            }
            MemorySegment.copy(data, JAVA_BYTE, 0, into, at, (int) n);
            long controlLen = msg.get(JAVA_LONG, 40);
            for (long off = 0; off + 16 <= controlLen; ) {
                long cmsgLen = control.get(JAVA_LONG, off);
                int level = control.get(JAVA_INT, off + 8);
                int type = control.get(JAVA_INT, off + 12);
                if (level == SOL_SOCKET && type == SO_TIMESTAMPNS && cmsgLen >= 32) {
                    arrival = control.get(JAVA_LONG, off + 16) * 1_000_000_000L + control.get(JAVA_LONG, off + 24);
                    return (int) n;
                }
                if (cmsgLen < 16) {
                    break;
                }
                off += (cmsgLen + 7) & ~7L;
            }
            throw new IOException("recvmsg: no receive timestamp");
        }
    }
}
