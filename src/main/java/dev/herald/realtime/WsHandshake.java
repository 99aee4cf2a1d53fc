package dev.herald.realtime;

import dev.herald.web.ApiException;
import dev.herald.web.Json;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP/1.1 request that opens a WebSocket (RFC 6455 §4.2), and the gateway's two possible answers:
 * {@code 101 Switching Protocols}, or an error in the API's JSON shape after which the socket is closed.
 */
record WsHandshake(String authorization, String token, String key) {
    static final String PATH = "/api/v1/realtime";
    /** Request heads beyond this are refused: ours carry a token and a few headers. */
    static final int MAX_HEAD = 8 * 1024;
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /** The index just past the blank line that ends the head within {@code buf[0, length)}, or -1. */
    static int headEnd(byte[] buf, int length) {
        for (int i = 3; i < length; i++) {
            if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    /** Reads a complete head; anything but a WebSocket upgrade of {@link #PATH} is an {@link ApiException}. */
    static WsHandshake parse(byte[] buf, int length) {
        String[] lines = new String(buf, 0, length, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] request = lines[0].split(" ");
        if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
            throw ApiException.rejected("bad_request", null, "Malformed HTTP request line.");
        }
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                throw ApiException.rejected("bad_request", null, "Malformed HTTP header line.");
            }
            headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        String target = request[1];
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (!path.equals(PATH)) {
            throw ApiException.notFound("No such endpoint: " + request[0] + " " + path
                    + " (this port serves the WebSocket endpoint " + PATH + ")", null);
        }
        if (!request[0].equals("GET")) {
            throw ApiException.rejected("method_not_allowed", null, "Open the realtime endpoint with GET.");
        }
        boolean upgrade = headers.getOrDefault("upgrade", "").equalsIgnoreCase("websocket")
                && headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT).contains("upgrade");
        if (!upgrade) {
            throw ApiException.rejected("websocket_required", null, "Connect to this endpoint with a WebSocket upgrade.");
        }
        if (!"13".equals(headers.get("sec-websocket-version"))) {
            throw ApiException.invalid("Sec-WebSocket-Version", "Only WebSocket version 13 is supported.");
        }
        String key = headers.get("sec-websocket-key");
        if (key == null || !validKey(key)) {
            throw ApiException.invalid("Sec-WebSocket-Key", "Sec-WebSocket-Key must be 16 bytes in base64.");
        }
        return new WsHandshake(headers.get("authorization"), q < 0 ? null : queryParam(target.substring(q + 1), "token"), key);
    }

    private static boolean validKey(String key) {
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String queryParam(String query, String name) {
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                try {
                    return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid(name, "Malformed query parameter " + name + ".");
                }
            }
        }
        return null;
    }

    byte[] accepted() {
        String accept;
        try {
            accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
        return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] refused(ApiException e) {
        byte[] body = Json.bytes(Map.of("error", e.body()));
        String head = "HTTP/1.1 " + e.status() + " " + reason(e.status()) + "\r\n"
                + "Content-Type: application/json; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + (e.param() != null && e.param().equals("Sec-WebSocket-Version") ? "Sec-WebSocket-Version: 13\r\n" : "")
                + (e.retryAfterSeconds() != null ? "Retry-After: " + e.retryAfterSeconds() + "\r\n" : "")
                + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, out, 0, headBytes.length);
        System.arraycopy(body, 0, out, headBytes.length, body.length);
        return out;
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 503 -> "Service Unavailable";
            default -> "Error";
        };
    }
}
