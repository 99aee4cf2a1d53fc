package dev.herald.web;

import org.jdbi.v3.core.Handle;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * {@code Idempotency-Key} support. The key is claimed inside the same transaction as the work it
 * guards, so a replay either finds the committed response or waits on the row lock of the first
 * attempt; a key reused with a different body is a 422.
 */
public final class Idempotency {
    public static final int MAX_KEY_LENGTH = 255;

    private Idempotency() {
    }

    public record Stored(int status, String response) {
    }

    public static String requestHash(String method, String path, Body body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((method + " " + path + "\n" + Json.canonical(body.node())).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String validKey(String key) {
        if (key == null) {
            return null;
        }
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH) {
            throw ApiException.invalid("Idempotency-Key", "The Idempotency-Key header must be 1 to " + MAX_KEY_LENGTH + " characters.");
        }
        return key;
    }

    /**
     * Claims the key for this request. Returns the stored response when the key was already used with
     * the same request, throws 422 when it was used with another, and returns empty when the caller
     * now owns the key and must {@link #complete} it in the same transaction.
     */
    public static Optional<Stored> claim(Handle h, String owner, String key, String requestHash) {
        int inserted = h.createUpdate("""
                        insert into idempotency_keys (owner, key, request_hash, status, response)
                        values (:owner, :key, :hash, 0, '') on conflict do nothing""")
                .bind("owner", owner).bind("key", key).bind("hash", requestHash).execute();
        if (inserted == 1) {
            return Optional.empty();
        }
        var existing = h.createQuery("select request_hash, status, response from idempotency_keys where owner = :owner and key = :key")
                .bind("owner", owner).bind("key", key)
                .map((rs, ctx) -> new String[] {rs.getString("request_hash"), rs.getString("status"), rs.getString("response")})
                .one();
        if (!existing[0].equals(requestHash)) {
            throw ApiException.unprocessable("idempotency_key_reused",
                    "This Idempotency-Key was already used with a different request body.");
        }
        return Optional.of(new Stored(Integer.parseInt(existing[1]), existing[2]));
    }

    public static void complete(Handle h, String owner, String key, int status, String response) {
        h.createUpdate("update idempotency_keys set status = :status, response = :response where owner = :owner and key = :key")
                .bind("status", status).bind("response", response).bind("owner", owner).bind("key", key).execute();
    }
}
