package dev.herald.chat;

import dev.herald.auth.Authenticator;
import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/** {@code /api/v1/support_channels}, with Herald's {@code resolve} and {@code reopen} actions. */
public final class SupportRoutes implements HttpService {
    private final Authenticator auth;
    private final SupportService support;

    public SupportRoutes(Authenticator auth, SupportService support) {
        this.auth = auth;
        this.support = support;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/support_channels", (req, res) -> Http.ok(res, support.list(auth.authenticate(req), new SupportService.ListQuery(
                        Http.query(req, "company_id"), Http.queryBoolean(req, "open"), Http.query(req, "order"),
                        Http.query(req, "direction"), Http.query(req, "view"), ChatRoutes.first(req), ChatRoutes.last(req),
                        Http.query(req, "after"), Http.query(req, "before")))))
                .post("/support_channels", (req, res) -> Http.ok(res, support.create(auth.authenticate(req), Http.body(req))))
                .get("/support_channels/{id}", (req, res) -> Http.ok(res, support.get(auth.authenticate(req), Http.pathParam(req, "id"))))
                .post("/support_channels/{id}/resolve", (req, res) -> Http.ok(res,
                        support.setResolved(auth.authenticate(req), Http.pathParam(req, "id"), true)))
                .post("/support_channels/{id}/reopen", (req, res) -> Http.ok(res,
                        support.setResolved(auth.authenticate(req), Http.pathParam(req, "id"), false)));
    }
}
