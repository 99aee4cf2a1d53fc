package dev.herald.auth;

import dev.herald.web.ApiException;
import dev.herald.web.Http;
import io.helidon.webserver.http.ServerRequest;

import java.util.Optional;

/** Turns an {@code Authorization: Bearer …} header into a {@link Credential}, or a 401. */
public final class Authenticator {
    private final AuthStore store;
    private final String adminToken;

    public Authenticator(AuthStore store, String adminToken) {
        this.store = store;
        this.adminToken = adminToken;
    }

    public Credential authenticate(ServerRequest req) {
        String header = Http.header(req, "Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("Invalid or missing API key");
        }
        return resolve(header.substring(7).trim())
                .orElseThrow(() -> ApiException.unauthorized("Invalid or missing API key"));
    }

    public Optional<Credential> resolve(String secret) {
        if (secret.isEmpty() || secret.length() > 200) {
            return Optional.empty();
        }
        if (Secrets.constantTimeEquals(secret, adminToken)) {
            return Optional.of(new Credential.Admin());
        }
        if (secret.startsWith(Secrets.API_KEY_PREFIX)) {
            return store.findApiKey(Secrets.hash(secret));
        }
        if (secret.startsWith(Secrets.USER_TOKEN_PREFIX)) {
            return store.findUserToken(Secrets.hash(secret));
        }
        return Optional.empty();
    }
}
