package dev.herald.push;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * Key encodings the providers use: PKCS#8 PEM (Apple's .p8, Google's service-account key) and raw
 * P-256 points and scalars in base64url (Web Push). Error messages name what was wrong, never the
 * key material.
 */
final class Keys {
    static final ECParameterSpec P256 = p256();
    private static final int COORDINATE_BYTES = 32;
    static final int RAW_PUBLIC_BYTES = 1 + 2 * COORDINATE_BYTES;

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private Keys() {
    }

    static String base64Url(byte[] bytes) {
        return BASE64URL.encodeToString(bytes);
    }

    /** Accepts base64url with or without padding. */
    static byte[] fromBase64Url(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(what + " is missing");
        }
        try {
            return Base64.getUrlDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64url");
        }
    }

    /** The DER bytes of an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY"). */
    static PKCS8EncodedKeySpec pkcs8(String pem, String what) {
        if (pem == null || pem.isBlank()) {
            throw new IllegalArgumentException(what + " is missing");
        }
        String text = pem.strip();
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            String hint = text.contains("-----BEGIN ") && text.contains(" PRIVATE KEY-----")
                    ? " (found another PEM type; convert it with `openssl pkcs8 -topk8 -nocrypt`)" : "";
            throw new IllegalArgumentException(what + " is not an unencrypted PKCS#8 PEM key: expected "
                    + begin + " ... " + end + hint);
        }
        try {
            return new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " has a PEM body that is not valid base64");
        }
    }

    static PrivateKey privateKey(PKCS8EncodedKeySpec spec, String algorithm, String what) {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(spec);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " is not a valid " + algorithm + " private key");
        }
    }

    static boolean isP256(ECParameterSpec params) {
        return params.getOrder().equals(P256.getOrder())
                && params.getCurve().equals(P256.getCurve())
                && params.getGenerator().equals(P256.getGenerator());
    }

    static KeyPair generateP256() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot generate P-256 keys", e);
        }
    }

    /** An uncompressed point (0x04 || X || Y), checked to lie on P-256 so ECDH never runs on a bogus key. */
    static ECPublicKey p256PublicKey(byte[] raw, String what) {
        if (raw.length != RAW_PUBLIC_BYTES || raw[0] != 0x04) {
            throw new IllegalArgumentException(what + " must be a 65-byte uncompressed P-256 point (0x04 || X || Y), got "
                    + raw.length + " bytes");
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(raw, 1, 1 + COORDINATE_BYTES));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(raw, 1 + COORDINATE_BYTES, RAW_PUBLIC_BYTES));
        BigInteger p = ((ECFieldFp) P256.getCurve().getField()).getP();
        BigInteger a = P256.getCurve().getA();
        BigInteger b = P256.getCurve().getB();
        boolean onCurve = x.compareTo(p) < 0 && y.compareTo(p) < 0
                && y.multiply(y).mod(p).equals(x.pow(3).add(a.multiply(x)).add(b).mod(p));
        if (!onCurve) {
            throw new IllegalArgumentException(what + " is not a point on P-256");
        }
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " is not a valid P-256 public key");
        }
    }

    static ECPrivateKey p256PrivateKey(byte[] raw, String what) {
        BigInteger d = new BigInteger(1, raw);
        if (raw.length != COORDINATE_BYTES || d.signum() == 0 || d.compareTo(P256.getOrder()) >= 0) {
            throw new IllegalArgumentException(what + " must be a 32-byte P-256 private scalar");
        }
        try {
            return (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(d, P256));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " is not a valid P-256 private key");
        }
    }

    static byte[] raw(ECPublicKey key) {
        byte[] out = new byte[RAW_PUBLIC_BYTES];
        out[0] = 0x04;
        unsigned(key.getW().getAffineX(), out, 1);
        unsigned(key.getW().getAffineY(), out, 1 + COORDINATE_BYTES);
        return out;
    }

    static byte[] raw(ECPrivateKey key) {
        byte[] out = new byte[COORDINATE_BYTES];
        unsigned(key.getS(), out, 0);
        return out;
    }

    /** Writes a non-negative number big-endian, left-padded to 32 bytes. */
    private static void unsigned(BigInteger value, byte[] out, int offset) {
        byte[] bytes = value.toByteArray();
        int skip = bytes.length > COORDINATE_BYTES ? bytes.length - COORDINATE_BYTES : 0;
        int length = bytes.length - skip;
        System.arraycopy(bytes, skip, out, offset + COORDINATE_BYTES - length, length);
    }

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec("secp256r1"));
            return params.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
