package dev.herald.push;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The key schedule and record layout checked against RFC 8291's published example, byte for byte. */
class WebPushCryptoTest {
    // RFC 8291 section 5 and Appendix A.
    private static final String PLAINTEXT = "When I grow up, I want to be a watermelon";
    private static final String UA_PUBLIC = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    private static final String AUTH_SECRET = "BTBZMqHH6r4Tts7J_aSIgg";
    private static final String AS_PUBLIC = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private static final String AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    private static final String SALT = "DGv6ra1nlYgDCS1FRnbzlw";
    private static final String BODY = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    private static byte[] b64(String text) {
        return Base64.getUrlDecoder().decode(text);
    }

    private static ECPublicKey uaPublic() {
        return Keys.p256PublicKey(b64(UA_PUBLIC), "ua");
    }

    @Test
    void reproducesTheRfc8291WorkedExample() {
        KeyPair as = new KeyPair(Keys.p256PublicKey(b64(AS_PUBLIC), "as"), Keys.p256PrivateKey(b64(AS_PRIVATE), "as"));

        byte[] body = WebPushCrypto.encrypt(PLAINTEXT.getBytes(StandardCharsets.UTF_8), uaPublic(), b64(AUTH_SECRET), as, b64(SALT));

        assertEquals(BODY, Base64.getUrlEncoder().withoutPadding().encodeToString(body));
    }

    @Test
    void theLargestPlaintextFillsExactlyTheFourKilobytesPushServicesMustAccept() {
        byte[] body = WebPushCrypto.encrypt(new byte[WebPushCrypto.MAX_PLAINTEXT], uaPublic(), b64(AUTH_SECRET));

        assertEquals(4096, body.length);
        assertEquals(3993, WebPushCrypto.MAX_PLAINTEXT);
        assertThrows(IllegalArgumentException.class,
                () -> WebPushCrypto.encrypt(new byte[WebPushCrypto.MAX_PLAINTEXT + 1], uaPublic(), b64(AUTH_SECRET)));
    }
}
