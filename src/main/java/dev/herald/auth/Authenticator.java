package dev.herald.auth;

import dev.herald.web.ApiException;
import dev.herald.web.Http;
import io.helidon.webserver.http.ServerRequest;

import java.security.MessageDigest;
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
    public static final int MAX_SECRET_LENGTH = 200;

    private final AuthStore store;
    private final byte[] adminTokenHash;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Credential credential, long expiresAtNanos) {
    }

    public Authenticator(AuthStore store, String adminToken) {
        this.store = store;
        this.adminTokenHash = Secrets.hash(adminToken);
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
        if (!plausible(secret)) {
            return Optional.empty();
        }
        byte[] hash = Secrets.hash(secret);
        Optional<Credential> known = remembered(secret, hash);
        if (known.isPresent() || !storedKind(secret)) {
            return known;
        }
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
        return plausible(secret) ? remembered(secret, Secrets.hash(secret)) : Optional.empty();
    }

    private Optional<Credential> remembered(String secret, byte[] hash) {
        if (MessageDigest.isEqual(hash, adminTokenHash)) {
            return Optional.of(new Credential.Admin());
        }
        if (!storedKind(secret)) {
            return Optional.empty();
        }
        Cached cached = cache.get(HexFormat.of().formatHex(hash));
        return cached != null && cached.expiresAtNanos() - System.nanoTime() > 0 ? Optional.of(cached.credential()) : Optional.empty();
    }

    /** Longer secrets are refused before hashing: no credential Herald issues comes near it. */
    private static boolean plausible(String secret) {
        return !secret.isEmpty() && secret.length() <= MAX_SECRET_LENGTH;
    }

    /** An API key or a user token: what the database holds (by hash) and the cache remembers. */
    private static boolean storedKind(String secret) {
        return secret.startsWith(Secrets.API_KEY_PREFIX) || secret.startsWith(Secrets.USER_TOKEN_PREFIX);
    }
}
