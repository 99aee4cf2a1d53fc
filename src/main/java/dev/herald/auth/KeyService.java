package dev.herald.auth;

import dev.herald.directory.DirectoryService;
import dev.herald.directory.DirectoryStore;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Ids;

import java.util.List;

/** Mints API keys and user tokens. Only the admin token may; each secret is shown once, at creation. */
public final class KeyService {
    private final AuthStore store;
    private final DirectoryStore directory;

    public KeyService(AuthStore store, DirectoryStore directory) {
        this.store = store;
        this.directory = directory;
    }

    public record NewApiKey(String id, String key, String name, String companyId, String appId, List<String> permissions) {
    }

    public record NewUserToken(String id, String token, String userId) {
    }

    public NewApiKey createApiKey(Credential caller, Body body) {
        DirectoryService.requireAdmin(caller);
        String companyId = body.optionalString("company_id", 64);
        String appId = body.optionalString("app_id", 64);
        if ((companyId == null) == (appId == null)) {
            throw companyId == null
                    ? ApiException.missing("company_id")
                    : ApiException.invalid("app_id", "Give either company_id or app_id, not both.");
        }
        if (companyId != null && directory.findCompany(companyId).isEmpty()) {
            throw ApiException.notFound("Company not found.", "company_id");
        }
        if (appId != null && directory.findApp(appId).isEmpty()) {
            throw ApiException.notFound("App not found.", "app_id");
        }
        List<String> permissions = body.optionalStringList("permissions", 32, 64);
        if (permissions == null) {
            throw ApiException.missing("permissions");
        }
        for (String permission : permissions) {
            if (!Permissions.ALL.contains(permission)) {
                throw ApiException.invalid("permissions", "Unknown permission " + permission + "; known: "
                        + String.join(", ", Permissions.ALL.stream().sorted().toList()) + ".");
            }
        }
        String name = body.optionalString("name", 100);
        String id = Ids.next("key");
        String secret = Secrets.newSecret(Secrets.API_KEY_PREFIX);
        store.insertApiKey(id, companyId, appId, name, permissions, Secrets.hash(secret));
        return new NewApiKey(id, secret, name, companyId, appId, permissions);
    }

    public NewUserToken createUserToken(Credential caller, String userId) {
        DirectoryService.requireAdmin(caller);
        directory.findUser(userId).orElseThrow(() -> ApiException.notFound("User not found.", "id"));
        String id = Ids.next("utok");
        String secret = Secrets.newSecret(Secrets.USER_TOKEN_PREFIX);
        store.insertUserToken(id, userId, Secrets.hash(secret));
        return new NewUserToken(id, secret, userId);
    }
}
