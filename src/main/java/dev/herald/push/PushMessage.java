package dev.herald.push;

import java.time.Duration;
import java.util.Objects;

/**
 * Provider-neutral content of one push. Every text field but {@code notificationId} may be null.
 * {@code topic} groups pushes so a newer one replaces an older one still waiting on the device or in
 * the push service; {@code ttl} is how long a provider may hold the push for an offline device.
 */
public record PushMessage(String notificationId, String title, String subtitle, String body, String deepLink,
                          String iconUrl, boolean important, String topic, Duration ttl) {
    /** Used when no ttl is given: the longest FCM keeps a message, and a common default elsewhere. */
    public static final Duration DEFAULT_TTL = Duration.ofDays(28);

    public PushMessage {
        Objects.requireNonNull(notificationId, "notificationId");
        if (topic != null && topic.isBlank()) {
            topic = null; // providers reject empty collapse keys; no topic is what was meant
        }
        if (ttl == null) {
            ttl = DEFAULT_TTL;
        } else if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative: " + ttl);
        }
    }
}
