package dev.herald.chat;

import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.directory.Directory;
import dev.herald.directory.DirectoryService;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Page;

import java.util.Set;

/**
 * Support threads: one per company and customer, between the customer (a member of the thread) and
 * the company's team (its admins). The company's side opens them (the admin token, its keys and the
 * keys of apps it installed with {@code support_chat:create}, its team members), and so may the
 * customer for themself; keys read them with {@code support_chat:read}. The company's side resolves
 * and reopens them; the customer's next message reopens a resolved one (ChatStore.touchChannel).
 * Messages go through {@code /messages} like any channel's.
 */
public final class SupportService {
    private static final int MAX_CUSTOM_NAME = 100;
    private static final Set<String> VIEWS = Set.of("all", "admin", "customer");

    /** The SDK's SupportChannel, plus when it was opened. */
    public record SupportChannel(String id, String companyId, String customName, Directory.UserRef customerUser,
                                 String lastMessageAt, String resolvedAt, String createdAt) {
        static SupportChannel of(SupportStore.SupportRow row) {
            ChannelRow c = row.channel();
            return new SupportChannel(c.id(), c.companyId(), c.customName(), row.customer(), c.lastMessageAt(),
                    c.resolvedAt(), c.createdAt());
        }
    }

    public record ListQuery(String companyId, Boolean open, String order, String direction, String view,
                            Integer first, Integer last, String after, String before) {
    }

    private final SupportStore store;
    private final ChatAccess access;
    private final DirectoryService directory;

    public SupportService(SupportStore store, ChatAccess access, DirectoryService directory) {
        this.store = store;
        this.access = access;
        this.directory = directory;
    }

    /**
     * The customer's thread with the company, opened when there is none. Answers 200 either way:
     * the SDK has one response type, and a caller cannot tell (nor needs to) who opened it first.
     */
    public SupportChannel create(Credential caller, Body body) {
        String companyId = body.requiredNonBlank("company_id", 64);
        String customer = body.requiredNonBlank("user_id", 64);
        String customName = body.optionalString("custom_name", MAX_CUSTOM_NAME);
        directory.requireVisible(caller, companyId, "company_id");
        Permissions.require(caller, Permissions.SUPPORT_CHAT_CREATE);
        String customerId = directory.store().findUser(customer).map(Directory.User::id)
                .or(() -> directory.store().findUserIdByUsername(customer))
                .orElseThrow(() -> ApiException.notFound("User not found.", "user_id"));
        String openedBy = null;
        if (caller instanceof Credential.User user) {
            if (!user.userId().equals(customerId) && !directory.store().isTeamMember(user.userId(), companyId)) {
                throw ApiException.forbidden("A customer may open only their own support channel.");
            }
            openedBy = user.userId();
        }
        return SupportChannel.of(store.open(companyId, customerId,
                customName == null || customName.isBlank() ? null : customName, openedBy));
    }

    /**
     * A page of threads. Keys must name their company; a user token without {@code company_id}
     * lists the user's own threads as a customer and those of every company on whose team they are
     * ({@code view} narrows to one side). Keys and the admin token are on the company's side only,
     * so their {@code view=customer} is empty.
     */
    public Page<SupportChannel> list(Credential caller, ListQuery q) {
        String view = q.view() == null ? "all" : q.view();
        if (!VIEWS.contains(view)) {
            throw ApiException.invalid("view", "Parameter view must be all, admin or customer.");
        }
        boolean ascending = Keyset.ascending(q.direction());
        String order = q.order() == null ? "created_at" : q.order();
        String keySql = switch (order) {
            case "created_at" -> Keyset.micros("c.created_at");
            // Threads without a message come last whichever the direction.
            case "last_post_sent_at" -> "coalesce(" + Keyset.micros("c.last_message_at") + ", "
                    + (ascending ? Long.MAX_VALUE : Long.MIN_VALUE) + ")";
            default -> throw ApiException.invalid("order", "Parameter order must be created_at or last_post_sent_at.");
        };
        String companyId = q.companyId() == null || q.companyId().isBlank() ? null : q.companyId();
        if (companyId != null) {
            directory.requireVisible(caller, companyId, "company_id");
        } else if (!(caller instanceof Credential.User || caller.isAdmin())) {
            throw ApiException.missing("company_id");
        }
        Permissions.require(caller, Permissions.SUPPORT_CHAT_READ);
        String userId = caller instanceof Credential.User user ? user.userId() : null;
        SupportStore.Scope scope = new SupportStore.Scope(companyId, !view.equals("customer"), userId,
                view.equals("admin") ? null : userId);
        Keyset keyset = Keyset.of("support." + order + "." + (ascending ? "asc" : "desc"), ascending,
                q.first(), q.last(), q.after(), q.before());
        return keyset.page(store.list(scope, q.open(), keySql, keyset), row -> row.channel().id(), SupportChannel::of);
    }

    public SupportChannel get(Credential caller, String id) {
        SupportStore.SupportRow row = find(id);
        access.require(caller, row.channel(), Permissions.SUPPORT_CHAT_READ);
        return SupportChannel.of(row);
    }

    /** Resolving and reopening are the company's side: its team, its keys with {@code support_chat:create}, the admin token. */
    public SupportChannel setResolved(Credential caller, String id, boolean resolved) {
        SupportStore.SupportRow row = find(id);
        if (access.require(caller, row.channel(), Permissions.SUPPORT_CHAT_CREATE) != ChatAccess.Role.ADMIN) {
            throw ApiException.forbidden("Only the company's team may resolve or reopen a support channel.");
        }
        store.setResolved(row.channel().id(), resolved);
        return SupportChannel.of(find(id));
    }

    private SupportStore.SupportRow find(String id) {
        return store.find(id).orElseThrow(() -> ApiException.notFound("Support channel not found.", "id"));
    }
}
