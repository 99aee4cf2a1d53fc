package dev.herald.push;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Map;

/** Compact JWS signing for the provider tokens (ES256 for APNs and VAPID, RS256 for Google OAuth). */
final class Jwt {
    private Jwt() {
    }

    /** JOSE wants ES256 as raw R || S (64 bytes), which the P1363 variant gives without converting from DER. */
    static String es256(Map<String, ?> header, Map<String, ?> claims, PrivateKey key) {
        return sign("SHA256withECDSAinP1363Format", header, claims, key);
    }

    static String rs256(Map<String, ?> header, Map<String, ?> claims, PrivateKey key) {
        return sign("SHA256withRSA", header, claims, key);
    }

    private static String sign(String algorithm, Map<String, ?> header, Map<String, ?> claims, PrivateKey key) {
        String signingInput = segment(header) + "." + segment(claims);
        try {
            Signature signature = Signature.getInstance(algorithm);
            signature.initSign(key);
            signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + Keys.base64Url(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not sign a JWT with " + algorithm, e);
        }
    }

    private static String segment(Map<String, ?> json) {
        try {
            return Keys.base64Url(Json.MAPPER.writeValueAsBytes(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JWT part is not serialisable", e);
        }
    }
}
