package dev.herald.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.directory.Directory;
import dev.herald.directory.DirectoryService;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Cursor;
import dev.herald.web.Ids;
import dev.herald.web.Json;
import dev.herald.web.Page;
import dev.herald.web.PageInfo;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * The Webhooks API in the SDK's shape. Endpoints belong to the company or app whose key created
 * them (the admin token creates them for the resource's owner) and only that owner and the admin
 * see them; keys need {@code developer:manage_webhook}, user tokens are refused.
 */
public final class WebhookService {
    /** What Herald emits of the SDK's {@code WebhookEvent} list: the default subscription. */
    static final List<String> SDK_EVENTS = List.of("chat.message.created", "chat.reaction.created",
            "membership.activated", "membership.deactivated");
    /** Herald's further events (not in the SDK's list), same shapes as their {@code created} siblings. */
    static final List<String> HERALD_EVENTS = List.of("chat.message.updated", "chat.message.deleted", "chat.reaction.deleted");
    private static final List<String> EVENTS = Stream.concat(SDK_EVENTS.stream(), HERALD_EVENTS.stream()).toList();
    static final String API_VERSION = "v1";
    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 100;
    private static final String WEBHOOK_CURSOR = "hook";
    private static final String DELIVERY_CURSOR = "whd";
    private static final Set<String> DELIVERY_STATUSES = Set.of("pending", "succeeded", "failed");

    private final WebhookStore store;
    private final DirectoryService directory;
    private final Destinations destinations;
    private final boolean allowPrivate;

    public WebhookService(WebhookStore store, DirectoryService directory, boolean allowPrivate) {
        this.store = store;
        this.directory = directory;
        this.destinations = new Destinations(allowPrivate);
        this.allowPrivate = allowPrivate;
    }

    /** The SDK's {@code Webhook}, plus why Herald disabled it and since when it has been failing. */
    public record Webhook(String id, String apiVersion, boolean childResourceEvents, String createdAt, boolean enabled,
                          List<String> events, String resourceId, List<String> testableEvents, String url,
                          String disabledReason, String failingSince) {
        static Webhook of(WebhookStore.WebhookRow row) {
            // Herald has no call that sends test payloads, so no event is testable.
            return new Webhook(row.id(), row.apiVersion(), row.childResourceEvents(), row.createdAt(), row.enabled(),
                    row.events(), row.resourceId(), List.of(), row.url(), row.disabledReason(), row.failingSince());
        }
    }

    public record Delivery(String id, String eventId, String eventType, String status, int attemptCount, String nextAttemptAt,
                           Integer lastStatusCode, String lastError, String createdAt, String deliveredAt, List<Attempt> attempts) {
    }

    public record Attempt(String attemptedAt, Integer statusCode, String error, int durationMs, String responseSnippet) {
    }

    public record ListQuery(String companyId, Integer first, String after) {
    }

    public record DeliveryQuery(String status, Integer first, String after) {
    }

    /** Who owns an endpoint and what it is attached to. */
    private record Scope(String ownerCompanyId, String ownerAppId, String resourceId, String resourceCompanyId) {
    }

    /** The created endpoint with its signing secret ({@code webhook_secret}), shown this once. */
    public ObjectNode create(Credential caller, Body body) {
        requireManager(caller);
        String url = url(body.requiredNonBlank("url", 2048));
        Scope scope = scope(caller, body.optionalString("resource_id", 64));
        WebhookStore.Settings settings = new WebhookStore.Settings(url, events(body, SDK_EVENTS),
                orDefault(body.optionalBoolean("enabled"), true), apiVersion(body, API_VERSION),
                orDefault(body.optionalBoolean("child_resource_events"), false));
        String secret = Signatures.newSecret();
        WebhookStore.WebhookRow row = store.insert(Ids.next("hook"), scope.ownerCompanyId(), scope.ownerAppId(),
                scope.resourceId(), scope.resourceCompanyId(), settings, secret);
        ObjectNode created = Json.MAPPER.valueToTree(Webhook.of(row));
        created.put("webhook_secret", secret);
        return created;
    }

    public Webhook get(Credential caller, String id) {
        return Webhook.of(owned(caller, id));
    }

    public Webhook update(Credential caller, String id, Body body) {
        WebhookStore.WebhookRow row = owned(caller, id);
        String url = body.has("url") ? url(body.requiredNonBlank("url", 2048)) : row.url();
        WebhookStore.Settings settings = new WebhookStore.Settings(url, events(body, row.events()),
                orDefault(body.optionalBoolean("enabled"), row.enabled()), apiVersion(body, row.apiVersion()),
                orDefault(body.optionalBoolean("child_resource_events"), row.childResourceEvents()));
        return Webhook.of(store.update(id, settings));
    }

    public boolean delete(Credential caller, String id) {
        owned(caller, id);
        store.delete(id);
        return true;
    }

    /**
     * The caller's endpoints attached within a company (to it, its products or experiences; an app's
     * own endpoints for every installing company are listed under the app's company), newest first.
     */
    public Page<Webhook> list(Credential caller, ListQuery q) {
        requireManager(caller);
        if (q.companyId() == null || q.companyId().isBlank()) {
            throw ApiException.missing("company_id");
        }
        directory.requireVisible(caller, q.companyId(), "company_id");
        int limit = q.first() == null ? DEFAULT_PAGE : q.first();
        long before = q.after() == null ? Long.MAX_VALUE : Cursor.decode(WEBHOOK_CURSOR, q.after(), "after");
        List<WebhookStore.WebhookRow> rows = store.page(q.companyId(), ownerCompany(caller), ownerApp(caller), before, limit + 1);
        return page(rows, limit, q.after() != null, WEBHOOK_CURSOR, WebhookStore.WebhookRow::seq, Webhook::of);
    }

    /** An endpoint's deliveries, newest first, each with its attempts (at most {@link RetrySchedule#MAX_ATTEMPTS}). */
    public Page<Delivery> deliveries(Credential caller, String id, DeliveryQuery q) {
        owned(caller, id);
        if (q.status() != null && !DELIVERY_STATUSES.contains(q.status())) {
            throw ApiException.invalid("status", "Parameter status must be pending, succeeded or failed.");
        }
        int limit = q.first() == null ? DEFAULT_PAGE : q.first();
        long before = q.after() == null ? Long.MAX_VALUE : Cursor.decode(DELIVERY_CURSOR, q.after(), "after");
        WebhookStore.DeliveryPage found = store.deliveries(id, q.status(), before, limit + 1);
        Map<String, List<WebhookStore.AttemptRow>> attempts = found.attempts();
        return page(found.rows(), limit, q.after() != null, DELIVERY_CURSOR, WebhookStore.DeliveryRow::seq, d -> new Delivery(
                d.id(), d.eventId(), d.eventType(), d.status(), d.attempts(), d.nextAttemptAt(), d.lastStatusCode(), d.lastError(),
                d.createdAt(), d.deliveredAt(), attempts.getOrDefault(d.id(), List.of()).stream()
                        .map(a -> new Attempt(a.attemptedAt(), a.statusCode(), a.error(), a.durationMs(), a.responseSnippet()))
                        .toList()));
    }

    // --- rules

    private static void requireManager(Credential caller) {
        if (caller instanceof Credential.User) {
            throw ApiException.forbidden("Webhooks are managed with an API key holding developer:manage_webhook, or the admin token.");
        }
        Permissions.require(caller, Permissions.MANAGE_WEBHOOK);
    }

    /** The endpoint if the caller owns it; anyone else is told it does not exist. */
    private WebhookStore.WebhookRow owned(Credential caller, String id) {
        requireManager(caller);
        WebhookStore.WebhookRow row = store.find(id).orElseThrow(() -> ApiException.notFound("Webhook not found.", "id"));
        boolean owner = switch (caller) {
            case Credential.Admin admin -> true;
            case Credential.CompanyKey key -> key.companyId().equals(row.companyId());
            case Credential.AppKey key -> key.appId().equals(row.appId());
            case Credential.User user -> false;
        };
        if (!owner) {
            throw ApiException.notFound("Webhook not found.", "id");
        }
        return row;
    }

    /**
     * What the endpoint listens to. A company key: its company (the default), or one of its products or
     * experiences. An app key: the app itself (the default: every company that installed it), or a company
     * that installed the app, or a product or experience there. The admin token names the resource, and
     * the endpoint belongs to the resource's company (or app).
     */
    private Scope scope(Credential caller, String resourceId) {
        String resource = resourceId != null ? resourceId : switch (caller) {
            case Credential.CompanyKey key -> key.companyId();
            case Credential.AppKey key -> key.appId();
            default -> throw ApiException.missing("resource_id");
        };
        if (resource.startsWith("app_")) {
            boolean ownApp = caller instanceof Credential.AppKey key && key.appId().equals(resource);
            if (caller instanceof Credential.CompanyKey) {
                throw ApiException.invalid("resource_id", "A company key attaches webhooks to its company, its products or its experiences.");
            }
            if (!ownApp && !caller.isAdmin()) {
                throw ApiException.notFound("Resource not found.", "resource_id");
            }
            Directory.App app = directory.app(caller, resource);
            return new Scope(null, app.id(), app.id(), app.company().id());
        }
        String companyId = switch (prefix(resource)) {
            case "biz" -> directory.company(caller, resource).id();
            case "prod" -> directory.product(caller, resource).company().id();
            case "exp" -> directory.experience(caller, resource).company().id();
            default -> throw ApiException.notFound("Resource not found.", "resource_id");
        };
        return switch (caller) {
            case Credential.AppKey key -> new Scope(null, key.appId(), resource, companyId);
            default -> new Scope(companyId, null, resource, companyId);
        };
    }

    private static String ownerCompany(Credential caller) {
        return caller instanceof Credential.CompanyKey key ? key.companyId() : null;
    }

    private static String ownerApp(Credential caller) {
        return caller instanceof Credential.AppKey key ? key.appId() : null;
    }

    /**
     * An absolute http(s) URL without credentials or fragment. Unless private targets are allowed, a
     * host resolving to a private address is refused now; the sender checks again at every attempt.
     */
    private String url(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw ApiException.invalid("url", "Parameter url must be an absolute http(s) URL.");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw ApiException.invalid("url", "Parameter url must be an absolute http(s) URL.");
        }
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw ApiException.invalid("url", "Parameter url must not hold credentials or a fragment.");
        }
        if (!allowPrivate) {
            try {
                destinations.resolve(uri.getHost());
            } catch (Destinations.Refused e) {
                throw ApiException.invalid("url", "Parameter url is refused: " + e.getMessage() + ".");
            } catch (UnknownHostException e) {
                // Not resolvable yet: attempts fail and are retried until it is.
            }
        }
        return value;
    }

    private static List<String> events(Body body, List<String> fallback) {
        List<String> events = body.optionalStringList("events", EVENTS.size(), 64);
        if (events == null) {
            return fallback;
        }
        if (events.isEmpty()) {
            throw ApiException.invalid("events", "Parameter events must list at least one event.");
        }
        for (String event : events) {
            if (!EVENTS.contains(event)) {
                throw ApiException.invalid("events", "Herald does not emit " + event + "; it emits "
                        + String.join(", ", EVENTS) + ".");
            }
        }
        return events;
    }

    private static String apiVersion(Body body, String fallback) {
        String version = body.optionalString("api_version", 8);
        if (version == null) {
            return fallback;
        }
        if (!version.equals(API_VERSION)) {
            throw ApiException.invalid("api_version", "Herald formats webhook payloads as api_version v1 only.");
        }
        return version;
    }

    private static <R, V> Page<V> page(List<R> rows, int limit, boolean hasPrevious, String cursorKind,
                                       ToLongFunction<R> seq, Function<R, V> view) {
        boolean hasNext = rows.size() > limit;
        List<R> shown = hasNext ? rows.subList(0, limit) : rows;
        String start = shown.isEmpty() ? null : Cursor.encode(cursorKind, seq.applyAsLong(shown.getFirst()));
        String end = hasNext ? Cursor.encode(cursorKind, seq.applyAsLong(shown.getLast())) : null;
        return new Page<>(shown.stream().map(view).toList(), new PageInfo(start, end, hasNext, hasPrevious));
    }

    private static boolean orDefault(Boolean value, boolean fallback) {
        return value == null ? fallback : value;
    }

    private static String prefix(String id) {
        int underscore = id.indexOf('_');
        return underscore < 0 ? "" : id.substring(0, underscore);
    }
}
