package dev.herald.chat;

import java.util.List;

/** A chat channel as stored: an experience's channel, a support thread or a DM. */
public record ChannelRow(
        String id,
        Kind kind,
        String experienceId,
        String experienceName,
        String appId,
        String companyId,
        boolean banMedia,
        boolean banUrls,
        List<String> bannedWords,
        Integer cooldownSeconds,
        String whoCanPost,
        String whoCanReact,
        String customerUserId,
        String customName,
        String resolvedAt,
        String lastMessageAt,
        String createdAt) {

    public enum Kind {
        EXPERIENCE, SUPPORT, DM;

        static Kind of(String value) {
            return valueOf(value.toUpperCase());
        }

        public String wire() {
            return name().toLowerCase();
        }
    }
}
