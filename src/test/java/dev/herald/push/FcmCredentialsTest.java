package dev.herald.push;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.security.KeyPair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FcmCredentialsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final KeyPair KEY = TestKeys.rsa();
    private static final String PEM = TestKeys.pem(KEY.getPrivate());

    private static ObjectNode serviceAccount() {
        return MAPPER.createObjectNode()
                .put("type", "service_account")
                .put("project_id", "herald-prod")
                .put("private_key_id", "0123abcd")
                .put("private_key", PEM)
                .put("client_email", "fcm@herald-prod.iam.gserviceaccount.com")
                .put("client_id", "1234567890")
                .put("token_uri", "https://oauth2.googleapis.com/token");
    }

    @Test
    void readsAServiceAccountKeyFile() {
        FcmCredentials credentials = FcmCredentials.parse(serviceAccount().toString());

        assertEquals("herald-prod", credentials.projectId());
        assertEquals("fcm@herald-prod.iam.gserviceaccount.com", credentials.clientEmail());
        assertEquals(KEY.getPrivate(), credentials.privateKey());
        assertEquals(URI.create("https://oauth2.googleapis.com/token"), credentials.tokenUri());
    }

    @Test
    void aKeyFileWithoutTokenUriUsesGooglesEndpoint() {
        ObjectNode json = serviceAccount();
        json.remove("token_uri");

        assertEquals(FcmCredentials.GOOGLE_TOKEN_URI, FcmCredentials.parse(json.toString()).tokenUri());
    }

    @Test
    void toStringLeavesTheKeyOut() {
        String text = FcmCredentials.parse(serviceAccount().toString()).toString();

        assertTrue(text.contains("herald-prod") && text.contains("<redacted>"), text);
        assertFalse(text.contains("MII"), text);
    }

    @Test
    void badInputIsRejectedWithAMessageThatSaysWhatIsWrong() {
        assertMessage("service-account JSON is missing", null);
        assertMessage("service-account JSON must be an object", "[1, 2]");
        assertMessage("service-account JSON has no \"project_id\"", serviceAccount().without("project_id").toString());
        assertMessage("service-account JSON has no \"private_key\"", serviceAccount().put("private_key", "").toString());
        assertMessage("credentials JSON has type 'authorized_user'; FCM needs a service-account key (type 'service_account')",
                serviceAccount().put("type", "authorized_user").toString());
        assertMessage("service-account private_key is not a valid RSA private key",
                serviceAccount().put("private_key", TestKeys.pem(TestKeys.ec("secp256r1").getPrivate())).toString());
        assertMessage("FCM project_id must be a Google Cloud project ID (a-z, 0-9, '-', '.', ':')",
                serviceAccount().put("project_id", "../other").toString());
        assertMessage("FCM client_email must be the service account's email address",
                serviceAccount().put("client_email", "nobody").toString());
        assertMessage("FCM token_uri must be an absolute http(s) URL", serviceAccount().put("token_uri", "/token").toString());
    }

    @Test
    void brokenJsonIsReportedByPositionWithoutQuotingTheKey() {
        String broken = serviceAccount().toString().replace("\"private_key\":\"", "\"private_key\":");

        String message = assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(broken)).getMessage();

        assertTrue(message.startsWith("service-account JSON is not valid JSON (line 1, column "), message);
        assertFalse(message.contains("BEGIN") || message.contains("MII"), message);
    }

    private static void assertMessage(String expected, String json) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> FcmCredentials.parse(json)).getMessage());
    }
}
