package dev.herald.auth;

import dev.herald.web.Http;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/** {@code POST /api/v1/api_keys} and {@code POST /api/v1/users/{id}/tokens}. */
public final class KeyRoutes implements HttpService {
    private final Authenticator auth;
    private final KeyService keys;

    public KeyRoutes(Authenticator auth, KeyService keys) {
        this.auth = auth;
        this.keys = keys;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/api_keys", (req, res) -> Http.json(res, 201, keys.createApiKey(auth.authenticate(req), Http.body(req))))
                .post("/users/{id}/tokens", (req, res) ->
                        Http.json(res, 201, keys.createUserToken(auth.authenticate(req), Http.pathParam(req, "id"))));
    }
}
