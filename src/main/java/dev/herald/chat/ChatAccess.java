package dev.herald.chat;

import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.directory.DirectoryStore;
import dev.herald.web.ApiException;
import org.jdbi.v3.core.Handle;

/**
 * Who may do what in a channel. Users with access to an experience are its channel's members and
 * the company's team members are its admins; a support thread belongs to its customer (member) and
 * the company's team (admins); a DM to its members. Keys act as admins of what they cover, within
 * their permission list, and post as the bot user of their app or company. Anyone else gets a 404:
 * no channel of another tenant is ever confirmed to exist.
 */
public final class ChatAccess {
    public enum Role { NONE, MEMBER, ADMIN }

    private final DirectoryStore directory;
    private final ChatStore store;
    private final ChatCache cache;

    public ChatAccess(DirectoryStore directory, ChatStore store, ChatCache cache) {
        this.directory = directory;
        this.store = store;
        this.cache = cache;
    }

    /** A channel by its id or its experience's id (experience channels from the cache). */
    public java.util.Optional<ChannelRow> channel(String idOrExperienceId) {
        return cache.channel(idOrExperienceId);
    }

    public Role role(Credential caller, ChannelRow channel) {
        return switch (caller) {
            case Credential.Admin admin -> Role.ADMIN;
            case Credential.CompanyKey key -> key.companyId().equals(channel.companyId()) ? Role.ADMIN : Role.NONE;
            case Credential.AppKey key -> appCovers(key.appId(), channel) ? Role.ADMIN : Role.NONE;
            case Credential.User user -> userRole(user.userId(), channel);
        };
    }

    public Role userRole(String userId, ChannelRow channel) {
        if (channel.kind() == ChannelRow.Kind.DM) {
            return store.isDmMember(channel.id(), userId) ? Role.MEMBER : Role.NONE;
        }
        if (channel.kind() == ChannelRow.Kind.EXPERIENCE) {
            return switch (cache.experienceAccess(userId, channel.experienceId())) {
                case "admin" -> Role.ADMIN;
                case "customer" -> Role.MEMBER;
                default -> Role.NONE;
            };
        }
        if (channel.companyId() != null && directory.isTeamMember(userId, channel.companyId())) {
            return Role.ADMIN;
        }
        return userId.equals(channel.customerUserId()) ? Role.MEMBER : Role.NONE;
    }

    private boolean appCovers(String appId, ChannelRow channel) {
        if (channel.kind() == ChannelRow.Kind.EXPERIENCE) {
            return appId.equals(channel.appId());
        }
        return channel.companyId() != null && directory.isInstalled(appId, channel.companyId());
    }

    /** A private attachment is readable by whoever can read a message it is attached to. */
    public boolean canReadAttachment(Credential caller, String fileId) {
        return store.channelsSharing(fileId).stream().anyMatch(channel -> role(caller, channel) != Role.NONE);
    }

    /** Reading a support thread needs {@code support_chat:read}; every other channel {@code chat:read}. */
    public static String readPermission(ChannelRow channel) {
        return channel.kind() == ChannelRow.Kind.SUPPORT ? Permissions.SUPPORT_CHAT_READ : Permissions.CHAT_READ;
    }

    /** The caller's role, failing with 404 when it has none and 403 when a key lacks the permission. */
    public Role require(Credential caller, ChannelRow channel, String keyPermission) {
        Role role = role(caller, channel);
        if (role == Role.NONE) {
            throw ApiException.notFound("Channel not found.", "channel_id");
        }
        Permissions.require(caller, keyPermission);
        return role;
    }

    /** As {@link #author(Handle, Credential, ChannelRow)}, in a transaction of its own when a bot user is involved. */
    public String author(Credential caller, ChannelRow channel) {
        return caller instanceof Credential.User user ? user.userId() : store.jdbi().inTransaction(h -> author(h, caller, channel));
    }

    /** The user a post by this caller is written as: the user, or the bot of the key's app or company. */
    public String author(Handle h, Credential caller, ChannelRow channel) {
        return switch (caller) {
            case Credential.User user -> user.userId();
            case Credential.AppKey key -> store.botUser(h, "apps", key.appId(), appName(key.appId()));
            case Credential.CompanyKey key -> store.botUser(h, "companies", key.companyId(), companyTitle(key.companyId()));
            case Credential.Admin admin -> {
                if (channel.companyId() == null) {
                    throw ApiException.forbidden("Posting in a DM needs a user token.");
                }
                yield store.botUser(h, "companies", channel.companyId(), companyTitle(channel.companyId()));
            }
        };
    }

    private String appName(String appId) {
        return directory.findApp(appId).map(app -> app.name() + " (bot)").orElse("App bot");
    }

    private String companyTitle(String companyId) {
        return directory.findCompany(companyId).map(c -> c.title() + " (bot)").orElse("Company bot");
    }
}
