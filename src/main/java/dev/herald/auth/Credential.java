package dev.herald.auth;

import java.util.Set;

/** Who is calling. Every request carries exactly one of these after {@link Authenticator}. */
public sealed interface Credential {
    /** Scopes idempotency keys and audit trails: two callers never share a key space. */
    String ownerKey();

    /** The operator: may call everything, including the directory endpoints. */
    record Admin() implements Credential {
        public String ownerKey() {
            return "admin";
        }
    }

    /** An API key of one company, limited to its permission list. */
    record CompanyKey(String keyId, String companyId, Set<String> permissions) implements Credential {
        public String ownerKey() {
            return keyId;
        }
    }

    /** An API key of one app: acts on the app's experiences and on companies that installed it. */
    record AppKey(String keyId, String appId, Set<String> permissions) implements Credential {
        public String ownerKey() {
            return keyId;
        }
    }

    /** A user token: acts as that user. */
    record User(String tokenId, String userId) implements Credential {
        public String ownerKey() {
            return userId;
        }
    }

    default boolean isAdmin() {
        return this instanceof Admin;
    }
}
