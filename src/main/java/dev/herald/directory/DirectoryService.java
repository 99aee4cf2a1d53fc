package dev.herald.directory;

import dev.herald.auth.Credential;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Ids;

import java.net.URI;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The directory's rules: who may create and read what, and what a valid object is. Writes are the
 * operator's (admin token); an app key may register its own notification topics and a company key
 * may cancel its company's memberships. Reads are open to any caller whose scope covers the object's
 * company; anything outside it is a 404, as if it did not exist.
 */
public final class DirectoryService {
    static final Set<String> ROLES = Set.of("owner", "admin", "sales_manager", "moderator", "advertiser",
            "app_manager", "support", "manager", "custom");
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{1,40}");
    private static final Pattern TOPIC_IDENTIFIER = Pattern.compile("[a-z0-9_.:-]{1,64}");

    private final DirectoryStore store;
    private final AccessChanges changes;

    public DirectoryService(DirectoryStore store, AccessChanges changes) {
        this.store = store;
        this.changes = changes;
    }

    public DirectoryStore store() {
        return store;
    }

    // --- users

    public Directory.User createUser(Credential caller, Body body) {
        requireAdmin(caller);
        String username = body.requiredNonBlank("username", 40);
        if (!USERNAME.matcher(username).matches()) {
            throw ApiException.invalid("username", "Parameter username may hold only letters, digits, '_', '.' and '-'.");
        }
        String name = body.optionalString("name", 100);
        String picture = optionalUrl(body, "profile_picture_url");
        String bio = body.optionalString("bio", 1000);
        String id = Ids.next("user");
        if (!store.insertUser(id, username, name, picture, bio)) {
            throw ApiException.conflict("username_taken", "The username " + username + " is taken.");
        }
        return store.findUser(id).orElseThrow();
    }

    public Directory.User user(Credential caller, String id) {
        return store.findUser(id).orElseThrow(() -> ApiException.notFound("User not found.", "id"));
    }

    public Directory.Access checkAccess(Credential caller, String userId, String resourceId) {
        if (caller instanceof Credential.User u && !u.userId().equals(userId)) {
            throw ApiException.forbidden("A user token may only check its own access.");
        }
        user(caller, userId);
        String companyId = companyOf(resourceId);
        requireVisible(caller, companyId, "resource_id");
        boolean admin = store.isTeamMember(userId, companyId);
        boolean customer = !admin && switch (prefix(resourceId)) {
            case "exp" -> store.isCustomerOfExperience(userId, resourceId);
            case "prod" -> store.isCustomerOfProduct(userId, resourceId);
            default -> store.isCustomerOfCompany(userId, resourceId);
        };
        String level = admin ? "admin" : customer ? "customer" : "no_access";
        return new Directory.Access(admin || customer, level);
    }

    private String companyOf(String resourceId) {
        ApiException missing = ApiException.notFound("Resource not found.", "resource_id");
        return switch (prefix(resourceId)) {
            case "exp" -> store.findExperience(resourceId).orElseThrow(() -> missing).company().id();
            case "prod" -> store.findProduct(resourceId).orElseThrow(() -> missing).company().id();
            case "biz" -> store.findCompany(resourceId).orElseThrow(() -> missing).id();
            default -> throw missing;
        };
    }

    // --- companies, apps, topics

    public Directory.Company createCompany(Credential caller, Body body) {
        requireAdmin(caller);
        String title = body.requiredNonBlank("title", 100);
        String logo = optionalUrl(body, "logo_url");
        String id = Ids.next("biz");
        store.insertCompany(id, title, route(title), logo);
        return store.findCompany(id).orElseThrow();
    }

    public Directory.Company company(Credential caller, String id) {
        requireVisible(caller, id, "id");
        return store.findCompany(id).orElseThrow();
    }

    public Directory.App createApp(Credential caller, Body body) {
        requireAdmin(caller);
        String name = body.requiredNonBlank("name", 100);
        String companyId = existingCompany(body.requiredNonBlank("company_id", 64), "company_id");
        String baseUrl = optionalUrl(body, "base_url");
        String experiencePath = pathTemplate(body, "experience_path", "/experiences/[experienceId]");
        String dashboardPath = pathTemplate(body, "dashboard_path", "/dashboard/[companyId]");
        String icon = optionalUrl(body, "icon_url");
        String id = Ids.next("app");
        store.insertApp(id, companyId, name, baseUrl, experiencePath, dashboardPath, icon);
        return store.findApp(id).orElseThrow();
    }

    public Directory.App app(Credential caller, String id) {
        Directory.App app = store.findApp(id).orElseThrow(() -> ApiException.notFound("App not found.", "id"));
        if (!(caller instanceof Credential.AppKey key && key.appId().equals(id))) {
            requireVisible(caller, app.company().id(), "id");
        }
        return app;
    }

    public Directory.Installation install(Credential caller, String appId, Body body) {
        requireAdmin(caller);
        Directory.App app = app(caller, appId);
        String companyId = existingCompany(body.requiredNonBlank("company_id", 64), "company_id");
        String installedAt = store.installApp(appId, companyId);
        Directory.Company company = store.findCompany(companyId).orElseThrow();
        return new Directory.Installation(new Directory.AppRef(app.id(), app.name()),
                new Directory.CompanyRef(company.id(), company.title(), company.route()), installedAt);
    }

    public Directory.Topic createTopic(Credential caller, String appId, Body body) {
        if (!(caller.isAdmin() || caller instanceof Credential.AppKey key && key.appId().equals(appId))) {
            throw ApiException.forbidden("Only the admin token or the app's own API key may register its topics.");
        }
        app(caller, appId);
        String identifier = body.requiredNonBlank("identifier", 64);
        if (!TOPIC_IDENTIFIER.matcher(identifier).matches()) {
            throw ApiException.invalid("identifier", "Parameter identifier may hold only a-z, 0-9, '_', '.', ':' and '-'.");
        }
        String name = body.optionalString("name", 100);
        String description = body.optionalString("description", 500);
        Boolean defaultValue = body.optionalBoolean("default_preference_value");
        if (!store.insertTopic(Ids.next("ntop"), appId, identifier, name == null ? identifier : name, description,
                defaultValue == null || defaultValue)) {
            throw ApiException.conflict("topic_exists", "This app already has a topic " + identifier + ".");
        }
        if (defaultValue != null && !defaultValue) {
            changes.everyoneChanged(); // an off-by-default topic is muted in every feed that did not turn it on
        }
        return store.findTopic(appId, identifier).orElseThrow();
    }

    // --- experiences and products

    public Directory.Experience createExperience(Credential caller, Body body) {
        requireAdmin(caller);
        String appId = body.requiredNonBlank("app_id", 64);
        store.findApp(appId).orElseThrow(() -> ApiException.notFound("App not found.", "app_id"));
        String companyId = existingCompany(body.requiredNonBlank("company_id", 64), "company_id");
        String name = body.requiredNonBlank("name", 100);
        String image = optionalUrl(body, "image_url");
        if (!store.isInstalled(appId, companyId)) {
            throw ApiException.invalid("app_id", "The app is not installed in company " + companyId
                    + "; install it first (POST /api/v1/apps/{id}/installations).");
        }
        String id = Ids.next("exp");
        store.insertExperience(id, appId, companyId, name, image);
        changes.everyoneChanged();
        return store.findExperience(id).orElseThrow();
    }

    public Directory.Experience experience(Credential caller, String id) {
        Directory.Experience experience = store.findExperience(id)
                .orElseThrow(() -> ApiException.notFound("Experience not found.", "id"));
        requireVisible(caller, experience.company().id(), "id");
        return experience;
    }

    public Directory.Experience attach(Credential caller, String experienceId, Body body) {
        requireAdmin(caller);
        Directory.Experience experience = experience(caller, experienceId);
        String productId = body.requiredNonBlank("product_id", 64);
        Directory.Product product = store.findProduct(productId)
                .orElseThrow(() -> ApiException.notFound("Product not found.", "product_id"));
        if (!product.company().id().equals(experience.company().id())) {
            throw ApiException.invalid("product_id", "The product belongs to another company than the experience.");
        }
        store.attach(experienceId, productId);
        changes.everyoneChanged();
        return store.findExperience(experienceId).orElseThrow();
    }

    public Directory.Product createProduct(Credential caller, Body body) {
        requireAdmin(caller);
        String companyId = existingCompany(body.requiredNonBlank("company_id", 64), "company_id");
        String title = body.requiredNonBlank("title", 100);
        String id = Ids.next("prod");
        store.insertProduct(id, companyId, title, route(title));
        return store.findProduct(id).orElseThrow();
    }

    public Directory.Product product(Credential caller, String id) {
        Directory.Product product = store.findProduct(id).orElseThrow(() -> ApiException.notFound("Product not found.", "id"));
        requireVisible(caller, product.company().id(), "id");
        return product;
    }

    // --- memberships and team

    /** Grants a membership; granting one the user already holds returns the active one unchanged. */
    public Directory.Membership createMembership(Credential caller, Body body) {
        requireAdmin(caller);
        String userId = body.requiredNonBlank("user_id", 64);
        store.findUser(userId).orElseThrow(() -> ApiException.notFound("User not found.", "user_id"));
        String productId = body.requiredNonBlank("product_id", 64);
        Directory.Product product = store.findProduct(productId)
                .orElseThrow(() -> ApiException.notFound("Product not found.", "product_id"));
        String id = store.findActiveMembershipId(userId, productId).orElseGet(() -> {
            String fresh = Ids.next("mem");
            store.insertMembership(fresh, userId, productId, product.company().id());
            return fresh;
        });
        changes.userChanged(userId);
        return store.findMembership(id).orElseThrow();
    }

    public Directory.Membership membership(Credential caller, String id) {
        Directory.Membership membership = store.findMembership(id)
                .orElseThrow(() -> ApiException.notFound("Membership not found.", "id"));
        if (!(caller instanceof Credential.User u && u.userId().equals(membership.user().id()))) {
            requireVisible(caller, membership.company().id(), "id");
        }
        return membership;
    }

    public Directory.Membership cancelMembership(Credential caller, String id) {
        Directory.Membership membership = membership(caller, id);
        boolean ownCompanyKey = caller instanceof Credential.CompanyKey key && key.companyId().equals(membership.company().id());
        if (!caller.isAdmin() && !ownCompanyKey) {
            throw ApiException.forbidden("Only the admin token or the company's API key may cancel memberships.");
        }
        store.cancelMembership(id);
        changes.userChanged(membership.user().id());
        return store.findMembership(id).orElseThrow();
    }

    public Directory.AuthorizedUser createAuthorizedUser(Credential caller, Body body) {
        requireAdmin(caller);
        String companyId = existingCompany(body.requiredNonBlank("company_id", 64), "company_id");
        String userId = body.requiredNonBlank("user_id", 64);
        store.findUser(userId).orElseThrow(() -> ApiException.notFound("User not found.", "user_id"));
        String role = body.optionalString("role", 32);
        role = role == null ? "admin" : role;
        if (!ROLES.contains(role)) {
            throw ApiException.invalid("role", "Parameter role must be one of " + String.join(", ", List.copyOf(ROLES)) + ".");
        }
        String id = store.insertAuthorizedUser(Ids.next("ausr"), companyId, userId, role);
        changes.userChanged(userId);
        return store.findAuthorizedUser(id).orElseThrow();
    }

    // --- rules shared with other features

    public static void requireAdmin(Credential caller) {
        if (!caller.isAdmin()) {
            throw ApiException.forbidden("This endpoint needs the admin token.");
        }
    }

    /** 404 unless the caller's scope covers the company: no id from another tenant is ever confirmed to exist. */
    public void requireVisible(Credential caller, String companyId, String param) {
        boolean visible = store.findCompany(companyId).isPresent() && switch (caller) {
            case Credential.Admin admin -> true;
            case Credential.CompanyKey key -> key.companyId().equals(companyId);
            case Credential.AppKey key -> store.isInstalled(key.appId(), companyId);
            case Credential.User user -> store.isTeamMember(user.userId(), companyId)
                    || store.isCustomerOfCompany(user.userId(), companyId);
        };
        if (!visible) {
            throw ApiException.notFound("Resource not found.", param);
        }
    }

    private String existingCompany(String id, String param) {
        store.findCompany(id).orElseThrow(() -> ApiException.notFound("Company not found.", param));
        return id;
    }

    private static String prefix(String id) {
        int underscore = id.indexOf('_');
        return underscore < 0 ? "" : id.substring(0, underscore);
    }

    private static String route(String title) {
        String slug = Normalizer.normalize(title, Normalizer.Form.NFKD).toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        if (slug.length() > 40) {
            slug = slug.substring(0, 40);
        }
        return (slug.isEmpty() ? "x" : slug) + "-" + Ids.random(6).toLowerCase(Locale.ROOT);
    }

    private static String optionalUrl(Body body, String field) {
        String value = body.optionalString(field, 2048);
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return value.endsWith("/") && "base_url".equals(field) ? value.substring(0, value.length() - 1) : value;
        } catch (Exception e) {
            throw ApiException.invalid(body.name(field), "Parameter " + body.name(field) + " must be an http(s) URL.");
        }
    }

    private static String pathTemplate(Body body, String field, String fallback) {
        String value = body.optionalString(field, 500);
        if (value == null) {
            return fallback;
        }
        if (!value.startsWith("/")) {
            throw ApiException.invalid(field, "Parameter " + field + " must start with '/'.");
        }
        return value;
    }
}
