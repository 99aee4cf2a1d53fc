package dev.herald.web;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** Request and response helpers shared by every feature's Routes. */
public final class Http {
    /** Largest JSON body Herald reads; larger ones are refused before they are parsed. */
    public static final int MAX_BODY_BYTES = 1 << 20;

    private Http() {
    }

    public static byte[] rawBody(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw ApiException.payloadTooLarge("Request body exceeds " + MAX_BODY_BYTES + " bytes.");
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Body body(ServerRequest req) {
        return Body.parse(rawBody(req));
    }

    public static String pathParam(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }

    public static String query(ServerRequest req, String name) {
        return req.query().first(name).orElse(null);
    }

    public static String header(ServerRequest req, String name) {
        return req.headers().first(HeaderNames.create(name)).orElse(null);
    }

    public static Integer queryInt(ServerRequest req, String name, int min, int max) {
        String raw = query(req, name);
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value < min || value > max) {
                throw ApiException.invalid(name, "Parameter " + name + " must be between " + min + " and " + max + ".");
            }
            return value;
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, "Parameter " + name + " must be an integer.");
        }
    }

    public static Boolean queryBoolean(ServerRequest req, String name) {
        String raw = query(req, name);
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        return switch (raw) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.invalid(name, "Parameter " + name + " must be true or false.");
        };
    }

    public static void json(ServerResponse res, int status, Object value) {
        send(res, status, Json.bytes(value));
    }

    public static void ok(ServerResponse res, Object value) {
        json(res, 200, value);
    }

    /** Sends bytes that are already JSON (a stored idempotent response, for example). */
    public static void send(ServerResponse res, int status, byte[] json) {
        res.status(Status.create(status));
        res.headers().contentType(HttpMediaType.create("application/json; charset=utf-8"));
        res.send(json);
    }

    public static void error(ServerResponse res, ApiException e) {
        if (e.retryAfterSeconds() != null) {
            res.header(HeaderNames.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()));
        }
        json(res, e.status(), Map.of("error", e.body()));
    }
}
