package dev.herald.chat;

import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.directory.DirectoryService;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Page;
import dev.herald.web.PageInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Experience chat channels: list a company's, read one, change its moderation settings. */
public final class ChannelService {
    private final ChatStore store;
    private final ChatAccess access;
    private final ChatCache cache;
    private final DirectoryService directory;

    public ChannelService(ChatStore store, ChatAccess access, ChatCache cache, DirectoryService directory) {
        this.store = store;
        this.access = access;
        this.cache = cache;
        this.directory = directory;
    }

    public record ListQuery(String companyId, String productId, Integer first, Integer last, String after, String before) {
    }

    /** Ordered by channel id; cursors are channel ids. A customer sees only the channels they can read. */
    public Page<ChannelView> list(Credential caller, ListQuery q) {
        if (q.companyId() == null || q.companyId().isBlank()) {
            throw ApiException.missing("company_id");
        }
        directory.requireVisible(caller, q.companyId(), "company_id");
        Permissions.require(caller, Permissions.CHAT_READ);
        boolean backwards = q.before() != null || (q.last() != null && q.first() == null && q.after() == null);
        int limit = backwards ? (q.last() != null ? q.last() : q.first() != null ? q.first() : MessageService.DEFAULT_PAGE)
                : (q.first() != null ? q.first() : MessageService.DEFAULT_PAGE);
        List<ChannelRow> rows = new ArrayList<>(store.experienceChannels(q.companyId(), q.productId(), q.after(), q.before(),
                limit + 1, backwards));
        boolean more = rows.size() > limit;
        if (more) {
            rows = new ArrayList<>(rows.subList(0, limit));
        }
        if (backwards) {
            Collections.reverse(rows);
        }
        boolean hasNext = backwards ? q.before() != null : more;
        String start = rows.isEmpty() ? null : rows.getFirst().id();
        String end = hasNext && !rows.isEmpty() ? rows.getLast().id() : null;
        List<ChannelView> data = rows.stream()
                .filter(c -> access.role(caller, c) != ChatAccess.Role.NONE)
                .map(ChannelView::of).toList();
        return new Page<>(data, new PageInfo(start, end, end != null, backwards ? more : q.after() != null));
    }

    public ChannelView get(Credential caller, String id) {
        ChannelRow channel = channel(id);
        access.require(caller, channel, Permissions.CHAT_READ);
        return ChannelView.of(channel);
    }

    public ChannelView update(Credential caller, String id, Body body) {
        ChannelRow channel = channel(id);
        if (access.require(caller, channel, Permissions.CHAT_MODERATE) != ChatAccess.Role.ADMIN) {
            throw ApiException.forbidden("Only channel admins may change its settings.");
        }
        store.updateModeration(channel.id(), Moderation.apply(Moderation.from(channel), body));
        cache.channelChanged(channel.id());
        return ChannelView.of(channel(channel.id()));
    }

    private ChannelRow channel(String id) {
        ChannelRow channel = store.findChannel(id).orElseThrow(() -> ApiException.notFound("Channel not found.", "id"));
        if (channel.kind() != ChannelRow.Kind.EXPERIENCE) {
            throw ApiException.notFound("Channel not found.", "id");
        }
        return channel;
    }
}
