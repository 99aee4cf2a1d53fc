package dev.herald.push;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Providers limit the collapse key's size and alphabet. A topic that does not fit is replaced by a
 * digest of itself, so equal topics still collapse together and different ones stay apart.
 */
final class Topics {
    private static final int APNS_COLLAPSE_ID_BYTES = 64;
    /** RFC 8030 5.4: at most 32 characters from the URL- and filename-safe base64 alphabet. */
    private static final int WEB_PUSH_TOPIC_CHARS = 32;

    private Topics() {
    }

    static String apnsCollapseId(String topic) {
        return topic.getBytes(StandardCharsets.UTF_8).length <= APNS_COLLAPSE_ID_BYTES ? topic : digest(topic);
    }

    static String webPushTopic(String topic) {
        return isWebPushTopic(topic) ? topic : digest(topic).substring(0, WEB_PUSH_TOPIC_CHARS);
    }

    private static boolean isWebPushTopic(String topic) {
        if (topic.isEmpty() || topic.length() > WEB_PUSH_TOPIC_CHARS) {
            return false;
        }
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            boolean base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!base64url) {
                return false;
            }
        }
        return true;
    }

    /** 43 base64url characters of SHA-256. */
    private static String digest(String topic) {
        try {
            return Keys.base64Url(MessageDigest.getInstance("SHA-256").digest(topic.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
