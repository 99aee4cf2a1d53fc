package dev.herald.realtime;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One encoded server-to-client WebSocket frame (RFC 6455 §5.2: unmasked, never fragmented). A frame
 * fanned out to many clients is encoded once; each client writes its own view of the same bytes.
 */
record WsFrame(byte[] bytes) {
    static final int TEXT = 0x1;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    static final WsFrame HEARTBEAT = control(PING, new byte[0]);

    static WsFrame text(String text) {
        return encode(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    static WsFrame close(int code, String reason) {
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + Math.min(why.length, 123)];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(why, 0, payload, 2, payload.length - 2);
        return control(CLOSE, payload);
    }

    static WsFrame control(int opcode, byte[] payload) {
        if (payload.length > 125) {
            throw new IllegalArgumentException("control frame payloads are at most 125 bytes");
        }
        return encode(opcode, payload);
    }

    private static WsFrame encode(int opcode, byte[] payload) {
        int n = payload.length;
        int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        byte[] out = new byte[header + n];
        out[0] = (byte) (0x80 | opcode);
        if (n < 126) {
            out[1] = (byte) n;
        } else if (n <= 0xFFFF) {
            out[1] = 126;
            out[2] = (byte) (n >> 8);
            out[3] = (byte) n;
        } else {
            out[1] = 127;
            for (int i = 0; i < 8; i++) {
                out[2 + i] = (byte) ((long) n >> (56 - 8 * i));
            }
        }
        System.arraycopy(payload, 0, out, header, n);
        return new WsFrame(out);
    }

    /** A fresh read position over the shared bytes. */
    ByteBuffer view() {
        return ByteBuffer.wrap(bytes);
    }

    int size() {
        return bytes.length;
    }
}
