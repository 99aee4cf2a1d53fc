package dev.herald.push;

import java.security.interfaces.ECPrivateKey;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Token-based APNs authentication: the signing key from Apple's .p8 file, its Key ID and the Team ID
 * it belongs to. {@link #toString()} leaves the key out.
 */
public record ApnsCredentials(String keyId, String teamId, ECPrivateKey privateKey) {
    private static final Pattern APPLE_ID = Pattern.compile("[A-Z0-9]{10}");

    public ApnsCredentials {
        requireAppleId(keyId, "APNs key ID");
        requireAppleId(teamId, "Apple team ID");
        Objects.requireNonNull(privateKey, "privateKey");
        if (!Keys.isP256(privateKey.getParams())) {
            throw new IllegalArgumentException("APNs signing key must be an EC P-256 key");
        }
    }

    /** Reads the .p8 file's text as downloaded from Apple (PKCS#8 PEM, EC P-256). */
    public static ApnsCredentials parse(String p8Pem, String keyId, String teamId) {
        var key = Keys.privateKey(Keys.pkcs8(p8Pem, "APNs .p8 key"), "EC", "APNs .p8 key");
        if (!(key instanceof ECPrivateKey ec)) {
            throw new IllegalArgumentException("APNs .p8 key is not an EC key");
        }
        return new ApnsCredentials(keyId, teamId, ec);
    }

    private static void requireAppleId(String value, String what) {
        if (value == null || !APPLE_ID.matcher(value).matches()) {
            // The value is not echoed: a swapped argument could be the key itself.
            throw new IllegalArgumentException(what + " must be the 10-character identifier from Apple (A-Z, 0-9), got "
                    + (value == null ? "nothing" : value.length() + " characters"));
        }
    }

    @Override
    public String toString() {
        return "ApnsCredentials[keyId=" + keyId + ", teamId=" + teamId + ", privateKey=<redacted>]";
    }
}
