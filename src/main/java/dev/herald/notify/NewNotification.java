package dev.herald.notify;

import java.util.Map;

/**
 * A notification as accepted from either API, before delivery. {@code targets} records the audience
 * as requested (resolved later by the delivery worker); the mobile fields are what push sends.
 */
public record NewNotification(
        String api,
        String appId,
        String companyId,
        String experienceId,
        String topicId,
        String title,
        String subtitle,
        String content,
        String mobileTitle,
        String mobileContent,
        String iconUserId,
        String senderUserId,
        String restPath,
        Map<String, Object> targets) {
}
