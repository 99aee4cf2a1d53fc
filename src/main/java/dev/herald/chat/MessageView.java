package dev.herald.chat;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** The SDK's Message object, plus the channel id, attachments and the sanitised HTML rendering. */
public record MessageView(
        String id,
        String channelId,
        String content,
        String contentHtml,
        String createdAt,
        String updatedAt,
        boolean isEdited,
        boolean isPinned,
        List<String> mentions,
        boolean mentionsEveryone,
        String messageType,
        JsonNode poll,
        List<PollVote> pollVotes,
        List<ReactionCount> reactionCounts,
        String replyingToMessageId,
        User user,
        Integer viewCount,
        JsonNode attachments) {

    public record PollVote(int count, String optionId) {
    }

    public record ReactionCount(int count, String emoji) {
    }

    public record User(String id, String name, String username) {
    }

    static MessageView of(MessageRow m, List<ChatStore.Count> reactions, List<ChatStore.Count> votes) {
        List<PollVote> pollVotes = new java.util.ArrayList<>();
        if (m.poll() != null) {
            for (JsonNode option : m.poll().path("options")) {
                String optionId = option.get("id").asText();
                int count = votes.stream().filter(v -> v.key().equals(optionId)).mapToInt(ChatStore.Count::count).sum();
                pollVotes.add(new PollVote(count, optionId));
            }
        }
        return new MessageView(m.id(), m.channelId(), m.content(), Markdown.html(m.content(), m.autoDetectLinks()),
                m.createdAt(), m.updatedAt(), m.edited(), m.pinned(), m.mentions(), m.mentionsEveryone(), m.messageType(),
                m.poll(), pollVotes, reactions.stream().map(r -> new ReactionCount(r.count(), r.key())).toList(),
                m.replyingToMessageId(), new User(m.userId(), m.userName(), m.username()), null, m.attachments());
    }
}
