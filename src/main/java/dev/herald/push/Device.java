package dev.herald.push;

import java.util.Objects;

/** A device registered to receive pushes, one variant per provider. */
public sealed interface Device permits Device.Apns, Device.Fcm, Device.Web {
    String id();

    /** {@code sandbox} says which APNs environment issued the token; a token is only valid in its own. */
    record Apns(String id, String token, String bundleId, boolean sandbox) implements Device {
        public Apns {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(bundleId, "bundleId");
        }
    }

    record Fcm(String id, String token) implements Device {
        public Fcm {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(token, "token");
        }
    }

    /** {@code p256dh} and {@code auth} are the base64url keys from the browser's PushSubscription. */
    record Web(String id, String endpoint, String p256dh, String auth) implements Device {
        public Web {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(p256dh, "p256dh");
            Objects.requireNonNull(auth, "auth");
        }
    }
}
