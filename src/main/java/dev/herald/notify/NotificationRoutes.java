package dev.herald.notify;

import dev.herald.auth.Authenticator;
import dev.herald.auth.Credential;
import dev.herald.web.Body;
import dev.herald.web.Http;
import dev.herald.web.Idempotency;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** {@code /api/v1/notifications}: create (app side) and the user's feed (user token). */
public final class NotificationRoutes implements HttpService {
    private final Authenticator auth;
    private final NotificationService notifications;
    private final FeedService feed;

    public NotificationRoutes(Authenticator auth, NotificationService notifications, FeedService feed) {
        this.auth = auth;
        this.notifications = notifications;
        this.feed = feed;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/notifications", this::create)
                .get("/notifications", this::list)
                .get("/notifications/badges", (req, res) -> Http.ok(res, feed.badges(auth.authenticate(req))))
                .get("/notifications/topics", (req, res) -> Http.ok(res, feed.topics(auth.authenticate(req))))
                .post("/notifications/mark_read", this::markRead)
                .get("/notifications/{id}", (req, res) -> Http.ok(res, feed.get(auth.authenticate(req), Http.pathParam(req, "id"))));
    }

    private void create(ServerRequest req, ServerResponse res) {
        Credential caller = auth.authenticate(req);
        String key = Idempotency.validKey(Http.header(req, "Idempotency-Key"));
        NotificationService.Outcome outcome = notifications.create(caller, Http.body(req), key);
        Http.send(res, outcome.status(), outcome.json().getBytes(StandardCharsets.UTF_8));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Credential caller = auth.authenticate(req);
        String accountId = Http.query(req, "account_id");
        FeedService.Query query = new FeedService.Query(
                Http.queryInt(req, "first", 1, FeedService.MAX_PAGE),
                Http.query(req, "after"),
                Http.query(req, "experience_id"),
                accountId != null ? accountId : Http.query(req, "company_id"),
                Boolean.TRUE.equals(Http.queryBoolean(req, "mentions")),
                Boolean.TRUE.equals(Http.queryBoolean(req, "unread")));
        Http.ok(res, feed.list(caller, query));
    }

    private void markRead(ServerRequest req, ServerResponse res) {
        Credential caller = auth.authenticate(req);
        Body body = Http.body(req);
        String accountId = body.optionalString("account_id", NotificationService.MAX_ID);
        feed.markRead(caller, body.optionalString("experience_id", NotificationService.MAX_ID),
                accountId != null ? accountId : body.optionalString("company_id", NotificationService.MAX_ID),
                Boolean.TRUE.equals(body.optionalBoolean("all")));
        Http.ok(res, Map.of("success", true));
    }
}
