package dev.herald.push;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;

/**
 * Message encryption for Web Push (RFC 8291) in the aes128gcm content coding (RFC 8188): a fresh
 * sender key pair and salt per message, one record, so the body is header || AES-GCM(plaintext || 0x02).
 */
final class WebPushCrypto {
    static final int RECORD_SIZE = 4096;
    static final int AUTH_SECRET_BYTES = 16;
    private static final int SALT_BYTES = 16;
    private static final int TAG_BYTES = 16;
    private static final int HEADER_BYTES = SALT_BYTES + 4 + 1 + Keys.RAW_PUBLIC_BYTES;
    /** RFC 8291 section 4: push services need only accept 4096-byte bodies, which leaves this much plaintext. */
    static final int MAX_PLAINTEXT = 4096 - HEADER_BYTES - TAG_BYTES - 1;

    private static final byte[] KEY_INFO = "WebPush: info\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CEK_INFO = "Content-Encoding: aes128gcm\0\1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NONCE_INFO = "Content-Encoding: nonce\0\1".getBytes(StandardCharsets.US_ASCII);
    private static final byte LAST_RECORD_DELIMITER = 2;
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebPushCrypto() {
    }

    static byte[] encrypt(byte[] plaintext, ECPublicKey uaPublic, byte[] authSecret) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return encrypt(plaintext, uaPublic, authSecret, Keys.generateP256(), salt);
    }

    /** With the sender's key pair and salt given, so RFC 8291's worked example can be reproduced. */
    static byte[] encrypt(byte[] plaintext, ECPublicKey uaPublic, byte[] authSecret, KeyPair asKeys, byte[] salt) {
        if (plaintext.length > MAX_PLAINTEXT) {
            throw new IllegalArgumentException("Web Push plaintext is " + plaintext.length + " bytes; at most " + MAX_PLAINTEXT + " fit");
        }
        byte[] uaRaw = Keys.raw(uaPublic);
        byte[] asRaw = Keys.raw((ECPublicKey) asKeys.getPublic());
        try {
            KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
            agreement.init(asKeys.getPrivate());
            agreement.doPhase(uaPublic, true);
            byte[] ecdhSecret = agreement.generateSecret();

            // Each HKDF here needs a single output block, so expand is one HMAC over info || 0x01.
            Mac mac = Mac.getInstance("HmacSHA256");
            byte[] prkKey = hmac(mac, authSecret, ecdhSecret);
            byte[] ikm = hmac(mac, prkKey, KEY_INFO, uaRaw, asRaw, new byte[]{1});
            byte[] prk = hmac(mac, salt, ikm);
            byte[] cek = Arrays.copyOf(hmac(mac, prk, CEK_INFO), 16);
            byte[] nonce = Arrays.copyOf(hmac(mac, prk, NONCE_INFO), 12);

            byte[] body = new byte[HEADER_BYTES + plaintext.length + 1 + TAG_BYTES];
            System.arraycopy(salt, 0, body, 0, SALT_BYTES);
            body[SALT_BYTES] = (byte) (RECORD_SIZE >>> 24);
            body[SALT_BYTES + 1] = (byte) (RECORD_SIZE >>> 16);
            body[SALT_BYTES + 2] = (byte) (RECORD_SIZE >>> 8);
            body[SALT_BYTES + 3] = (byte) RECORD_SIZE;
            body[SALT_BYTES + 4] = (byte) asRaw.length;
            System.arraycopy(asRaw, 0, body, SALT_BYTES + 5, asRaw.length);

            byte[] record = Arrays.copyOf(plaintext, plaintext.length + 1);
            record[plaintext.length] = LAST_RECORD_DELIMITER;
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.doFinal(record, 0, record.length, body, HEADER_BYTES);
            return body;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Web Push encryption failed", e);
        }
    }

    private static byte[] hmac(Mac mac, byte[] key, byte[]... parts) throws GeneralSecurityException {
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }
}
