package dev.herald.push;

import java.time.Duration;

/** What became of one push, as far as the provider told us. */
public sealed interface PushOutcome {
    /** Accepted by the provider. {@code providerId}: apns-id, FCM message name or Location header; may be null. */
    record Sent(int status, String providerId) implements PushOutcome {
    }

    /** Worth trying again later. {@code after} is the provider's Retry-After, or null: the caller picks a backoff. */
    record Retry(Duration after, String reason) implements PushOutcome {
    }

    /** The token or subscription is invalid or expired for good: the caller deletes the device. */
    record Gone(String reason) implements PushOutcome {
    }

    /** Will never succeed for this message (the device may still be fine); the caller records it. */
    record Failed(String reason) implements PushOutcome {
    }
}
