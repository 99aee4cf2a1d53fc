package dev.herald.realtime;

import dev.herald.auth.Credential;
import dev.herald.web.ApiException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * One client socket of the {@link Gateway}: the upgrade handshake, RFC 6455 framing, and a bounded
 * queue of frames to write. Reading and writing happen on the socket's {@link GatewayLoop}; any
 * thread may {@link #send} (it queues and asks the loop to flush, never blocks). An idle socket holds
 * no buffers: bytes left over from a read and the write queue exist only while they are in use. A
 * client whose queue overflows is cut off with close code {@value Connection#SLOW_CONSUMER}.
 */
final class WsSocket {
    static final int MAX_QUEUED_FRAMES = 1_000;
    static final int MAX_QUEUED_BYTES = 1 << 20;
    /** Largest message a client may send (after reassembly); clients send small JSON commands. */
    static final int MAX_MESSAGE = 64 * 1024;

    private static final int PROTOCOL_ERROR = 1002;
    private static final int UNSUPPORTED_DATA = 1003;
    private static final int INVALID_PAYLOAD = 1007;
    private static final int TOO_BIG = 1009;

    enum State { HANDSHAKE, AUTHENTICATING, OPEN, CLOSED }

    final SocketChannel channel;
    final long acceptedNanos;
    private final GatewayLoop loop;
    private final RealtimeHub hub;
    private SelectionKey key;
    private volatile State state = State.HANDSHAKE;
    private volatile Connection connection;

    // Read side, touched by the loop thread only.
    private byte[] in;
    private int inLength;
    private byte[] message;
    private int messageLength;
    long lastHeardNanos;
    long nextPingNanos;
    long pingedNanos;

    // Write side, guarded by this.
    private ArrayDeque<ByteBuffer> out;
    private int outBytes;
    private boolean flushScheduled;
    private boolean closeQueued;   // a close frame is queued: nothing more is sent
    private boolean closeWhenFlushed;

    WsSocket(SocketChannel channel, GatewayLoop loop, RealtimeHub hub, long now) {
        this.channel = channel;
        this.loop = loop;
        this.hub = hub;
        this.acceptedNanos = now;
        this.lastHeardNanos = now;
    }

    void registered(SelectionKey key) {
        this.key = key;
    }

    State state() {
        return state;
    }

    GatewayLoop loop() {
        return loop;
    }

    // --- reading (loop thread)

    void readable(ByteBuffer buffer) {
        int n;
        try {
            buffer.clear();
            n = channel.read(buffer);
        } catch (IOException e) {
            gone();
            return;
        }
        if (n < 0) {
            gone();
            return;
        }
        byte[] data;
        int length;
        if (in == null) {
            data = buffer.array();
            length = n;
        } else {
            if (inLength + n > in.length) {
                in = Arrays.copyOf(in, Math.max(inLength + n, in.length * 2));
            }
            System.arraycopy(buffer.array(), 0, in, inLength, n);
            data = in;
            length = inLength + n;
        }
        consume(data, length);
    }

    /** Handles what can be handled of {@code data[0, length)} and keeps the rest for the next read. */
    private void consume(byte[] data, int length) {
        int used = switch (state) {
            case HANDSHAKE -> handshake(data, length);
            case OPEN -> frames(data, length);
            case AUTHENTICATING, CLOSED -> 0;
        };
        int left = length - used;
        if (left == 0 || state == State.CLOSED) {
            in = null;
            inLength = 0;
        } else if (data == in) {
            System.arraycopy(in, used, in, 0, left);
            inLength = left;
        } else {
            in = Arrays.copyOfRange(data, used, used + Math.max(left, 256));
            inLength = left;
        }
    }

    private int handshake(byte[] data, int length) {
        int end = WsHandshake.headEnd(data, length);
        if (end < 0) {
            if (length > WsHandshake.MAX_HEAD) {
                refuse(ApiException.rejected("headers_too_large", null,
                        "The request head exceeds " + WsHandshake.MAX_HEAD + " bytes."));
                return length;
            }
            return 0;
        }
        WsHandshake request;
        try {
            request = WsHandshake.parse(data, end);
        } catch (ApiException e) {
            refuse(e);
            return length;
        }
        // Reading waits until the credential is checked. A remembered one is checked here (a thread hop less
        // per connect: 10,000 clients reconnecting after a deploy); any other lookup may query the database:
        // not on the loop. Either way the socket opens in a task of the loop, after this read is handled.
        state = State.AUTHENTICATING;
        key.interestOps(0);
        Optional<Credential.User> remembered;
        try {
            remembered = hub.authenticateRemembered(request.authorization(), request.token());
        } catch (ApiException e) {
            refuse(e);
            return end;
        }
        if (remembered.isPresent()) {
            loop.execute(() -> open(request, remembered.get()));
        } else {
            Thread.startVirtualThread(() -> authenticate(request));
        }
        return end;
    }

    private void authenticate(WsHandshake request) {
        Credential.User user;
        try {
            user = hub.authenticate(request.authorization(), request.token());
        } catch (ApiException e) {
            loop.execute(() -> refuse(e));
            return;
        } catch (RuntimeException e) {
            loop.execute(() -> refuse(ApiException.unavailable("Could not check the credential; try again.", 1)));
            return;
        }
        loop.execute(() -> open(request, user));
    }

    private void open(WsHandshake request, Credential.User user) {
        if (state != State.AUTHENTICATING) {
            return;
        }
        queue(ByteBuffer.wrap(request.accepted()), false, false);
        Connection c = new Connection(hub, this, user);
        connection = c;
        state = State.OPEN;
        hub.opened(c);
        key.interestOps(key.interestOps() | SelectionKey.OP_READ);
        if (in != null) {
            consume(in, inLength); // frames a client sent without waiting for the 101
        }
    }

    private void refuse(ApiException e) {
        state = State.CLOSED;
        queue(ByteBuffer.wrap(WsHandshake.refused(e)), false, true);
    }

    /** Parses complete frames (RFC 6455 §5.2); returns how many bytes it used. */
    private int frames(byte[] data, int length) {
        int pos = 0;
        while (state == State.OPEN && length - pos >= 2) {
            int b0 = data[pos] & 0xFF;
            int b1 = data[pos + 1] & 0xFF;
            boolean fin = (b0 & 0x80) != 0;
            int opcode = b0 & 0x0F;
            if ((b0 & 0x70) != 0 || (b1 & 0x80) == 0) {
                fail(PROTOCOL_ERROR, (b1 & 0x80) == 0 ? "client frames must be masked" : "reserved bits set");
                return length;
            }
            long size = b1 & 0x7F;
            int header = 2;
            if (size == 126) {
                if (length - pos < 4) {
                    break;
                }
                size = ((data[pos + 2] & 0xFF) << 8) | (data[pos + 3] & 0xFF);
                header = 4;
            } else if (size == 127) {
                if (length - pos < 10) {
                    break;
                }
                size = 0;
                for (int i = 0; i < 8; i++) {
                    size = (size << 8) | (data[pos + 2 + i] & 0xFF);
                }
                header = 10;
            }
            if (size > MAX_MESSAGE || size < 0) {
                fail(TOO_BIG, "message too big");
                return length;
            }
            int n = (int) size;
            if (length - pos < header + 4 + n) {
                break;
            }
            int mask = pos + header;
            int start = mask + 4;
            for (int i = 0; i < n; i++) {
                data[start + i] ^= data[mask + (i & 3)];
            }
            pos = start + n;
            lastHeardNanos = loop.now();
            if (opcode >= 0x8 && (!fin || n > 125)) {
                fail(PROTOCOL_ERROR, "control frames are short and whole");
                return length;
            }
            switch (opcode) {
                case 0x0, WsFrame.TEXT -> {
                    if ((opcode == 0x0) != (message != null)) {
                        fail(PROTOCOL_ERROR, "unexpected continuation");
                        return length;
                    }
                    if (!fragment(data, start, n, fin)) {
                        return length;
                    }
                }
                case 0x2 -> {
                    fail(UNSUPPORTED_DATA, "frames are JSON text");
                    return length;
                }
                case WsFrame.CLOSE -> {
                    int code = n >= 2 ? ((data[start] & 0xFF) << 8) | (data[start + 1] & 0xFF) : 1000;
                    closed(code);
                    return length;
                }
                case WsFrame.PING -> queue(WsFrame.control(WsFrame.PONG, Arrays.copyOfRange(data, start, start + n)).view(),
                        false, false);
                case WsFrame.PONG -> {
                    // lastHeardNanos is all a pong is for
                }
                default -> {
                    fail(PROTOCOL_ERROR, "unknown opcode");
                    return length;
                }
            }
        }
        return pos;
    }

    /** Adds a text frame's payload to the message it belongs to; hands a complete one on. False: the socket failed. */
    private boolean fragment(byte[] data, int start, int n, boolean fin) {
        byte[] whole;
        int wholeLength;
        if (message == null && fin) {
            whole = data;
            wholeLength = n;
        } else {
            if (message == null) {
                message = new byte[Math.max(n, 256)];
                messageLength = 0;
            }
            if (messageLength + n > MAX_MESSAGE) {
                fail(TOO_BIG, "message too big");
                return false;
            }
            if (messageLength + n > message.length) {
                message = Arrays.copyOf(message, Math.min(MAX_MESSAGE, Math.max(messageLength + n, message.length * 2)));
            }
            System.arraycopy(data, start, message, messageLength, n);
            messageLength += n;
            if (!fin) {
                return true;
            }
            whole = message;
            wholeLength = messageLength;
            start = 0;
            message = null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(whole, start, wholeLength)).toString();
        } catch (CharacterCodingException e) {
            fail(INVALID_PAYLOAD, "text frames are UTF-8");
            return false;
        }
        connection.received(text);
        return true;
    }

    /** The client sent a close frame: answer it (unless we started the close) and hang up. */
    private void closed(int code) {
        state = State.CLOSED;
        WsFrame answer = WsFrame.close(code >= 1000 && code < 5000 && code != 1005 && code != 1006 ? code : 1000, "");
        synchronized (this) {
            if (!closeQueued) {
                add(answer.view());
                closeQueued = true;
            }
            closeWhenFlushed = true;
        }
        flushSoon();
    }

    /** Closes at once after a close frame naming what the client did wrong. */
    private void fail(int code, String reason) {
        state = State.CLOSED;
        closeNow(code, reason);
    }

    // --- writing

    /** Queues a frame for the client; dropped once the connection is closing. */
    void send(WsFrame frame) {
        queue(frame.view(), true, false);
    }

    /**
     * A fan-out's frame, on this socket's loop thread ({@link FanOut}): written at once when nothing
     * waits before it; otherwise queued behind what does, as {@link #send} would (same order, same bounds).
     * Dropped unless {@code wanted} still holds, asked under the write lock: whoever ends the wish
     * before queueing a frame of its own knows this frame will not come after that one.
     */
    void sendOnLoop(WsFrame frame, BooleanSupplier wanted) {
        synchronized (this) {
            if (!wanted.getAsBoolean()) {
                return;
            }
            if (out != null || closeQueued || !channel.isOpen()) {
                queue(frame.view(), true, false); // its hand-offs never block: fine under this lock
                return;
            }
            ByteBuffer bytes = frame.view();
            try {
                channel.write(bytes);
                if (bytes.hasRemaining()) {
                    add(bytes); // the rest when the socket takes more
                    key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                }
                return;
            } catch (IOException | java.nio.channels.CancelledKeyException e) {
                // hung up below, outside the lock like every other hang-up
            }
        }
        gone();
    }

    /** A WebSocket ping (the heartbeat): a client that answers nothing for long is dropped by its loop. */
    void ping() {
        queue(WsFrame.HEARTBEAT.view(), false, false);
    }

    /** Sends a close frame after what is queued and hangs up once it is written. */
    void closeNow(int code, String reason) {
        queue(WsFrame.close(code, reason).view(), false, true);
    }

    /**
     * Adds bytes to the write queue unless a close frame is already queued. {@code bounded}: frames a
     * slow client could pile up; {@code last}: a close frame or a refusal, after which nothing is sent
     * and the socket closes once it is written.
     */
    private void queue(ByteBuffer bytes, boolean bounded, boolean last) {
        boolean overflow = false;
        boolean schedule;
        synchronized (this) {
            if (closeQueued || !channel.isOpen()) {
                return;
            }
            if (bounded && out != null && (out.size() >= MAX_QUEUED_FRAMES || outBytes + bytes.remaining() > MAX_QUEUED_BYTES)) {
                // Keep a frame already partly written, or the client would read garbage before the close frame.
                ByteBuffer head = out.peekFirst();
                out.clear();
                outBytes = 0;
                if (head != null && head.position() > 0) {
                    add(head);
                }
                add(WsFrame.close(Connection.SLOW_CONSUMER, "slow consumer").view());
                closeQueued = true;
                overflow = true;
            } else {
                add(bytes);
                closeQueued = last;
                closeWhenFlushed = last;
            }
            schedule = !flushScheduled;
            flushScheduled = true;
        }
        if (schedule) {
            loop.flush(this);
        }
        if (overflow && connection != null) {
            hub.slowConsumer(connection);
        }
    }

    private void add(ByteBuffer bytes) {
        if (out == null) {
            out = new ArrayDeque<>(4);
        }
        out.add(bytes);
        outBytes += bytes.remaining();
    }

    private void flushSoon() {
        synchronized (this) {
            if (flushScheduled) {
                return;
            }
            flushScheduled = true;
        }
        loop.flush(this);
    }

    /** Writes what the socket takes; waits for writability if it takes less (loop thread). */
    void flush() {
        boolean hangUp;
        synchronized (this) {
            flushScheduled = false;
            if (!channel.isOpen()) {
                return;
            }
            try {
                if (!writeQueued()) {
                    key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                    return;
                }
                out = null; // an idle socket holds no queue
                outBytes = 0;
                if ((key.interestOps() & SelectionKey.OP_WRITE) != 0) {
                    key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
                }
                hangUp = closeWhenFlushed;
            } catch (IOException | java.nio.channels.CancelledKeyException e) {
                hangUp = true;
            }
        }
        if (hangUp) {
            gone();
        }
    }

    /** Writes queued bytes until the socket takes no more; true when the queue is empty. Call holding this. */
    private boolean writeQueued() throws IOException {
        while (out != null && !out.isEmpty()) {
            ByteBuffer head = out.peekFirst();
            outBytes -= channel.write(head);
            if (head.hasRemaining()) {
                return false;
            }
            out.pollFirst();
        }
        return true;
    }

    /**
     * Herald is stopping: a last non-blocking write of what is queued and a close frame (1001), then the
     * socket closes. The hub is not told: it forgets this node's subscriptions as a whole.
     */
    void stop() {
        synchronized (this) {
            if (!closeQueued) {
                add(WsFrame.close(1001, "server stopping").view());
                closeQueued = true;
            }
            try {
                writeQueued();
            } catch (IOException e) {
                // closing anyway
            }
            out = null;
        }
        state = State.CLOSED;
        try {
            channel.close();
        } catch (IOException e) {
            // closed either way
        }
    }

    /** Releases the socket and everything its connection held; safe to call more than once, from any thread. */
    void gone() {
        synchronized (this) {
            out = null;
            closeQueued = true;
            closeWhenFlushed = false;
        }
        state = State.CLOSED;
        try {
            channel.close();
        } catch (IOException e) {
            // closed either way
        }
        Connection c = connection;
        if (c != null) {
            c.gone();
        }
    }
}
