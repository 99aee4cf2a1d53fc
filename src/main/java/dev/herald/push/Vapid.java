package dev.herald.push;

import java.util.Map;

/**
 * The VAPID keys browsers subscribe with: an app's own when it stored some, else the instance's,
 * generated on first use and kept in the database so every node and every restart signs alike
 * (a new key would orphan every existing browser subscription).
 */
final class Vapid {
    private final PushStore store;

    Vapid(PushStore store) {
        this.store = store;
    }

    VapidKeys keys(String appId) {
        if (appId != null) {
            var own = store.findCredentials(appId, "vapid");
            if (own.isPresent()) {
                return of(own.get());
            }
        }
        var stored = store.findCredentials(null, "vapid");
        if (stored.isPresent()) {
            return of(stored.get());
        }
        VapidKeys fresh = VapidKeys.generate();
        return of(store.putCredentialsIfAbsent(null, "vapid", Map.of("public_key", fresh.publicKey(), "private_key", fresh.privateKey())));
    }

    private static VapidKeys of(PushStore.CredentialRow row) {
        return VapidKeys.of((String) row.config().get("public_key"), (String) row.config().get("private_key"));
    }
}
