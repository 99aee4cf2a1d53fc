package dev.herald.push;

import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.directory.AccessChanges;
import dev.herald.notify.FeedStore;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Json;
import dev.herald.webhook.Destinations;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Devices (a user's own), provider credentials (an app's or the instance's), preferences and push status. */
public final class PushService {
    private static final Pattern APNS_TOKEN = Pattern.compile("[0-9a-fA-F]{32,200}");
    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+={0,2}");
    private static final int MAX_TOKEN = 4096;

    private final PushStore store;
    private final FeedStore feed;
    private final Vapid vapid;
    private final Destinations destinations;
    private final boolean allowPrivate;
    private final AppAccess apps;
    private final AccessChanges changes;

    /** Whether an app exists (the directory's answer). */
    public interface AppAccess {
        boolean exists(String appId);
    }

    public PushService(PushStore store, FeedStore feed, boolean allowPrivate, AppAccess apps, AccessChanges changes) {
        this.changes = changes;
        this.store = store;
        this.feed = feed;
        this.vapid = new Vapid(store);
        this.destinations = new Destinations(allowPrivate);
        this.allowPrivate = allowPrivate;
        this.apps = apps;
    }

    // --- devices

    /** A device as the API shows it: never the token itself, nor a browser's keys. */
    public record DeviceView(String id, String object, String platform, String appId, String name, String bundleId,
                             String environment, String endpointOrigin, String tokenHint, String createdAt, String updatedAt) {
        static DeviceView of(PushStore.DeviceRow d) {
            String origin = null;
            if (d.platform().equals("web")) {
                URI uri = URI.create(d.token());
                origin = uri.getScheme() + "://" + uri.getAuthority();
            }
            String hint = d.platform().equals("web") ? null : "…" + d.token().substring(Math.max(0, d.token().length() - 6));
            return new DeviceView(d.id(), "push_device", d.platform(), d.appId(), d.name(), d.bundleId(), d.environment(),
                    origin, hint, d.createdAt(), d.updatedAt());
        }
    }

    public DeviceView register(Credential caller, Body body) {
        String userId = user(caller);
        String platform = body.requiredNonBlank("platform", 16);
        String appId = body.optionalString("app_id", 64);
        if (appId != null && !apps.exists(appId)) {
            throw ApiException.notFound("App not found.", "app_id");
        }
        String name = body.optionalString("name", 200);
        PushStore.DeviceRow row = switch (platform) {
            case "ios" -> {
                String token = body.requiredNonBlank("token", MAX_TOKEN);
                if (!APNS_TOKEN.matcher(token).matches()) {
                    throw ApiException.invalid("token", "An APNs device token is hexadecimal.");
                }
                String environment = body.optionalString("environment", 16);
                environment = environment == null ? "production" : environment;
                if (!environment.equals("production") && !environment.equals("sandbox")) {
                    throw ApiException.invalid("environment", "environment is production or sandbox.");
                }
                yield new PushStore.DeviceRow(null, userId, appId, platform, token.toLowerCase(),
                        body.requiredNonBlank("bundle_id", 255), environment, null, null, name, null, null);
            }
            case "android" -> new PushStore.DeviceRow(null, userId, appId, platform, body.requiredNonBlank("token", MAX_TOKEN),
                    null, null, null, null, name, null, null);
            case "web" -> {
                Body subscription = body.object("subscription");
                if (subscription == null) {
                    throw ApiException.missing("subscription");
                }
                String endpoint = subscription.requiredNonBlank("endpoint", MAX_TOKEN);
                Body keys = subscription.object("keys");
                if (keys == null) {
                    throw ApiException.missing(subscription.name("keys"));
                }
                String p256dh = keys.requiredNonBlank("p256dh", 200);
                String auth = keys.requiredNonBlank("auth", 100);
                if (!BASE64URL.matcher(p256dh).matches() || !BASE64URL.matcher(auth).matches()) {
                    throw ApiException.invalid(keys.name("p256dh"), "Subscription keys are base64url, as PushSubscription.toJSON() gives them.");
                }
                checkEndpoint(endpoint, subscription.name("endpoint"));
                yield new PushStore.DeviceRow(null, userId, appId, platform, endpoint, null, null, p256dh, auth, name, null, null);
            }
            default -> throw ApiException.invalid("platform", "platform is ios, android or web.");
        };
        return DeviceView.of(store.upsertDevice(row));
    }

    /** A Web Push endpoint is an https URL on the public internet (a browser's push service). */
    private void checkEndpoint(String endpoint, String param) {
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (java.net.URISyntaxException e) {
            throw ApiException.invalid(param, "endpoint is not a URL.");
        }
        boolean https = "https".equals(uri.getScheme());
        // Plain http only where private targets are allowed too: a local push service in development and tests.
        boolean localHttp = "http".equals(uri.getScheme()) && allowPrivate;
        if ((!https && !localHttp) || uri.getHost() == null) {
            throw ApiException.invalid(param, "endpoint must be an https URL of a push service.");
        }
        try {
            destinations.resolve(uri.getHost());
        } catch (Destinations.Refused e) {
            throw ApiException.invalid(param, "endpoint refused: " + e.getMessage());
        } catch (java.net.UnknownHostException e) {
            throw ApiException.invalid(param, "endpoint host " + uri.getHost() + " does not resolve.");
        }
    }

    public Map<String, Object> devices(Credential caller) {
        return Map.of("data", store.devicesOf(user(caller)).stream().map(DeviceView::of).toList());
    }

    public Map<String, Object> deleteDevice(Credential caller, String id) {
        if (!store.deleteDevice(user(caller), id)) {
            throw ApiException.notFound("Device not found.", "id");
        }
        return Map.of("id", id, "deleted", true);
    }

    public Map<String, Object> vapidPublicKey(String appId) {
        if (appId != null && !apps.exists(appId)) {
            throw ApiException.notFound("App not found.", "app_id");
        }
        return Map.of("public_key", vapid.keys(appId).publicKey());
    }

    private static String user(Credential caller) {
        if (!(caller instanceof Credential.User user)) {
            throw ApiException.forbidden("Devices belong to users: use a user token.");
        }
        return user.userId();
    }

    // --- credentials

    /** Stores an app's (app_id given) or the instance's credentials for a provider, after checking they parse. */
    public Map<String, Object> putCredentials(Credential caller, String provider, Body body) {
        String appId = manageable(caller, body.optionalString("app_id", 64));
        Map<String, Object> config = new LinkedHashMap<>();
        switch (provider) {
            case "apns" -> {
                config.put("key_id", body.requiredNonBlank("key_id", 20));
                config.put("team_id", body.requiredNonBlank("team_id", 20));
                config.put("private_key", body.requiredNonBlank("private_key", 10_000));
                try {
                    ApnsCredentials.parse((String) config.get("private_key"), (String) config.get("key_id"), (String) config.get("team_id"));
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid("private_key", e.getMessage());
                }
            }
            case "fcm" -> {
                Body account = body.object("service_account");
                if (account == null) {
                    throw ApiException.missing("service_account");
                }
                try {
                    FcmCredentials.parse(Json.string(account.node()));
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid("service_account", e.getMessage());
                }
                config.put("service_account", account.node());
            }
            case "vapid" -> {
                config.put("public_key", body.requiredNonBlank("public_key", 200));
                config.put("private_key", body.requiredNonBlank("private_key", 200));
                try {
                    VapidKeys.of((String) config.get("public_key"), (String) config.get("private_key"));
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid("private_key", e.getMessage());
                }
            }
            default -> throw ApiException.notFound("Providers are apns, fcm and vapid.", "provider");
        }
        store.putCredentials(appId, provider, config);
        return view(store.findCredentials(appId, provider).orElseThrow());
    }

    public Map<String, Object> credentials(Credential caller, String appId) {
        String scope = manageable(caller, appId);
        return Map.of("data", store.credentialsOf(scope).stream().map(PushService::view).toList());
    }

    public Map<String, Object> deleteCredentials(Credential caller, String provider, String appId) {
        String scope = manageable(caller, appId);
        if (!store.deleteCredentials(scope, provider)) {
            throw ApiException.notFound("No " + provider + " credentials to delete.", "provider");
        }
        return Map.of("provider", provider, "app_id", scope == null ? "" : scope, "deleted", true);
    }

    /** What may be said about stored credentials: who they identify as, never the keys. */
    private static Map<String, Object> view(PushStore.CredentialRow row) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "push_credentials");
        out.put("provider", row.provider());
        out.put("app_id", row.appId());
        switch (row.provider()) {
            case "apns" -> {
                out.put("key_id", row.config().get("key_id"));
                out.put("team_id", row.config().get("team_id"));
            }
            case "fcm" -> {
                Object account = row.config().get("service_account");
                Map<?, ?> sa = account instanceof Map<?, ?> m ? m : Map.of();
                out.put("project_id", sa.get("project_id"));
                out.put("client_email", sa.get("client_email"));
            }
            default -> out.put("public_key", row.config().get("public_key"));
        }
        out.put("created_at", row.createdAt());
        out.put("updated_at", row.updatedAt());
        return out;
    }

    /** The admin manages the instance's and any app's credentials; an app key only its own app's. */
    private String manageable(Credential caller, String appId) {
        switch (caller) {
            case Credential.Admin admin -> {
                if (appId != null && !apps.exists(appId)) {
                    throw ApiException.notFound("App not found.", "app_id");
                }
                return appId;
            }
            case Credential.AppKey key -> {
                Permissions.require(caller, Permissions.MANAGE_PUSH);
                if (appId != null && !appId.equals(key.appId())) {
                    throw ApiException.notFound("App not found.", "app_id");
                }
                return key.appId();
            }
            default -> throw ApiException.forbidden("Push credentials are managed with the admin token or the app's API key.");
        }
    }

    // --- preferences

    public Map<String, Object> preferences(Credential caller) {
        return Map.of("data", store.preferences(user(caller)));
    }

    public PushStore.Preference setPreference(Credential caller, Body body) {
        String userId = user(caller);
        String topicId = body.requiredNonBlank("topic_id", 64);
        String channel = body.requiredNonBlank("channel", 16);
        if (!channel.equals("push") && !channel.equals("in_app")) {
            throw ApiException.invalid("channel", "channel is push or in_app.");
        }
        Boolean enabled = body.optionalBoolean("enabled");
        if (enabled == null) {
            throw ApiException.missing("enabled");
        }
        if (!store.topicExists(topicId)) {
            throw ApiException.notFound("Topic not found.", "topic_id");
        }
        store.setPreference(userId, topicId, channel, enabled);
        changes.userChanged(userId); // the feed leaves muted topics out: this node's caches see it at once
        return store.preferences(userId).stream()
                .filter(p -> p.topicId().equals(topicId) && p.channel().equals(channel)).findFirst().orElseThrow();
    }

    // --- status

    /** How a notification's push went, for whoever may send as its company or app. */
    public Map<String, Object> status(Credential caller, String notificationId) {
        long seq = feed.seqOf(notificationId).orElseThrow(() -> ApiException.notFound("Notification not found.", "id"));
        var row = feed.find(seq).orElseThrow();
        boolean allowed = switch (caller) {
            case Credential.Admin admin -> true;
            case Credential.CompanyKey key -> key.companyId().equals(row.companyId());
            case Credential.AppKey key -> key.appId().equals(row.appId());
            case Credential.User user -> false;
        };
        if (!allowed) {
            throw ApiException.notFound("Notification not found.", "id");
        }
        Permissions.require(caller, Permissions.NOTIFICATION_CREATE);
        Map<String, Object> push = new LinkedHashMap<>();
        var status = store.status(seq);
        if (status.isEmpty()) {
            push.put("status", store.pushed(seq).isPresent() ? "queued" : "not_pushed");
        } else {
            var s = status.get();
            int sent = 0;
            int failed = 0;
            int removed = 0;
            int skipped = 0;
            int retrying = 0;
            Map<String, Object> platforms = new LinkedHashMap<>();
            for (PushStore.Counts c : s.platforms()) {
                sent += c.sent();
                failed += c.failed();
                removed += c.removed();
                skipped += c.skipped();
                retrying += c.retrying();
                platforms.put(c.platform(), c);
            }
            boolean pending = !s.status().equals("done") || retrying > 0;
            push.put("status", s.status().equals("queued") ? "queued" : pending ? "sending" : "done");
            // Devices are counted as the job walks them: the total is final once the status is done.
            push.put("devices", s.devices() == null ? 0 : s.devices());
            push.put("sent", sent);
            push.put("failed", failed);
            push.put("removed", removed);
            push.put("skipped", skipped);
            push.put("retrying", retrying);
            push.put("started_at", s.startedAt());
            push.put("finished_at", s.finishedAt());
            push.put("platforms", platforms);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", notificationId);
        out.put("object", "notification_delivery");
        out.put("push", push);
        return out;
    }
}
