package dev.herald.push;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;

/**
 * The application server's P-256 key pair for VAPID (RFC 8292), in the encoding browsers take as
 * {@code applicationServerKey} and the {@code web-push} npm package prints: base64url without padding
 * of the 65-byte uncompressed public point and of the 32-byte private scalar.
 * {@link #toString()} leaves the private key out.
 */
public final class VapidKeys {
    private final ECPublicKey publicKey;
    private final ECPrivateKey privateKey;
    private final String publicText;
    private final String privateText;

    private VapidKeys(ECPublicKey publicKey, ECPrivateKey privateKey) {
        this.publicKey = publicKey;
        this.privateKey = privateKey;
        this.publicText = Keys.base64Url(Keys.raw(publicKey));
        this.privateText = Keys.base64Url(Keys.raw(privateKey));
    }

    public static VapidKeys generate() {
        KeyPair pair = Keys.generateP256();
        return new VapidKeys((ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate());
    }

    public static VapidKeys of(String publicB64Url, String privateB64Url) {
        ECPublicKey pub = Keys.p256PublicKey(Keys.fromBase64Url(publicB64Url, "VAPID public key"), "VAPID public key");
        ECPrivateKey priv = Keys.p256PrivateKey(Keys.fromBase64Url(privateB64Url, "VAPID private key"), "VAPID private key");
        if (!belongTogether(pub, priv)) {
            throw new IllegalArgumentException("VAPID private key does not belong to the VAPID public key");
        }
        return new VapidKeys(pub, priv);
    }

    /** The value for {@code applicationServerKey} and for the {@code k} parameter of the Authorization header. */
    public String publicKey() {
        return publicText;
    }

    public String privateKey() {
        return privateText;
    }

    ECPrivateKey signingKey() {
        return privateKey;
    }

    /** Push services reject every push signed with a key that doesn't match the subscription's; catch a mix-up at startup. */
    private static boolean belongTogether(ECPublicKey pub, ECPrivateKey priv) {
        byte[] probe = "herald vapid key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(priv);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(pub);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "VapidKeys[publicKey=" + publicText + ", privateKey=<redacted>]";
    }
}
