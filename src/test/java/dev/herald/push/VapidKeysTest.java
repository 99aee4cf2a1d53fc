package dev.herald.push;

import org.junit.jupiter.api.Test;

import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VapidKeysTest {
    // A valid pair: the sender keys of RFC 8291's example.
    private static final String PUBLIC = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private static final String PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";

    @Test
    void generatedKeysUseTheBrowsersEncodingAndReadBack() {
        VapidKeys keys = VapidKeys.generate();

        assertEquals(87, keys.publicKey().length(), "65 bytes, base64url without padding");
        assertEquals(43, keys.privateKey().length(), "32 bytes, base64url without padding");
        assertEquals(4, Base64.getUrlDecoder().decode(keys.publicKey())[0], "uncompressed point");
        VapidKeys again = VapidKeys.of(keys.publicKey(), keys.privateKey());
        assertEquals(keys.publicKey(), again.publicKey());
        assertEquals(keys.privateKey(), again.privateKey());
        assertNotEquals(keys.publicKey(), VapidKeys.generate().publicKey());
    }

    @Test
    void readsAKnownPair() {
        VapidKeys keys = VapidKeys.of(PUBLIC, PRIVATE);

        assertEquals(PUBLIC, keys.publicKey());
        assertEquals(PRIVATE, keys.privateKey());
    }

    @Test
    void toStringLeavesThePrivateKeyOut() {
        String text = VapidKeys.of(PUBLIC, PRIVATE).toString();

        assertTrue(text.contains(PUBLIC) && text.contains("<redacted>"), text);
        assertFalse(text.contains(PRIVATE), text);
    }

    @Test
    void badKeysAreRejectedWithAMessageThatSaysWhatIsWrong() {
        String other = VapidKeys.generate().privateKey();
        byte[] offCurve = Base64.getUrlDecoder().decode(PUBLIC);
        offCurve[64] ^= 1;

        assertMessage("VAPID private key does not belong to the VAPID public key", PUBLIC, other);
        assertMessage("VAPID public key is missing", "", PRIVATE);
        assertMessage("VAPID public key is not base64url", "BP4z9KsN+nGR/TbVYI", PRIVATE);
        assertMessage("VAPID public key must be a 65-byte uncompressed P-256 point (0x04 || X || Y), got 32 bytes", PRIVATE, PRIVATE);
        assertMessage("VAPID public key is not a point on P-256", Base64.getUrlEncoder().withoutPadding().encodeToString(offCurve), PRIVATE);
        assertMessage("VAPID private key must be a 32-byte P-256 private scalar", PUBLIC, PUBLIC);
        assertMessage("VAPID private key must be a 32-byte P-256 private scalar", PUBLIC,
                Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]));
    }

    private static void assertMessage(String expected, String publicKey, String privateKey) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> VapidKeys.of(publicKey, privateKey)).getMessage());
    }
}
