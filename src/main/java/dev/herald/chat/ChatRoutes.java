package dev.herald.chat;

import dev.herald.auth.Authenticator;
import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;

/** {@code /api/v1/chat_channels} and {@code /api/v1/messages}. */
public final class ChatRoutes implements HttpService {
    private final Authenticator auth;
    private final ChannelService channels;
    private final MessageService messages;

    public ChatRoutes(Authenticator auth, ChannelService channels, MessageService messages) {
        this.auth = auth;
        this.channels = channels;
        this.messages = messages;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/chat_channels", (req, res) -> Http.ok(res, channels.list(auth.authenticate(req), new ChannelService.ListQuery(
                        Http.query(req, "company_id"), Http.query(req, "product_id"), first(req), last(req),
                        Http.query(req, "after"), Http.query(req, "before")))))
                .get("/chat_channels/{id}", (req, res) -> Http.ok(res, channels.get(auth.authenticate(req), Http.pathParam(req, "id"))))
                .patch("/chat_channels/{id}", (req, res) -> Http.ok(res,
                        channels.update(auth.authenticate(req), Http.pathParam(req, "id"), Http.body(req))))
                .post("/messages", (req, res) -> Http.ok(res, messages.create(auth.authenticate(req), Http.body(req))))
                .get("/messages", (req, res) -> Http.ok(res, messages.list(auth.authenticate(req), new MessageService.ListQuery(
                        Http.query(req, "channel_id"), first(req), last(req), Http.query(req, "after"),
                        Http.query(req, "before"), Http.query(req, "direction")))))
                .get("/messages/{id}", (req, res) -> Http.ok(res, messages.get(auth.authenticate(req), Http.pathParam(req, "id"))))
                .patch("/messages/{id}", (req, res) -> Http.ok(res,
                        messages.update(auth.authenticate(req), Http.pathParam(req, "id"), Http.body(req))))
                .delete("/messages/{id}", (req, res) -> Http.ok(res, messages.delete(auth.authenticate(req), Http.pathParam(req, "id"))));
    }

    static Integer first(ServerRequest req) {
        return Http.queryInt(req, "first", 1, MessageService.MAX_PAGE);
    }

    static Integer last(ServerRequest req) {
        return Http.queryInt(req, "last", 1, MessageService.MAX_PAGE);
    }
}
