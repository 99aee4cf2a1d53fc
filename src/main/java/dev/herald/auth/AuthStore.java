package dev.herald.auth;

import org.jdbi.v3.core.Jdbi;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** SQL for API keys and user tokens. Secrets are looked up by hash only. */
public final class AuthStore {
    private final Jdbi jdbi;

    public AuthStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<Credential> findApiKey(byte[] hash) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select id, company_id, app_id, permissions from api_keys
                        where secret_hash = :hash and revoked_at is null""")
                .bind("hash", hash)
                .map((rs, ctx) -> {
                    Set<String> permissions = Set.copyOf(Arrays.asList((String[]) rs.getArray("permissions").getArray()));
                    String companyId = rs.getString("company_id");
                    return companyId != null
                            ? (Credential) new Credential.CompanyKey(rs.getString("id"), companyId, permissions)
                            : new Credential.AppKey(rs.getString("id"), rs.getString("app_id"), permissions);
                })
                .findOne());
    }

    public Optional<Credential> findUserToken(byte[] hash) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select id, user_id from user_tokens where token_hash = :hash and revoked_at is null""")
                .bind("hash", hash)
                .map((rs, ctx) -> (Credential) new Credential.User(rs.getString("id"), rs.getString("user_id")))
                .findOne());
    }

    public void insertApiKey(String id, String companyId, String appId, String name, List<String> permissions, byte[] hash) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into api_keys (id, company_id, app_id, name, permissions, secret_hash)
                        values (:id, :company, :app, :name, :permissions, :hash)""")
                .bind("id", id).bind("company", companyId).bind("app", appId).bind("name", name)
                .bind("permissions", permissions.toArray(new String[0])).bind("hash", hash)
                .execute());
    }

    public void insertUserToken(String id, String userId, byte[] hash) {
        jdbi.useHandle(h -> h.createUpdate("insert into user_tokens (id, user_id, token_hash) values (:id, :user, :hash)")
                .bind("id", id).bind("user", userId).bind("hash", hash).execute());
    }
}
