package dev.herald.realtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One selector thread of the {@link Gateway}: it reads its sockets, writes their queued frames, and
 * runs what other threads hand it ({@link #execute}, {@link #flush}). A fan-out to many sockets is
 * therefore written by every loop in parallel, each socket's frames in order. Once a second it
 * drops handshakes that take too long, pings each open socket once a heartbeat (spread out, see
 * {@link #firstPing}) and drops those that sent nothing, not even the pong, from one ping to the next
 * (peers that vanished without closing).
 */
final class GatewayLoop implements Runnable {
    private static final Logger LOG = Logger.getLogger(GatewayLoop.class.getName());
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final RealtimeHub hub;
    private final Selector selector;
    private final Thread thread;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Queue<WsSocket> flushes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeRequested = new AtomicBoolean();
    private final long heartbeatNanos;
    private final long sweepNanos;
    /** Sockets still shaking hands, oldest first. */
    private final ArrayDeque<WsSocket> handshaking = new ArrayDeque<>();
    private volatile boolean running = true;
    private long now = System.nanoTime();

    GatewayLoop(RealtimeHub hub, String name, Duration heartbeat) throws IOException {
        this.hub = hub;
        this.heartbeatNanos = heartbeat.toNanos();
        this.sweepNanos = Math.min(1_000_000_000L, heartbeatNanos);
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name(name).unstarted(this);
    }

    void start() {
        thread.start();
    }

    /** The loop's clock, read once per round: frames use it to note when a client was last heard. */
    long now() {
        return now;
    }

    void accept(SocketChannel channel) {
        execute(() -> {
            try {
                channel.configureBlocking(false);
                WsSocket socket = new WsSocket(channel, this, hub, now);
                socket.nextPingNanos = firstPing();
                socket.registered(channel.register(selector, SelectionKey.OP_READ, socket));
                handshaking.add(socket);
            } catch (IOException e) {
                closeQuietly(channel);
            }
        });
    }

    void execute(Runnable task) {
        tasks.add(task);
        wake();
    }

    void flush(WsSocket socket) {
        flushes.add(socket);
        wake();
    }

    private void wake() {
        if (Thread.currentThread() != thread && wakeRequested.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    @Override
    public void run() {
        long nextSweep = now + sweepNanos;
        while (running) {
            try {
                wakeRequested.set(false);
                runQueued();
                if (!running) {
                    return; // stopped by a task just run: no more selecting
                }
                int ready = tasks.isEmpty() && flushes.isEmpty() ? selector.select(sweepNanos / 1_000_000) : selector.selectNow();
                now = System.nanoTime();
                if (ready > 0) {
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        handle(key);
                    }
                }
                if (now - nextSweep >= 0) {
                    nextSweep = now + sweepNanos;
                    sweep();
                }
            } catch (ClosedSelectorException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "Realtime gateway loop", e);
            }
        }
    }

    private void runQueued() {
        for (Runnable task; (task = tasks.poll()) != null; ) {
            task.run();
        }
        for (WsSocket socket; (socket = flushes.poll()) != null; ) {
            socket.flush();
        }
    }

    private void handle(SelectionKey key) {
        WsSocket socket = (WsSocket) key.attachment();
        try {
            if (key.isValid() && key.isWritable()) {
                socket.flush();
            }
            if (key.isValid() && key.isReadable()) {
                socket.readable(readBuffer);
            }
        } catch (java.nio.channels.CancelledKeyException e) {
            socket.gone();
        }
    }

    private void sweep() {
        while (!handshaking.isEmpty()) {
            WsSocket oldest = handshaking.peekFirst();
            if (oldest.state() == WsSocket.State.HANDSHAKE || oldest.state() == WsSocket.State.AUTHENTICATING) {
                if (now - oldest.acceptedNanos < HANDSHAKE_TIMEOUT.toNanos()) {
                    break;
                }
                oldest.gone();
            }
            handshaking.pollFirst();
        }
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof WsSocket socket && socket.state() == WsSocket.State.OPEN) {
                if (now - socket.nextPingNanos < 0) {
                    continue;
                }
                if (socket.pingedNanos != 0 && socket.lastHeardNanos - socket.pingedNanos < 0) {
                    socket.gone(); // nothing, not even the pong, in a whole heartbeat since the last ping
                } else {
                    socket.pingedNanos = now;
                    socket.nextPingNanos = now + heartbeatNanos;
                    socket.ping();
                }
            }
        }
    }

    /**
     * When a new socket is first pinged: one heartbeat after it connected, plus up to half a heartbeat at
     * random, so that sockets which connected together (a deploy, a reconnect wave) are not all pinged,
     * and do not all answer, in the same instant.
     */
    long firstPing() {
        return now + heartbeatNanos + java.util.concurrent.ThreadLocalRandom.current().nextLong(heartbeatNanos / 2 + 1);
    }

    /** Says goodbye to every socket (code 1001) and stops; the hub forgets this node's subscriptions itself. */
    void close() {
        execute(() -> {
            running = false;
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof WsSocket socket) {
                    socket.stop();
                }
            }
        });
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing a selector", e);
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to release
        }
    }
}
