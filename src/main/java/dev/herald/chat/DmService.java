package dev.herald.chat;

import dev.herald.auth.Credential;
import dev.herald.chat.DmStore.DmMember;
import dev.herald.directory.DirectoryService;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Page;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * DMs between users: {@code /dm_channels} and {@code /dm_members}. DMs belong to their members, so
 * these endpoints take user tokens (and the operator's admin token); API keys get a 403 whatever the
 * id. A DM's members read it and post in it through {@code /messages}, rename it and add people;
 * each member manages their own membership (notification preference, status, leaving). Closing the
 * DM for everyone and removing someone else is for its admin: the user who created it, or the admin
 * token. Anyone who is not a member gets a 404, as if the DM did not exist.
 */
public final class DmService {
    private static final int MAX_MEMBERS = 50;
    private static final int MAX_CUSTOM_NAME = 100;
    private static final Set<String> PREFERENCES = Set.of("all", "mentions", "none");
    private static final Set<String> STATUSES = Set.of("requested", "accepted", "hidden", "closed", "archived");

    /** The SDK's DmChannel. */
    public record DmChannel(String id, String createdAt, String lastMessageAt, String name) {
        static DmChannel of(DmStore.DmRow row) {
            return new DmChannel(row.channel().id(), row.channel().createdAt(), row.channel().lastMessageAt(), row.name());
        }
    }

    public record ListQuery(String companyId, Integer first, Integer last, String after, String before) {
    }

    public record MemberListQuery(String channelId, Integer first, Integer last, String after, String before) {
    }

    private final DmStore store;
    private final ChatAccess access;
    private final DirectoryService directory;

    public DmService(DmStore store, ChatAccess access, DirectoryService directory) {
        this.store = store;
        this.access = access;
        this.directory = directory;
    }

    // --- channels

    /**
     * The DM of the caller and {@code with_user_ids} (ids or usernames), every member accepted. When
     * the same people already share an open DM in the same company scope, that one is returned, as
     * the SDK documents. The admin token makes a DM of the listed users only.
     */
    public DmChannel create(Credential caller, Body body) {
        String viewer = userOrAdmin(caller);
        List<String> with = body.optionalStringList("with_user_ids", MAX_MEMBERS, 64);
        if (with == null || with.isEmpty()) {
            throw ApiException.missing("with_user_ids");
        }
        String companyId = blankToNull(body.optionalString("company_id", 64));
        String customName = blankToNull(body.optionalString("custom_name", MAX_CUSTOM_NAME));
        if (companyId != null) {
            directory.requireVisible(caller, companyId, "company_id");
        }
        Map<String, String> ids = store.userIds(with);
        // Sorted, so the same people always make the same member list.
        TreeSet<String> members = new TreeSet<>();
        for (String reference : with) {
            String id = ids.get(reference);
            if (id == null) {
                throw ApiException.notFound("User not found: " + reference + ".", "with_user_ids");
            }
            members.add(id);
        }
        if (viewer != null) {
            members.add(viewer);
        }
        if (members.size() < 2) {
            throw ApiException.invalid("with_user_ids", "A DM needs at least two different users.");
        }
        String id = store.open(companyId, List.copyOf(members), customName, viewer);
        return DmChannel.of(store.find(id, viewer).orElseThrow());
    }

    /** The caller's DMs (every DM for the admin token), most recently active first; hidden ones are left out. */
    public Page<DmChannel> list(Credential caller, ListQuery q) {
        String viewer = userOrAdmin(caller);
        Keyset keyset = Keyset.of("dm", false, q.first(), q.last(), q.after(), q.before());
        return keyset.page(store.list(viewer, blankToNull(q.companyId()), keyset), row -> row.channel().id(), DmChannel::of);
    }

    public DmChannel get(Credential caller, String id) {
        return DmChannel.of(readable(caller, id, "id"));
    }

    /** Any member may rename the DM; {@code custom_name: null} (or blank) goes back to the members' names. */
    public DmChannel update(Credential caller, String id, Body body) {
        DmStore.DmRow dm = readable(caller, id, "id");
        if (body.node().has("custom_name")) {
            store.rename(dm.channel().id(), blankToNull(body.optionalString("custom_name", MAX_CUSTOM_NAME)));
        }
        return DmChannel.of(store.find(dm.channel().id(), viewer(caller)).orElseThrow());
    }

    /** Closes the DM for every member; its messages stay stored but nobody reads them any more. */
    public boolean delete(Credential caller, String id) {
        DmStore.DmRow dm = readable(caller, id, "id");
        requireDmAdmin(caller, dm, "Only the DM's creator may delete it; leave it with DELETE /dm_members/{id}.");
        store.close(dm.channel().id());
        return true;
    }

    // --- members

    public Page<DmMember> members(Credential caller, MemberListQuery q) {
        userOrAdmin(caller);
        if (q.channelId() == null || q.channelId().isBlank()) {
            throw ApiException.missing("channel_id");
        }
        DmStore.DmRow dm = readable(caller, q.channelId(), "channel_id");
        Keyset keyset = Keyset.of("dmm", true, q.first(), q.last(), q.after(), q.before());
        return keyset.page(store.members(dm.channel().id(), keyset), DmMember::id, member -> member);
    }

    /** A member adds someone (an id or a username); adding someone who left brings them back. */
    public DmMember addMember(Credential caller, Body body) {
        userOrAdmin(caller);
        String channelId = body.requiredNonBlank("channel_id", 64);
        String user = body.requiredNonBlank("user_id", 64);
        DmStore.DmRow dm = readable(caller, channelId, "channel_id");
        String userId = store.userIds(List.of(user)).get(user);
        if (userId == null) {
            throw ApiException.notFound("User not found.", "user_id");
        }
        return store.addMember(dm.channel().id(), userId);
    }

    public DmMember member(Credential caller, String id) {
        return visibleMember(caller, id);
    }

    /** Members change only their own membership (the admin token any). */
    public DmMember updateMember(Credential caller, String id, Body body) {
        DmMember member = visibleMember(caller, id);
        if (!caller.isAdmin() && !member.userId().equals(viewer(caller))) {
            throw ApiException.forbidden("Only the member may change their own membership.");
        }
        String preference = oneOf(body, "notification_preference", PREFERENCES);
        String status = oneOf(body, "status", STATUSES);
        return store.updateMember(member.id(), preference, status);
    }

    /** Leaving: the membership is closed, not deleted, so the user can be added back. The DM's admin may remove others. */
    public boolean removeMember(Credential caller, String id) {
        DmMember member = visibleMember(caller, id);
        if (!member.userId().equals(viewer(caller))) {
            requireDmAdmin(caller, readable(caller, member.channelId(), "id"), "Only the DM's creator may remove other members.");
        }
        store.updateMember(member.id(), null, "closed");
        return true;
    }

    // --- rules

    /** The caller's user id, or null for the admin token; keys are refused. */
    private static String userOrAdmin(Credential caller) {
        if (!(caller instanceof Credential.User || caller.isAdmin())) {
            throw ApiException.forbidden("DMs belong to users: use a user token.");
        }
        return viewer(caller);
    }

    private static String viewer(Credential caller) {
        return caller instanceof Credential.User user ? user.userId() : null;
    }

    /** The DM as the caller sees it; a 404 unless the caller is a member who has not left (or the admin token). */
    private DmStore.DmRow readable(Credential caller, String id, String param) {
        String viewer = userOrAdmin(caller);
        return store.find(id, viewer)
                .filter(dm -> access.role(caller, dm.channel()) != ChatAccess.Role.NONE)
                .orElseThrow(() -> ApiException.notFound("DM channel not found.", param));
    }

    /** A membership the caller may see: their own (also after leaving), or one of a DM they are in. */
    private DmMember visibleMember(Credential caller, String id) {
        String viewer = userOrAdmin(caller);
        DmMember member = store.findMember(id).orElseThrow(() -> ApiException.notFound("DM member not found.", "id"));
        if (!member.userId().equals(viewer)) {
            readable(caller, member.channelId(), "id");
        }
        return member;
    }

    private static void requireDmAdmin(Credential caller, DmStore.DmRow dm, String message) {
        if (!caller.isAdmin() && !viewer(caller).equals(dm.createdByUserId())) {
            throw ApiException.forbidden(message);
        }
    }

    private static String oneOf(Body body, String field, Set<String> allowed) {
        String value = body.optionalString(field, 32);
        if (value != null && !allowed.contains(value)) {
            throw ApiException.invalid(field, "Parameter " + field + " must be one of " + String.join(", ", new TreeSet<>(allowed)) + ".");
        }
        return value;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
