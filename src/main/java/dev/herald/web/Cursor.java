package dev.herald.web;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque page cursors: a position (a sequence number) wrapped so clients do not build them by hand. */
public final class Cursor {
    private Cursor() {
    }

    public static String encode(String kind, long position) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((kind + ":" + position).getBytes(StandardCharsets.UTF_8));
    }

    public static long decode(String kind, String cursor, String param) {
        try {
            String plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (!plain.startsWith(kind + ":")) {
                throw ApiException.invalid(param, "Parameter " + param + " is not a cursor of this list.");
            }
            return Long.parseLong(plain.substring(kind.length() + 1));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(param, "Parameter " + param + " is not a valid cursor.");
        }
    }
}
