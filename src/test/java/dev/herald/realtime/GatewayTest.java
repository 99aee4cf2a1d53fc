package dev.herald.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.TestServer;
import dev.herald.World;
import dev.herald.web.ApiException;
import dev.herald.web.Json;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's wire protocol, byte by byte over a plain socket: what a browser or any RFC 6455
 * client may do (fragments, pings, pipelined frames) and what it must not (unmasked frames).
 */
class GatewayTest {
    private final World world = new World();

    @Test
    void refusedHandshakesGetAnHttpErrorInTheApiShape() throws IOException {
        try (Raw raw = new Raw()) {
            raw.write("GET /api/v1/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key() + "\r\n\r\n");
            String response = raw.readAll();
            assertTrue(response.startsWith("HTTP/1.1 401 "), response);
            JsonNode error = Json.tree(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error");
            assertEquals("unauthorized", error.get("code").asText(), response);
            assertEquals("Invalid or missing user token", error.get("message").asText());
        }
        try (Raw raw = new Raw()) {
            raw.write("GET /api/v1/elsewhere HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(raw.readAll().startsWith("HTTP/1.1 404 "));
        }
        try (Raw raw = new Raw()) {
            raw.write("GET /api/v1/realtime?token=" + world.as(world.user("plain")).token() + " HTTP/1.1\r\nHost: x\r\n\r\n");
            String response = raw.readAll();
            assertTrue(response.startsWith("HTTP/1.1 400 "), response);
            assertTrue(response.contains("\"websocket_required\""), response);
        }
        try (Raw raw = new Raw()) {
            raw.write("GET /api/v1/realtime HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " + key() + "\r\n\r\n");
            String response = raw.readAll();
            assertTrue(response.startsWith("HTTP/1.1 400 ") && response.contains("Sec-WebSocket-Version: 13"), response);
        }
    }

    @Test
    void aRefusalThatMaySucceedLaterSaysWhenToRetry() {
        // What the gateway answers when it cannot look the token up (the database is away): the API's 503.
        String response = new String(WsHandshake.refused(ApiException.unavailable("Try again shortly.", 1)), StandardCharsets.ISO_8859_1);
        assertTrue(response.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), response);
        assertTrue(response.contains("\r\nRetry-After: 1\r\n"), response);
        assertEquals("service_unavailable", Json.tree(response.substring(response.indexOf("\r\n\r\n") + 4)).path("error").path("code").asText());
        assertFalse(new String(WsHandshake.refused(ApiException.missing("x")), StandardCharsets.ISO_8859_1).contains("Retry-After"));
    }

    @Test
    void fragmentsPingsAndFramesSentBeforeTheAnswerAreAllHandled() throws IOException {
        String token = world.as(world.customer("frag", world.productA)).token();
        try (Raw raw = new Raw()) {
            String key = key();
            // The whole opening in one write: the upgrade, then a ping and a subscribe in two fragments.
            ByteArrayOutputStream opening = new ByteArrayOutputStream();
            opening.writeBytes(("GET /api/v1/realtime?token=" + token + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    + "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            opening.writeBytes(Raw.frame(true, 0x9, "are you there".getBytes(StandardCharsets.UTF_8)));
            opening.writeBytes(Raw.frame(false, 0x1, "{\"type\":\"subscribe\",".getBytes(StandardCharsets.UTF_8)));
            opening.writeBytes(Raw.frame(true, 0x0, "\"stream\":\"feed\"}".getBytes(StandardCharsets.UTF_8)));
            raw.out.write(opening.toByteArray());

            String head = raw.readHead();
            assertTrue(head.startsWith("HTTP/1.1 101 "), head);
            assertTrue(head.contains("Sec-WebSocket-Accept: " + accept(key)), head);
            Raw.Frame pong = raw.readFrame();
            assertEquals(0xA, pong.opcode());
            assertArrayEquals("are you there".getBytes(StandardCharsets.UTF_8), pong.payload());
            Raw.Frame subscribed = raw.readFrame();
            assertEquals(0x1, subscribed.opcode());
            assertEquals("subscribed", Json.tree(subscribed.text()).get("type").asText());

            raw.out.write(Raw.frame(true, 0x8, new byte[] {0x03, (byte) 0xE8}));
            Raw.Frame close = raw.readFrame();
            assertEquals(0x8, close.opcode());
            assertEquals(1000, ((close.payload()[0] & 0xFF) << 8) | (close.payload()[1] & 0xFF));
            assertEquals(-1, raw.in.read(), "the server hangs up after the closing handshake");
        }
    }

    @Test
    void anUnmaskedClientFrameIsAProtocolError() throws IOException {
        String token = world.as(world.customer("unmasked", world.productA)).token();
        try (Raw raw = Raw.opened(TestServer.get().realtimePort(), token)) {
            byte[] body = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
            byte[] unmasked = new byte[2 + body.length];
            unmasked[0] = (byte) 0x81;
            unmasked[1] = (byte) body.length;
            System.arraycopy(body, 0, unmasked, 2, body.length);
            raw.out.write(unmasked);
            Raw.Frame close = raw.readFrame();
            assertEquals(0x8, close.opcode());
            assertEquals(1002, ((close.payload()[0] & 0xFF) << 8) | (close.payload()[1] & 0xFF));
            assertEquals(-1, raw.in.read());
        }
    }

    @Test
    void aClientThatAnswersNoPingsIsDroppedWhileOneThatDoesStays() throws IOException {
        String token = world.as(world.customer("heartbeat", world.productA)).token();
        try (Gateway gateway = new Gateway(TestServer.get().services().realtime(), "127.0.0.1", 0, 1, Duration.ofMillis(300)).start();
             Raw silent = Raw.opened(gateway.port(), token);
             Raw lively = Raw.opened(gateway.port(), token)) {
            Instant until = Instant.now().plusMillis(1_500);
            int answered = 0;
            while (Instant.now().isBefore(until)) {
                Raw.Frame ping = lively.readFrame();
                assertEquals(0x9, ping.opcode());
                lively.out.write(Raw.frame(true, 0xA, ping.payload()));
                answered++;
            }
            assertTrue(answered >= 3, "pinged every 300 ms, got " + answered);

            int pings = 0;
            try {
                for (;;) {
                    assertEquals(0x9, silent.readFrame().opcode());
                    pings++;
                }
            } catch (EOFException e) {
                // dropped: what the test wants
            }
            assertTrue(pings >= 1 && pings <= 4, "pings before the drop: " + pings);

            lively.out.write(Raw.frame(true, 0x1, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8)));
            Raw.Frame frame;
            do {
                frame = lively.readFrame();
            } while (frame.opcode() == 0x9);
            assertEquals("pong", Json.tree(frame.text()).get("type").asText());
        }
    }

    private static String key() {
        byte[] bytes = new byte[16];
        new java.security.SecureRandom().nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static String accept(String key) {
        try {
            return Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** A WebSocket client written out by hand over a blocking socket. */
    private static final class Raw implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final OutputStream out;

        record Frame(int opcode, byte[] payload) {
            String text() {
                return new String(payload, StandardCharsets.UTF_8);
            }
        }

        Raw() throws IOException {
            this(TestServer.get().realtimePort());
        }

        Raw(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        /** A socket past a successful upgrade. */
        static Raw opened(int port, String token) throws IOException {
            Raw raw = new Raw(port);
            raw.write("GET /api/v1/realtime?token=" + token + " HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key() + "\r\n\r\n");
            String head = raw.readHead();
            assertTrue(head.startsWith("HTTP/1.1 101 "), head);
            return raw;
        }

        void write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        String readAll() throws IOException {
            return new String(((InputStream) in).readAllBytes(), StandardCharsets.UTF_8);
        }

        String readHead() throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            return head.toString();
        }

        Frame readFrame() throws IOException {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            assertEquals(0, b1 & 0x80, "server frames are not masked");
            long length = b1 & 0x7F;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            assertEquals(0x80, b0 & 0x80, "server frames are whole");
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            return new Frame(b0 & 0x0F, payload);
        }

        static byte[] frame(boolean fin, int opcode, byte[] payload) {
            byte[] mask = {0x11, 0x22, 0x33, 0x44};
            byte[] out = new byte[2 + 4 + payload.length];
            out[0] = (byte) ((fin ? 0x80 : 0) | opcode);
            out[1] = (byte) (0x80 | payload.length);
            System.arraycopy(mask, 0, out, 2, 4);
            byte[] masked = Arrays.copyOf(payload, payload.length);
            for (int i = 0; i < masked.length; i++) {
                masked[i] ^= mask[i & 3];
            }
            System.arraycopy(masked, 0, out, 6, masked.length);
            return out;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
