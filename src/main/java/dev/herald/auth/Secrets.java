package dev.herald.auth;

import dev.herald.web.Ids;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Bearer secrets: random, prefixed by kind, stored only as SHA-256 hashes. */
public final class Secrets {
    public static final String API_KEY_PREFIX = "hk_";
    public static final String USER_TOKEN_PREFIX = "hu_";
    public static final String ADMIN_PREFIX = "ha_";

    private Secrets() {
    }

    public static String newSecret(String prefix) {
        return prefix + Ids.random(40);
    }

    public static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
