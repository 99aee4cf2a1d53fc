package dev.herald.realtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The WebSocket endpoint ({@code /api/v1/realtime}) on a port of its own. Herald's HTTP server gives
 * every connection a thread and an 8 KB read buffer for its whole life; a realtime client is mostly
 * idle, so here a few selector threads ({@link GatewayLoop}) serve them all and an idle connection
 * costs a socket and a few small objects. One acceptor thread hands new sockets to the loops in turn.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());
    /** How often open sockets are pinged; one silent through two of these is dropped. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(30);

    private final ServerSocketChannel server;
    private final GatewayLoop[] loops;
    private final Thread acceptor;
    private volatile boolean open = true;

    public Gateway(RealtimeHub hub, String host, int port, int threads, Duration heartbeat) {
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), 4096);
            loops = new GatewayLoop[threads];
            for (int i = 0; i < threads; i++) {
                loops[i] = new GatewayLoop(hub, "realtime-loop-" + i, heartbeat);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not open the realtime port " + host + ":" + port, e);
        }
        acceptor = Thread.ofPlatform().name("realtime-accept").unstarted(this::acceptLoop);
    }

    public Gateway start() {
        for (GatewayLoop loop : loops) {
            loop.start();
        }
        acceptor.start();
        return this;
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    private void acceptLoop() {
        int next = 0;
        while (open) {
            try {
                SocketChannel channel = server.accept();
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                loops[next].accept(channel);
                next = (next + 1) % loops.length;
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // Out of file descriptors, most likely: back off instead of spinning on the same error.
                LOG.log(Level.WARNING, "Realtime gateway could not accept a connection", e);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** Stops accepting, says goodbye to every client (close code 1001) and stops the loops. */
    @Override
    public void close() {
        open = false;
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the realtime port", e);
        }
        for (GatewayLoop loop : loops) {
            loop.close();
        }
    }
}
