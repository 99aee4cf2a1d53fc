package dev.herald.push;

import dev.herald.auth.Authenticator;
import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/**
 * {@code /api/v1/push/…}: a user's devices, the VAPID public key browsers subscribe with, provider
 * credentials, and {@code /api/v1/notification_preferences} and a notification's delivery status.
 */
public final class PushRoutes implements HttpService {
    private final Authenticator auth;
    private final PushService push;

    public PushRoutes(Authenticator auth, PushService push) {
        this.auth = auth;
        this.push = push;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/push/devices", (req, res) -> Http.json(res, 201, push.register(auth.authenticate(req), Http.body(req))))
                .get("/push/devices", (req, res) -> Http.ok(res, push.devices(auth.authenticate(req))))
                .delete("/push/devices/{id}", (req, res) -> Http.ok(res, push.deleteDevice(auth.authenticate(req), Http.pathParam(req, "id"))))
                .get("/push/vapid_public_key", (req, res) -> {
                    auth.authenticate(req);
                    Http.ok(res, push.vapidPublicKey(Http.query(req, "app_id")));
                })
                .put("/push/credentials/{provider}", (req, res) -> Http.ok(res, push.putCredentials(auth.authenticate(req),
                        Http.pathParam(req, "provider"), Http.body(req))))
                .get("/push/credentials", (req, res) -> Http.ok(res, push.credentials(auth.authenticate(req), Http.query(req, "app_id"))))
                .delete("/push/credentials/{provider}", (req, res) -> Http.ok(res, push.deleteCredentials(auth.authenticate(req),
                        Http.pathParam(req, "provider"), Http.query(req, "app_id"))))
                .get("/notification_preferences", (req, res) -> Http.ok(res, push.preferences(auth.authenticate(req))))
                .post("/notification_preferences", (req, res) -> Http.ok(res, push.setPreference(auth.authenticate(req), Http.body(req))))
                .get("/notifications/{id}/delivery", (req, res) -> Http.ok(res, push.status(auth.authenticate(req), Http.pathParam(req, "id"))));
    }
}
