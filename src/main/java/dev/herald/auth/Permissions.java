package dev.herald.auth;

import dev.herald.web.ApiException;

import java.util.Set;

/** The permission names of the seeds' permissions table; API keys carry a subset. */
public final class Permissions {
    public static final String NOTIFICATION_CREATE = "notification:create";
    public static final String CHAT_READ = "chat:read";
    public static final String CHAT_MESSAGE_CREATE = "chat:message:create";
    public static final String CHAT_MODERATE = "chat:moderate";
    public static final String SUPPORT_CHAT_CREATE = "support_chat:create";
    public static final String SUPPORT_CHAT_READ = "support_chat:read";
    public static final String MANAGE_WEBHOOK = "developer:manage_webhook";
    public static final String MANAGE_PUSH = "developer:manage_push";

    public static final Set<String> ALL = Set.of(NOTIFICATION_CREATE, CHAT_READ, CHAT_MESSAGE_CREATE, CHAT_MODERATE,
            SUPPORT_CHAT_CREATE, SUPPORT_CHAT_READ, MANAGE_WEBHOOK, MANAGE_PUSH);

    private Permissions() {
    }

    /** Keys must hold the permission; admins and users are judged by their roles elsewhere. */
    public static void require(Credential credential, String permission) {
        Set<String> held = switch (credential) {
            case Credential.CompanyKey key -> key.permissions();
            case Credential.AppKey key -> key.permissions();
            case Credential.Admin admin -> ALL;
            case Credential.User user -> ALL;
        };
        if (!held.contains(permission)) {
            throw ApiException.forbidden("This API key lacks the " + permission + " permission.");
        }
    }
}
