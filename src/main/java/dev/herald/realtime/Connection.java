package dev.herald.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.auth.Credential;
import dev.herald.web.ApiException;
import dev.herald.web.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One WebSocket client. Helidon reads on the connection's own virtual thread and calls us; every
 * frame we send goes through a bounded queue drained by one writer at a time (Helidon's session is
 * not safe for concurrent sends), so the hub never waits on a client. A client whose queue overflows
 * is cut off with close code {@value #SLOW_CONSUMER}. Idle, a connection holds little more than this
 * object: the queue and the writer thread exist only while frames are pending.
 */
final class Connection implements WsListener, RealtimeHub.FeedClient {
    static final int MAX_QUEUED_FRAMES = 1_000;
    /** Characters of JSON, about bytes for the ASCII-heavy frames. */
    static final int MAX_QUEUED_CHARS = 1 << 20;
    static final int SLOW_CONSUMER = 4008;
    private static final int MAX_CLIENT_FRAME = 64 * 1024;
    /** How long a cut-off client gets to read up to the close frame before its socket is closed under it. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final RealtimeHub hub;
    private Credential.User user;
    private volatile WsSession session;
    private StringBuilder partial;
    private Map<String, Object> subs;       // guarded by this
    private ArrayDeque<String> queue;       // guarded by this
    private int queuedChars;                // guarded by this
    private boolean writing;                // guarded by this
    private int closeCode;                  // guarded by this: once set, nothing more is queued
    private String closeReason;             // guarded by this
    private volatile boolean gone;

    Connection(RealtimeHub hub) {
        this.hub = hub;
    }

    String userId() {
        return user.userId();
    }

    Credential.User user() {
        return user;
    }

    // --- Helidon's callbacks, on the connection's reading thread

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        try {
            user = hub.authenticate(headers.first(HeaderNames.AUTHORIZATION).orElse(null),
                    prologue.query().first("token").orElse(null));
        } catch (ApiException e) {
            // Refused before the upgrade: the request goes on to the HTTP route, which answers 401/403.
            throw new WsUpgradeException(e.getMessage());
        }
        return Optional.empty();
    }

    @Override
    public void onOpen(WsSession session) {
        this.session = session;
        hub.opened(this);
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        if (partial == null && last) {
            handle(text);
            return;
        }
        partial = partial == null ? new StringBuilder(text) : partial.append(text);
        if (partial.length() > MAX_CLIENT_FRAME) {
            partial = null;
            close(WsCloseCodes.TOO_BIG, "frame too large");
        } else if (last) {
            String whole = partial.toString();
            partial = null;
            handle(whole);
        }
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        gone();
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        gone();
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

    /** Queues a frame; never blocks. Overflowing the queue cuts the client off. */
    void send(String frame) {
        boolean start;
        boolean overflow;
        synchronized (this) {
            if (closeCode != 0 || gone) {
                return;
            }
            if (queue == null) {
                queue = new ArrayDeque<>();
            }
            overflow = queue.size() >= MAX_QUEUED_FRAMES || queuedChars + frame.length() > MAX_QUEUED_CHARS;
            if (overflow) {
                queue = null;
                queuedChars = 0;
                start = closeLocked(SLOW_CONSUMER, "slow consumer");
            } else {
                queue.add(frame);
                queuedChars += frame.length();
                start = !writing;
                writing = true;
            }
        }
        if (overflow) {
            hub.slowConsumer(this, CLOSE_GRACE);
        }
        if (start) {
            Thread.startVirtualThread(this::drain);
        }
    }

    /** Sends a close frame once what is queued has gone out. */
    private void close(int code, String reason) {
        boolean start;
        synchronized (this) {
            if (closeCode != 0) {
                return;
            }
            start = closeLocked(code, reason);
        }
        if (start) {
            Thread.startVirtualThread(this::drain);
        }
    }

    private boolean closeLocked(int code, String reason) {
        closeCode = code;
        closeReason = reason;
        if (writing) {
            return false;
        }
        writing = true;
        return true;
    }

    private void drain() {
        for (;;) {
            String frame;
            int code;
            String reason;
            synchronized (this) {
                frame = queue == null ? null : queue.poll();
                code = closeCode;
                reason = closeReason;
                if (frame != null) {
                    queuedChars -= frame.length();
                } else {
                    queue = null;
                    if (code == 0) {
                        writing = false;
                        return;
                    }
                }
            }
            try {
                if (frame == null) {
                    // writing stays true: nothing is sent after the close frame.
                    session.close(code, reason);
                    return;
                }
                session.send(frame, true);
            } catch (RuntimeException e) {
                gone();
                return;
            }
        }
    }

    /** Closes the socket under a client that did not read up to its close frame in time. */
    void terminate() {
        if (!gone && session instanceof ServerConnection connection) {
            connection.close(true);
        }
        gone();
    }

    private void gone() {
        synchronized (this) {
            if (gone) {
                return;
            }
            gone = true;
            queue = null;
        }
        hub.release(this);
    }
}
