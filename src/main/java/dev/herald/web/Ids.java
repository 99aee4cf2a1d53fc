package dev.herald.web;

import java.security.SecureRandom;

/** Whop-style identifiers: a type prefix and 14 random base62 characters ({@code user_AbC…}). */
public final class Ids {
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = drbg();

    private Ids() {
    }

    public static String next(String prefix) {
        return prefix + "_" + random(14);
    }

    /** Random base62 characters: one draw of bytes per call, each byte below 248 (= 4 × 62) taken, so no character is likelier. */
    public static String random(int length) {
        char[] out = new char[length];
        byte[] bytes = new byte[length + 8];
        int filled = 0;
        while (filled < length) {
            RANDOM.nextBytes(bytes);
            for (int i = 0; i < bytes.length && filled < length; i++) {
                int b = bytes[i] & 0xff;
                if (b < 248) {
                    out[filled++] = ALPHABET[b % ALPHABET.length];
                }
            }
        }
        return new String(out);
    }

    /**
     * The JDK's DRBG: ids are drawn for every message and event, and the default NativePRNG reads
     * /dev/urandom under a lock on every call.
     */
    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (java.security.NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }
}
