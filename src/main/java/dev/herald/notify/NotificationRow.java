package dev.herald.notify;

/** One stored notification joined with what its feed rendering needs. */
public record NotificationRow(
        long seq, String id, String title, String subtitle, String content, String restPath, String createdAt,
        String companyId, String companyTitle, String companyRoute, String companyLogo,
        String experienceId, String experienceName, String experienceImage,
        String appId, String appName, String appIcon, String baseUrl, String experiencePath, String dashboardPath,
        String iconPicture, String senderId, String senderUsername, String senderName,
        String topicId, String topicIdentifier, String topicName) {
}
