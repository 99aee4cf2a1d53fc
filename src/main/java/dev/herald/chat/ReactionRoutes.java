package dev.herald.chat;

import dev.herald.auth.Authenticator;
import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/** {@code /api/v1/reactions}: emoji reactions and poll votes on messages. */
public final class ReactionRoutes implements HttpService {
    private final Authenticator auth;
    private final ReactionService reactions;

    public ReactionRoutes(Authenticator auth, ReactionService reactions) {
        this.auth = auth;
        this.reactions = reactions;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/reactions", (req, res) -> Http.ok(res, reactions.create(auth.authenticate(req), Http.body(req))))
                .get("/reactions", (req, res) -> Http.ok(res, reactions.list(auth.authenticate(req), new ReactionService.ListQuery(
                        Http.query(req, "resource_id"), ChatRoutes.first(req), ChatRoutes.last(req),
                        Http.query(req, "after"), Http.query(req, "before")))))
                .get("/reactions/{id}", (req, res) -> Http.ok(res, reactions.get(auth.authenticate(req), Http.pathParam(req, "id"))))
                .delete("/reactions/{id}", (req, res) -> Http.ok(res, reactions.delete(auth.authenticate(req),
                        Http.pathParam(req, "id"), Http.query(req, "emoji"))));
    }
}
