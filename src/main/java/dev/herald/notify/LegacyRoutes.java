package dev.herald.notify;

import dev.herald.auth.Authenticator;
import dev.herald.auth.Credential;
import dev.herald.web.Http;
import dev.herald.web.Idempotency;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

import java.nio.charset.StandardCharsets;

/** {@code POST /api/v2/app/notifications}: the topic-based legacy API (seed 001). */
public final class LegacyRoutes implements HttpService {
    private final Authenticator auth;
    private final NotificationService notifications;

    public LegacyRoutes(Authenticator auth, NotificationService notifications) {
        this.auth = auth;
        this.notifications = notifications;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/app/notifications", (req, res) -> {
            Credential caller = auth.authenticate(req);
            String key = Idempotency.validKey(Http.header(req, "Idempotency-Key"));
            NotificationService.Outcome outcome = notifications.createLegacy(caller, Http.body(req), key);
            Http.send(res, outcome.status(), outcome.json().getBytes(StandardCharsets.UTF_8));
        });
    }
}
