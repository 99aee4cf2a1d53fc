package dev.herald.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.auth.Credential;
import dev.herald.web.Json;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One authenticated WebSocket client and its protocol: the JSON frames it sends (subscribe,
 * unsubscribe, typing, ping) and the subscriptions it holds. Its {@link WsSocket} does the bytes.
 * Frames are handled one at a time, in order, on a virtual thread (a subscribe may read the
 * database), never on the gateway's loop.
 */
final class Connection implements RealtimeHub.FeedClient {
    static final int SLOW_CONSUMER = 4008;
    private static final int POLICY_VIOLATION = 1008;
    /** Client frames waiting to be handled; a client that sends faster than that is misbehaving. */
    private static final int MAX_PENDING_FRAMES = 1_000;
    /** How long a cut-off client gets to read up to the close frame before its socket is closed under it. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final RealtimeHub hub;
    private final WsSocket socket;
    private final Credential.User user;
    private Map<String, Object> subs;       // guarded by this
    private ArrayDeque<String> inbox;       // guarded by this
    private boolean handling;               // guarded by this
    private volatile boolean gone;

    Connection(RealtimeHub hub, WsSocket socket, Credential.User user) {
        this.hub = hub;
        this.socket = socket;
        this.user = user;
    }

    String userId() {
        return user.userId();
    }

    /** Its socket, for fan-outs that hand frames to the socket's loop ({@link FanOut}). */
    WsSocket socket() {
        return socket;
    }

    Credential.User user() {
        return user;
    }

    /** A text message from the client (the loop thread): queued for the connection's handler. */
    void received(String text) {
        boolean start;
        synchronized (this) {
            if (gone) {
                return;
            }
            if (inbox == null) {
                inbox = new ArrayDeque<>(4);
            }
            if (inbox.size() >= MAX_PENDING_FRAMES) {
                inbox = null;
                socket.closeNow(POLICY_VIOLATION, "too many frames in flight");
                return;
            }
            inbox.add(text);
            start = !handling;
            handling = true;
        }
        if (start) {
            Thread.startVirtualThread(this::handleAll);
        }
    }

    private void handleAll() {
        for (;;) {
            String text;
            synchronized (this) {
                text = inbox == null ? null : inbox.poll();
                if (text == null) {
                    inbox = null;
                    handling = false;
                    return;
                }
            }
            if (!gone) {
                handle(text);
            }
        }
    }

    private void handle(String text) {
        JsonNode frame;
        try {
            frame = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            error("invalid_frame", "Frames are JSON objects.", null);
            return;
        }
        String stream = frame.path("stream").isTextual() ? frame.path("stream").asText() : null;
        switch (frame.path("type").asText("")) {
            case "subscribe" -> hub.subscribe(this, stream,
                    frame.path("offset").canConvertToLong() ? frame.path("offset").asLong() : null,
                    frame.path("epoch").isTextual() ? frame.path("epoch").asText() : null);
            case "unsubscribe" -> hub.unsubscribe(this, stream);
            case "typing" -> hub.typing(this, stream != null ? stream
                    : frame.path("channel").isTextual() ? ChannelEvents.stream(frame.path("channel").asText()) : null);
            case "ping" -> send("{\"type\":\"pong\"}");
            default -> error("unknown_type", "Frame types are subscribe, unsubscribe, typing and ping.", stream);
        }
    }

    // --- subscriptions, keyed by stream name

    synchronized int subscriptions() {
        return subs == null ? 0 : subs.size();
    }

    synchronized Object subscription(String stream) {
        return subs == null ? null : subs.get(stream);
    }

    synchronized void put(String stream, Object sub) {
        if (subs == null) {
            subs = new HashMap<>(4);
        }
        subs.put(stream, sub);
    }

    synchronized Object take(String stream) {
        return subs == null ? null : subs.remove(stream);
    }

    synchronized List<Object> all() {
        return subs == null ? List.of() : new ArrayList<>(subs.values());
    }

    synchronized List<Object> takeAll() {
        List<Object> out = all();
        subs = null;
        return out;
    }

    // --- sending

    void error(String code, String message, String stream) {
        Map<String, Object> frame = new LinkedHashMap<>();
        frame.put("type", "error");
        frame.put("code", code);
        frame.put("message", message);
        frame.put("stream", stream);
        send(Json.string(frame));
    }

    @Override
    public void notification(String id, String json) {
        send("{\"type\":\"event\",\"stream\":\"feed\",\"event\":\"notification.created\",\"data\":" + json + "}");
    }

    @Override
    public void badges(String json) {
        send("{\"type\":\"badges\",\"stream\":\"feed\",\"data\":" + json + "}");
    }

    @Override
    public void recoveryFailed() {
        send("{\"type\":\"recovery_failed\",\"stream\":\"feed\"}");
    }

    /** Queues a frame; never blocks. Overflowing the socket's queue cuts the client off. */
    void send(String frame) {
        socket.send(WsFrame.text(frame));
    }

    void send(WsFrame frame) {
        socket.send(frame);
    }

    /** Closes the socket under a client that did not read up to its close frame in time. */
    void terminate() {
        socket.gone();
    }

    /** The socket closed: drop everything the connection held. */
    void gone() {
        synchronized (this) {
            if (gone) {
                return;
            }
            gone = true;
            inbox = null;
        }
        Thread.startVirtualThread(() -> hub.release(this)); // it writes presence: not on the gateway's loop
    }
}
