package dev.herald.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks a compact JWS the way a provider does: the signature first, then the parts are read. */
record TestJwt(JsonNode header, JsonNode claims) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    static TestJwt verify(String jwt, String alg, PublicKey key) throws Exception {
        return verify(jwt, alg, key, false);
    }

    /**
     * An APNs provider token: ES256, whose signature APNs also accepts DER-encoded, as pushy (the APNs client)
     * signs it; push services and Google hold Web Push and FCM tokens to RFC 7518's raw R || S.
     */
    static TestJwt verifyAsApns(String jwt, PublicKey key) throws Exception {
        return verify(jwt, "ES256", key, true);
    }

    private static TestJwt verify(String jwt, String alg, PublicKey key, boolean derAllowed) throws Exception {
        String[] parts = jwt.split("\\.");
        assertEquals(3, parts.length, "a JWS has three parts");
        JsonNode header = MAPPER.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertEquals(alg, header.path("alg").asText(), "alg");
        byte[] signature = Base64.getUrlDecoder().decode(parts[2]);
        Signature verifier = switch (alg) {
            case "ES256" -> {
                if (derAllowed && signature.length != 64) {
                    yield Signature.getInstance("SHA256withECDSA");
                }
                assertEquals(64, signature.length, "ES256 signatures are raw R || S (RFC 7518 3.4), not DER");
                yield Signature.getInstance("SHA256withECDSAinP1363Format");
            }
            case "RS256" -> Signature.getInstance("SHA256withRSA");
            default -> throw new AssertionError("unexpected alg " + alg);
        };
        verifier.initVerify(key);
        verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(verifier.verify(signature), "JWT signature does not verify with the expected public key");
        return new TestJwt(header, MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1])));
    }
}
