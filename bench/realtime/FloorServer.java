import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * bench/realtime's floor: the least a WebSocket server can do for the benchmark on this machine. It upgrades any
 * request, answers any first client frame with {@code {"type":"subscribed"}} and, on {@code POST /publish}, writes
 * the body as one text frame to every socket, from one selector thread per core, each socket one write. No
 * authentication, no JSON, no database, no queues beyond a partly written frame. Whatever latency and rate it gets
 * is what the kernel and the driver leave for any server on these cores.
 *
 * <p>Prints {@code {"port","publishPort","pid"}} and runs until stdin closes. Not a test: run.sh starts it.
 */
public final class FloorServer {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final byte[] SUBSCRIBED = frame("{\"type\":\"subscribed\"}".getBytes(StandardCharsets.UTF_8));

    public static void main(String[] args) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        List<Loop> loops = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Loop loop = new Loop();
            loops.add(loop);
            Thread.ofPlatform().daemon().name("floor-loop-" + i).start(loop);
        }
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
        Thread.ofPlatform().daemon().name("floor-accept").start(() -> {
            int next = 0;
            try {
                for (;;) {
                    SocketChannel channel = server.accept();
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    loops.get(next++ % loops.size()).add(channel);
                }
            } catch (IOException e) {
                // closed
            }
        });
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        http.createContext("/publish", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            byte[] encoded = frame(body);
            loops.forEach(loop -> loop.publish(encoded));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        http.start();
        System.out.println("{\"port\":" + server.socket().getLocalPort() + ",\"publishPort\":" + http.getAddress().getPort()
                + ",\"pid\":" + ProcessHandle.current().pid() + "}");
        System.out.flush();
        while (System.in.read() >= 0) {
            // until stdin closes
        }
        http.stop(0);
        server.close();
    }

    /** A text frame; the floor only ever sends short ones (the subscribe answer and the bench's messages). */
    static byte[] frame(byte[] payload) {
        if (payload.length > 0xFFFF) {
            throw new IllegalArgumentException("the floor sends frames of at most 64 KiB");
        }
        ByteBuffer out = ByteBuffer.allocate(4 + payload.length).put((byte) 0x81);
        if (payload.length < 126) {
            out.put((byte) payload.length);
        } else {
            out.put((byte) 126).putShort((short) payload.length);
        }
        return Arrays.copyOf(out.put(payload).array(), out.position());
    }

    /** One selector thread and its sockets. */
    static final class Loop implements Runnable {
        final Selector selector;
        final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        final Set<Client> open = new LinkedHashSet<>();
        final ByteBuffer read = ByteBuffer.allocateDirect(64 * 1024);

        Loop() {
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        void add(SocketChannel channel) {
            tasks.add(() -> {
                try {
                    channel.configureBlocking(false);
                    channel.register(selector, SelectionKey.OP_READ, new Client(channel));
                } catch (IOException e) {
                    close(channel);
                }
            });
            selector.wakeup();
        }

        void publish(byte[] encoded) {
            tasks.add(() -> {
                for (Client client : open) {
                    client.send(ByteBuffer.wrap(encoded), selector);
                }
            });
            selector.wakeup();
        }

        @Override
        public void run() {
            for (;;) {
                try {
                    for (Runnable task; (task = tasks.poll()) != null; ) {
                        task.run();
                    }
                    selector.select();
                    for (SelectionKey key : selector.selectedKeys()) {
                        Client client = (Client) key.attachment();
                        if (key.isValid() && key.isWritable()) {
                            client.flush(key);
                        }
                        if (key.isValid() && key.isReadable()) {
                            client.readable(key, this);
                        }
                    }
                    selector.selectedKeys().clear();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** One socket: the handshake, then a subscribe, then frames out. */
    static final class Client {
        final SocketChannel channel;
        final StringBuilder head = new StringBuilder();
        boolean upgraded;
        boolean subscribed;
        final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();

        Client(SocketChannel channel) {
            this.channel = channel;
        }

        void readable(SelectionKey key, Loop loop) throws IOException {
            loop.read.clear();
            int n;
            try {
                n = channel.read(loop.read);
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                loop.open.remove(this);
                key.cancel();
                close(channel);
                return;
            }
            loop.read.flip();
            if (!upgraded) {
                while (loop.read.hasRemaining()) {
                    head.append((char) (loop.read.get() & 0xFF));
                }
                int end = head.indexOf("\r\n\r\n");
                if (end < 0) {
                    return;
                }
                String key16 = null;
                for (String line : head.substring(0, end).split("\r\n")) {
                    if (line.regionMatches(true, 0, "Sec-WebSocket-Key:", 0, 18)) {
                        key16 = line.substring(18).trim();
                    }
                }
                upgraded = true;
                head.setLength(0);
                send(ByteBuffer.wrap(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + accept(key16) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)), loop.selector);
            } else if (!subscribed && loop.read.hasRemaining()) {
                // Any client frame counts as the subscribe; pongs and the like after it are ignored.
                subscribed = true;
                loop.open.add(this);
                send(ByteBuffer.wrap(SUBSCRIBED), loop.selector);
            }
        }

        void send(ByteBuffer bytes, Selector selector) {
            try {
                if (pending.isEmpty()) {
                    channel.write(bytes);
                    if (!bytes.hasRemaining()) {
                        return;
                    }
                }
                pending.add(bytes);
                channel.keyFor(selector).interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            } catch (IOException e) {
                close(channel);
            }
        }

        void flush(SelectionKey key) throws IOException {
            while (!pending.isEmpty()) {
                ByteBuffer head = pending.peek();
                channel.write(head);
                if (head.hasRemaining()) {
                    return;
                }
                pending.poll();
            }
            key.interestOps(SelectionKey.OP_READ);
        }

        static String accept(String key) {
            try {
                return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static void close(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // gone
        }
    }
}
