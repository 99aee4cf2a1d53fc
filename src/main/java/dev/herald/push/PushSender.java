package dev.herald.push;

/**
 * Sends one push to one device through its provider. Implementations are thread-safe and block the
 * calling (virtual) thread for the HTTP exchange; network errors and timeouts come back as
 * {@link PushOutcome.Retry}, never as exceptions. A device of another provider's kind is a
 * programming error and throws {@link IllegalArgumentException}.
 */
public interface PushSender {
    PushOutcome send(Device device, PushMessage message);
}
