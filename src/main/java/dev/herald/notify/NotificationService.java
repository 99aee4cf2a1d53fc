package dev.herald.notify;

import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.directory.Directory;
import dev.herald.directory.DirectoryStore;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Idempotency;
import dev.herald.web.Json;
import dev.herald.work.Outbox;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jdbi.v3.core.Jdbi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Accepts notifications from the current API ({@code POST /api/v1/notifications}) and the legacy
 * one ({@code POST /api/v2/app/notifications}). A request is answered only after the notification
 * and its delivery job are committed together; audiences are resolved by {@link NotificationDelivery}.
 */
public final class NotificationService {
    static final int MAX_TITLE = 200;
    static final int MAX_CONTENT = 5000;
    static final int MAX_REST_PATH = 2048;
    static final int MAX_USER_IDS = 1000;
    static final int MAX_ID = 64;

    private final Jdbi jdbi;
    private final DirectoryStore directory;
    private final NotificationStore store;
    private final Counter accepted;

    public NotificationService(Jdbi jdbi, DirectoryStore directory, NotificationStore store, MeterRegistry metrics) {
        this.jdbi = jdbi;
        this.directory = directory;
        this.store = store;
        this.accepted = Counter.builder("herald_notifications_accepted_total").register(metrics);
    }

    /** The response to send: status and JSON body (a replayed idempotent response is returned as stored). */
    public record Outcome(int status, String json) {
    }

    public Outcome create(Credential caller, Body body, String idempotencyKey) {
        NewNotification n = parseV1(caller, body);
        return enqueue(caller, n, idempotencyKey, Idempotency.requestHash("POST", "/api/v1/notifications", body));
    }

    public Outcome createLegacy(Credential caller, Body body, String idempotencyKey) {
        NewNotification n = parseLegacy(caller, body);
        return enqueue(caller, n, idempotencyKey, Idempotency.requestHash("POST", "/api/v2/app/notifications", body));
    }

    private Outcome enqueue(Credential caller, NewNotification n, String idempotencyKey, String requestHash) {
        String success = Json.string(Map.of("success", true));
        Outcome outcome = jdbi.inTransaction(h -> {
            if (idempotencyKey != null) {
                var stored = Idempotency.claim(h, caller.ownerKey(), idempotencyKey, requestHash);
                if (stored.isPresent()) {
                    return new Outcome(stored.get().status(), stored.get().response());
                }
            }
            Outbox.enqueue(h, NotificationDelivery.KIND, NotificationDelivery.payload(store.insert(h, n)));
            if (idempotencyKey != null) {
                Idempotency.complete(h, caller.ownerKey(), idempotencyKey, 200, success);
            }
            accepted.increment();
            return new Outcome(200, success);
        });
        return outcome;
    }

    /** What a chat message's mentions notify: named readers, and with @everyone in an experience, all of it. */
    public record ChatMention(String companyId, String experienceId, String appId, String senderUserId, String title,
                              String content, List<String> userIds, boolean everyone) {
    }

    /** Queues the notification a chat mention causes, inside the message's own transaction. */
    public void enqueueChatMention(org.jdbi.v3.core.Handle h, ChatMention m) {
        Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("user_ids", m.userIds());
        if (m.everyone()) {
            targets.put("everyone_experience_id", m.experienceId());
        }
        long seq = store.insert(h, new NewNotification("chat", m.appId(), m.companyId(), m.experienceId(), null, m.title(),
                null, m.content(), m.title(), m.content(), null, m.senderUserId(), null, targets));
        Outbox.enqueue(h, NotificationDelivery.KIND, NotificationDelivery.payload(seq));
        accepted.increment();
    }

    // --- POST /api/v1/notifications

    private NewNotification parseV1(Credential caller, Body body) {
        String experienceId = body.optionalString("experience_id", MAX_ID);
        String companyId = body.optionalString("company_id", MAX_ID);
        String accountId = body.optionalString("account_id", MAX_ID);
        if (companyId != null && accountId != null && !companyId.equals(accountId)) {
            throw ApiException.invalid("account_id", "account_id and company_id name different companies; send one.");
        }
        companyId = companyId != null ? companyId : accountId;
        if (experienceId == null && companyId == null) {
            throw ApiException.missing("experience_id");
        }
        if (experienceId != null && companyId != null) {
            throw ApiException.invalid("experience_id", "Send exactly one of experience_id or company_id (account_id).");
        }
        String title = body.requiredNonBlank("title", MAX_TITLE);
        String content = body.requiredNonBlank("content", MAX_CONTENT);
        String subtitle = body.optionalString("subtitle", MAX_TITLE);
        String restPath = restPath(body);
        List<String> userIds = body.optionalStringList("user_ids", MAX_USER_IDS, MAX_ID);
        String iconUserId = body.optionalString("icon_user_id", MAX_ID);
        if (iconUserId != null && directory.findUser(iconUserId).isEmpty()) {
            throw ApiException.invalid("icon_user_id", "No user " + iconUserId + " exists.");
        }
        Permissions.require(caller, Permissions.NOTIFICATION_CREATE);

        String appId;
        Map<String, Object> targets = new LinkedHashMap<>();
        if (experienceId != null) {
            DirectoryStore.Owner experience = directory.experienceOwner(experienceId)
                    .orElseThrow(() -> ApiException.notFound("Experience not found.", "experience_id"));
            authorizeExperience(caller, experience);
            companyId = experience.companyId();
            appId = experience.appId();
            targets.put("experience_id", experienceId);
        } else {
            final String company = companyId;
            if (!directory.companyExists(company)) {
                throw ApiException.notFound("Company not found.", "company_id");
            }
            authorizeCompany(caller, company);
            appId = caller instanceof Credential.AppKey key ? key.appId() : null;
            targets.put("company_id", company);
        }
        if (userIds != null) {
            targets.put("user_ids", userIds);
        }
        String sender = caller instanceof Credential.User u ? u.userId() : null;
        return new NewNotification("v1", appId, companyId, experienceId, null, title, subtitle, content, title, content,
                iconUserId, sender, restPath, targets);
    }

    private void authorizeExperience(Credential caller, DirectoryStore.Owner experience) {
        boolean allowed = switch (caller) {
            case Credential.Admin admin -> true;
            case Credential.AppKey key -> key.appId().equals(experience.appId());
            case Credential.CompanyKey key -> key.companyId().equals(experience.companyId());
            case Credential.User user -> directory.isTeamMember(user.userId(), experience.companyId());
        };
        if (!allowed) {
            throw ApiException.forbidden("This experience does not belong to your app or company.");
        }
    }

    private void authorizeCompany(Credential caller, String companyId) {
        boolean allowed = switch (caller) {
            case Credential.Admin admin -> true;
            case Credential.AppKey key -> directory.isInstalled(key.appId(), companyId);
            case Credential.CompanyKey key -> key.companyId().equals(companyId);
            case Credential.User user -> directory.isTeamMember(user.userId(), companyId);
        };
        if (!allowed) {
            throw ApiException.forbidden("This company has not installed your app.");
        }
    }

    private static String restPath(Body body) {
        String restPath = body.optionalString("rest_path", MAX_REST_PATH);
        if (restPath == null || restPath.isEmpty()) {
            return null;
        }
        if (restPath.chars().anyMatch(c -> c < 0x20 || c == 0x7f) || restPath.contains("://") || restPath.startsWith("//")) {
            throw ApiException.invalid("rest_path", "Parameter rest_path must be a path or query string within your app.");
        }
        return restPath;
    }

    // --- POST /api/v2/app/notifications

    private NewNotification parseLegacy(Credential caller, Body body) {
        String topicIdentifier = body.requiredNonBlank("topic_identifier", 64);
        Body data = body.object("notification_data");
        if (data == null) {
            throw ApiException.missing("notification_data");
        }
        Content inApp;
        Content mobile;
        Body all = data.object("all");
        if (all != null) {
            inApp = Content.of(all);
            mobile = inApp;
        } else {
            Body inAppBody = data.object("in_app");
            Body mobileBody = data.object("mobile");
            if (inAppBody == null) {
                throw ApiException.missing(data.name("in_app"));
            }
            if (mobileBody == null) {
                throw ApiException.missing(data.name("mobile"));
            }
            inApp = Content.of(inAppBody);
            mobile = Content.of(mobileBody);
        }
        List<Body> targetList = body.objects("targets", 100);
        if (targetList == null || targetList.isEmpty()) {
            throw ApiException.missing("targets");
        }
        Map<String, Set<String>> targets = new LinkedHashMap<>();
        for (String kind : List.of("users", "products", "companies", "experiences")) {
            targets.put(kind, new LinkedHashSet<>());
        }
        for (Body target : targetList) {
            boolean any = false;
            for (String kind : targets.keySet()) {
                List<String> ids = target.optionalStringList(kind, MAX_USER_IDS, MAX_ID);
                if (ids != null) {
                    targets.get(kind).addAll(ids);
                    any = true;
                }
            }
            if (!any) {
                throw ApiException.missing(target.name("users"));
            }
        }
        String restPath = restPath(body);

        if (!(caller instanceof Credential.AppKey key)) {
            throw ApiException.forbidden("The legacy notifications API needs an app API key.");
        }
        Permissions.require(caller, Permissions.NOTIFICATION_CREATE);
        String appId = key.appId();
        Directory.App app = directory.findApp(appId).orElseThrow();
        Directory.Topic topic = directory.findTopic(appId, topicIdentifier).orElseThrow(() -> ApiException.invalid(
                "topic_identifier", "Your app has no notification topic " + topicIdentifier + "."));

        Set<String> companies = new LinkedHashSet<>();
        for (String productId : targets.get("products")) {
            Directory.Product product = directory.findProduct(productId)
                    .orElseThrow(() -> ApiException.notFound("Product " + productId + " not found.", "targets"));
            requireInstalled(appId, product.company().id());
            companies.add(product.company().id());
        }
        for (String companyId : targets.get("companies")) {
            directory.findCompany(companyId).orElseThrow(() -> ApiException.notFound("Company " + companyId + " not found.", "targets"));
            requireInstalled(appId, companyId);
            companies.add(companyId);
        }
        for (String experienceId : targets.get("experiences")) {
            Directory.Experience experience = directory.findExperience(experienceId)
                    .orElseThrow(() -> ApiException.notFound("Experience " + experienceId + " not found.", "targets"));
            if (!experience.app().id().equals(appId)) {
                throw ApiException.forbidden("Experience " + experienceId + " does not belong to your app.");
            }
            companies.add(experience.company().id());
        }
        String companyId = companies.size() == 1 ? companies.iterator().next() : app.company().id();
        boolean singleExperience = targets.get("experiences").size() == 1 && targets.get("products").isEmpty()
                && targets.get("companies").isEmpty() && targets.get("users").isEmpty();
        String experienceId = singleExperience ? targets.get("experiences").iterator().next() : null;
        Map<String, Object> stored = new LinkedHashMap<>();
        targets.forEach((kind, ids) -> stored.put(kind, new ArrayList<>(ids)));
        return new NewNotification("legacy", appId, companyId, experienceId, topic.id(), inApp.subject(), null,
                inApp.content(), mobile.subject(), mobile.content(), null, null, restPath, stored);
    }

    private void requireInstalled(String appId, String companyId) {
        if (!directory.isInstalled(appId, companyId)) {
            throw ApiException.forbidden("Company " + companyId + " has not installed your app.");
        }
    }

    private record Content(String subject, String content) {
        static Content of(Body body) {
            return new Content(body.requiredNonBlank("subject", MAX_TITLE), body.requiredNonBlank("content", MAX_CONTENT));
        }
    }
}
