package dev.herald.webhook;

import dev.herald.auth.Authenticator;
import dev.herald.web.ApiException;
import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;

/** {@code /api/v1/webhooks}: the SDK's webhook endpoints, and each endpoint's deliveries with their attempts. */
public final class WebhookRoutes implements HttpService {
    private final Authenticator auth;
    private final WebhookService webhooks;

    public WebhookRoutes(Authenticator auth, WebhookService webhooks) {
        this.auth = auth;
        this.webhooks = webhooks;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/webhooks", (req, res) -> Http.json(res, 201, webhooks.create(auth.authenticate(req), Http.body(req))))
                .get("/webhooks", (req, res) -> Http.ok(res, webhooks.list(auth.authenticate(req), new WebhookService.ListQuery(
                        Http.query(req, "company_id"), first(req), after(req)))))
                .get("/webhooks/{id}", (req, res) -> Http.ok(res, webhooks.get(auth.authenticate(req), Http.pathParam(req, "id"))))
                .patch("/webhooks/{id}", (req, res) -> Http.ok(res, webhooks.update(auth.authenticate(req),
                        Http.pathParam(req, "id"), Http.body(req))))
                .delete("/webhooks/{id}", (req, res) -> Http.ok(res, webhooks.delete(auth.authenticate(req), Http.pathParam(req, "id"))))
                .get("/webhooks/{id}/deliveries", (req, res) -> Http.ok(res, webhooks.deliveries(auth.authenticate(req),
                        Http.pathParam(req, "id"), new WebhookService.DeliveryQuery(Http.query(req, "status"), first(req), after(req)))));
    }

    private static Integer first(ServerRequest req) {
        return Http.queryInt(req, "first", 1, WebhookService.MAX_PAGE);
    }

    /** These lists page forward only (newest first), like the feed; a backward page is refused rather than ignored. */
    private static String after(ServerRequest req) {
        for (String param : new String[] {"before", "last"}) {
            if (Http.query(req, param) != null) {
                throw ApiException.invalid(param, "Parameter " + param + " is not supported here; page forward with first and after.");
            }
        }
        return Http.query(req, "after");
    }
}
