package dev.herald.chat;

import dev.herald.auth.Authenticator;
import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/** {@code /api/v1/dm_channels} and {@code /api/v1/dm_members}. */
public final class DmRoutes implements HttpService {
    private final Authenticator auth;
    private final DmService dms;

    public DmRoutes(Authenticator auth, DmService dms) {
        this.auth = auth;
        this.dms = dms;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/dm_channels", (req, res) -> Http.ok(res, dms.list(auth.authenticate(req), new DmService.ListQuery(
                        Http.query(req, "company_id"), ChatRoutes.first(req), ChatRoutes.last(req),
                        Http.query(req, "after"), Http.query(req, "before")))))
                .post("/dm_channels", (req, res) -> Http.ok(res, dms.create(auth.authenticate(req), Http.body(req))))
                .get("/dm_channels/{id}", (req, res) -> Http.ok(res, dms.get(auth.authenticate(req), Http.pathParam(req, "id"))))
                .patch("/dm_channels/{id}", (req, res) -> Http.ok(res,
                        dms.update(auth.authenticate(req), Http.pathParam(req, "id"), Http.body(req))))
                .delete("/dm_channels/{id}", (req, res) -> Http.ok(res, dms.delete(auth.authenticate(req), Http.pathParam(req, "id"))))
                .get("/dm_members", (req, res) -> Http.ok(res, dms.members(auth.authenticate(req), new DmService.MemberListQuery(
                        Http.query(req, "channel_id"), ChatRoutes.first(req), ChatRoutes.last(req),
                        Http.query(req, "after"), Http.query(req, "before")))))
                .post("/dm_members", (req, res) -> Http.ok(res, dms.addMember(auth.authenticate(req), Http.body(req))))
                .get("/dm_members/{id}", (req, res) -> Http.ok(res, dms.member(auth.authenticate(req), Http.pathParam(req, "id"))))
                .patch("/dm_members/{id}", (req, res) -> Http.ok(res,
                        dms.updateMember(auth.authenticate(req), Http.pathParam(req, "id"), Http.body(req))))
                .delete("/dm_members/{id}", (req, res) -> Http.ok(res,
                        dms.removeMember(auth.authenticate(req), Http.pathParam(req, "id"))));
    }
}
