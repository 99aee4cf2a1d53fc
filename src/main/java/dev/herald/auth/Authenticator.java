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
        if (secret.isEmpty() || secret.length() > 200) {
            return Optional.empty();
        }
        if (Secrets.constantTimeEquals(secret, adminToken)) {
            return Optional.of(new Credential.Admin());
        }
        boolean apiKey = secret.startsWith(Secrets.API_KEY_PREFIX);
        if (!apiKey && !secret.startsWith(Secrets.USER_TOKEN_PREFIX)) {
            return Optional.empty();
        }
        byte[] hash = Secrets.hash(secret);
        String cacheKey = HexFormat.of().formatHex(hash);
        long now = System.nanoTime();
        Optional<Credential> remembered = remembered(cacheKey, now);
        if (remembered.isPresent()) {
            return remembered;
        }
        Optional<Credential> found = apiKey ? store.findApiKey(hash) : store.findUserToken(hash);
        found.ifPresentOrElse(credential -> {
            if (cache.size() >= CACHE_MAX) {
                cache.clear();
            }
            cache.put(cacheKey, new Cached(credential, now + CACHE_TTL.toNanos()));
        }, () -> cache.remove(cacheKey));
        return found;
    }

    /**
     * The credential of a secret if it is known without the database (the admin token, or a key or
     * token resolved within {@link #CACHE_TTL}); empty says nothing about its validity: ask {@link #resolve}.
     */
    public Optional<Credential> remembered(String secret) {
        if (Secrets.constantTimeEquals(secret, adminToken)) {
            return Optional.of(new Credential.Admin());
        }
        return remembered(HexFormat.of().formatHex(Secrets.hash(secret)), System.nanoTime());
    }

    private Optional<Credential> remembered(String cacheKey, long now) {
        Cached cached = cache.get(cacheKey);
        return cached != null && cached.expiresAtNanos() - now > 0 ? Optional.of(cached.credential()) : Optional.empty();
    }
}
