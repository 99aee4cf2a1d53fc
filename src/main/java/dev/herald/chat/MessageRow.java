package dev.herald.chat;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** A stored chat message with its author's public fields. */
public record MessageRow(
        long seq,
        String id,
        String channelId,
        String userId,
        String username,
        String userName,
        String content,
        String messageType,
        String replyingToMessageId,
        List<String> mentions,
        boolean mentionsEveryone,
        JsonNode poll,
        JsonNode attachments,
        boolean autoDetectLinks,
        boolean pinned,
        boolean edited,
        String createdAt,
        String updatedAt) {
}
