package dev.herald.push;

import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApnsCredentialsTest {
    private final KeyPair key = TestKeys.ec("secp256r1");
    private final String p8 = TestKeys.pem(key.getPrivate());

    @Test
    void readsApplesP8File() {
        ApnsCredentials credentials = ApnsCredentials.parse(p8, "ABC123DEFG", "DEF123GHIJ");

        assertEquals("ABC123DEFG", credentials.keyId());
        assertEquals("DEF123GHIJ", credentials.teamId());
        assertEquals(key.getPrivate(), credentials.privateKey());
    }

    @Test
    void toStringLeavesTheKeyOut() {
        String text = ApnsCredentials.parse(p8, "ABC123DEFG", "DEF123GHIJ").toString();

        assertTrue(text.contains("ABC123DEFG") && text.contains("<redacted>"), text);
        String encoded = Base64.getEncoder().encodeToString(key.getPrivate().getEncoded());
        assertFalse(text.contains(encoded.substring(encoded.length() - 20)), text);
    }

    @Test
    void badInputIsRejectedWithAMessageThatSaysWhatIsWrong() {
        assertMessage("APNs .p8 key is missing", () -> ApnsCredentials.parse(" ", "ABC123DEFG", "DEF123GHIJ"));
        assertMessage("APNs .p8 key is not an unencrypted PKCS#8 PEM key: expected -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----",
                () -> ApnsCredentials.parse("MIGTAgEAMBMGByqGSM49", "ABC123DEFG", "DEF123GHIJ"));
        assertTrue(message(() -> ApnsCredentials.parse(p8.replace("PRIVATE KEY", "EC PRIVATE KEY"), "ABC123DEFG", "DEF123GHIJ"))
                .contains("openssl pkcs8 -topk8 -nocrypt"));
        assertMessage("APNs .p8 key has a PEM body that is not valid base64",
                () -> ApnsCredentials.parse("-----BEGIN PRIVATE KEY-----\nAB=C\n-----END PRIVATE KEY-----", "ABC123DEFG", "DEF123GHIJ"));
        assertMessage("APNs .p8 key is not a valid EC private key",
                () -> ApnsCredentials.parse(TestKeys.pem(TestKeys.rsa().getPrivate()), "ABC123DEFG", "DEF123GHIJ"));
        assertMessage("APNs signing key must be an EC P-256 key",
                () -> ApnsCredentials.parse(TestKeys.pem(TestKeys.ec("secp384r1").getPrivate()), "ABC123DEFG", "DEF123GHIJ"));
        assertMessage("APNs key ID must be the 10-character identifier from Apple (A-Z, 0-9), got 3 characters",
                () -> ApnsCredentials.parse(p8, "abc", "DEF123GHIJ"));
        assertMessage("Apple team ID must be the 10-character identifier from Apple (A-Z, 0-9), got nothing",
                () -> ApnsCredentials.parse(p8, "ABC123DEFG", null));
    }

    @Test
    void swappedArgumentsDoNotEchoTheKey() {
        String text = message(() -> ApnsCredentials.parse(p8, p8, "DEF123GHIJ"));

        assertEquals("APNs key ID must be the 10-character identifier from Apple (A-Z, 0-9), got " + p8.length() + " characters", text);
    }

    private static void assertMessage(String expected, Runnable parse) {
        assertEquals(expected, message(parse));
    }

    private static String message(Runnable parse) {
        return assertThrows(IllegalArgumentException.class, parse::run).getMessage();
    }
}
