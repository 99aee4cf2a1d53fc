package dev.herald.auth;

import dev.herald.web.ApiException;
import dev.herald.web.Http;
import io.helidon.webserver.http.ServerRequest;

import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns an {@code Authorization: Bearer …} header into a {@link Credential}, or a 401. Keys and
 * tokens found in the database are remembered for {@link #CACHE_TTL} so a busy client does not
 * cost a lookup per request; keys are never mutated in place, so a cached credential is exact.
 */
public final class Authenticator {
    static final Duration CACHE_TTL = Duration.ofSeconds(30);
    private static final int CACHE_MAX = 50_000;

    private final AuthStore store;
    private final String adminToken;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Credential credential, long expiresAtNanos) {
    }

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
        Optional<Credential> remembered = remembered(secret);
        if (remembered.isPresent() || !storedKind(secret)) {
            return remembered;
        }
        byte[] hash = Secrets.hash(secret); // a second time on a miss: nothing beside the query that follows
        String cacheKey = HexFormat.of().formatHex(hash);
        Optional<Credential> found = secret.startsWith(Secrets.API_KEY_PREFIX) ? store.findApiKey(hash) : store.findUserToken(hash);
        found.ifPresentOrElse(credential -> {
            if (cache.size() >= CACHE_MAX) {
                cache.clear();
            }
            cache.put(cacheKey, new Cached(credential, System.nanoTime() + CACHE_TTL.toNanos()));
        }, () -> cache.remove(cacheKey));
        return found;
    }

    /**
     * The credential of a secret if it is known without the database (the admin token, or a key or
     * token resolved within {@link #CACHE_TTL}); empty says nothing about its validity: ask {@link #resolve}.
     */
    public Optional<Credential> remembered(String secret) {
        if (secret.isEmpty() || secret.length() > 200) {
            return Optional.empty();
        }
        if (Secrets.constantTimeEquals(secret, adminToken)) {
            return Optional.of(new Credential.Admin());
        }
        if (!storedKind(secret)) {
            return Optional.empty();
        }
        Cached cached = cache.get(HexFormat.of().formatHex(Secrets.hash(secret)));
        return cached != null && cached.expiresAtNanos() - System.nanoTime() > 0 ? Optional.of(cached.credential()) : Optional.empty();
    }

    /** An API key or a user token: what the database holds (by hash) and the cache remembers. */
    private static boolean storedKind(String secret) {
        return secret.length() <= 200
                && (secret.startsWith(Secrets.API_KEY_PREFIX) || secret.startsWith(Secrets.USER_TOKEN_PREFIX));
    }
}
