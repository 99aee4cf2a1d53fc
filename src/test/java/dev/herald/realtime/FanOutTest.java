package dev.herald.realtime;

import dev.herald.TestServer;
import dev.herald.auth.Credential;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A fan-out's frames travel to the socket's loop as a task. The loop here is started only once the
 * test has lined up what happens meanwhile, so the order of events is fixed, not left to timing.
 */
class FanOutTest {
    @Test
    void aSubscriptionThatEndsWhileItsFrameIsOnTheWayGetsNothingAfterItsUnsubscribed() throws Exception {
        assertEquals(List.of("unsubscribed"), deliver(true));
    }

    @Test
    void aLiveSubscriptionGetsTheFrameAfterWhatWasQueuedBeforeIt() throws Exception {
        assertEquals(List.of("queued first", "event"), deliver(false));
    }

    /** Fans "event" out to one subscriber, then (the loop not running yet) queues a frame of its own, then runs the loop. */
    private static List<String> deliver(boolean endFirst) throws Exception {
        RealtimeHub hub = TestServer.get().services().realtime();
        GatewayLoop loop = new GatewayLoop(hub, "fan-out-test", Duration.ofMinutes(1));
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel client = SocketChannel.open(listener.getLocalAddress());
             SocketChannel server = listener.accept()) {
            server.setOption(StandardSocketOptions.TCP_NODELAY, true);
            server.configureBlocking(false);
            WsSocket socket = new WsSocket(server, loop, hub, System.nanoTime());
            Connection connection = new Connection(hub, socket, new Credential.User("tok_test", "user_test"));
            RealtimeHub.ChannelSub sub = new RealtimeHub.ChannelSub(connection,
                    new RealtimeHub.ChannelStream("channel:test", "test"));

            FanOut fanOut = new FanOut(WsFrame.text("event"));
            fanOut.add(sub);
            fanOut.finish();
            if (endFirst) {
                sub.end(); // what the hub does before it tells the client
                socket.send(WsFrame.text("unsubscribed"));
            } else {
                socket.send(WsFrame.text("queued first"));
            }
            loop.start();
            return readTexts(client, Duration.ofMillis(500));
        } finally {
            loop.close();
        }
    }

    /** The text frames (unmasked, short) that arrive within {@code quiet} of each other. */
    private static List<String> readTexts(SocketChannel client, Duration quiet) throws IOException {
        client.socket().setSoTimeout((int) quiet.toMillis());
        var in = client.socket().getInputStream();
        List<String> texts = new ArrayList<>();
        try {
            for (;;) {
                int b0 = in.read();
                if (b0 < 0) {
                    return texts;
                }
                int length = in.read() & 0x7F;
                byte[] payload = in.readNBytes(length);
                assertEquals(0x81, b0, "a final text frame");
                texts.add(new String(payload, StandardCharsets.UTF_8));
            }
        } catch (java.net.SocketTimeoutException e) {
            return texts;
        }
    }
}
