package dev.herald.notify;

/** The notification object of the user's feed, in the SDK's field names. */
public record FeedView(
        String id,
        String subject,
        String subtitle,
        String content,
        String createdAt,
        Experience experience,
        Account account,
        Sender sender,
        Topic topic,
        String restPath,
        String link,
        String iframeLink,
        String attachmentUrl,
        boolean mentionsMe) {

    public record Experience(String id, String name, App app) {
    }

    public record App(String id, String name, String iconUrl) {
    }

    public record Account(String id, String title, String logoUrl, String route) {
    }

    public record Sender(String id, String username, String name) {
    }

    public record Topic(String id, String identifier, String name) {
    }

    static FeedView of(NotificationRow n, boolean mention, String publicUrl) {
        App app = n.appId() == null ? null : new App(n.appId(), n.appName(), n.appIcon());
        Experience experience = n.experienceId() == null ? null : new Experience(n.experienceId(), n.experienceName(), app);
        Account account = n.companyId() == null ? null : new Account(n.companyId(), n.companyTitle(), n.companyLogo(), n.companyRoute());
        Sender sender = n.senderId() == null ? null : new Sender(n.senderId(), n.senderUsername(), n.senderName());
        Topic topic = n.topicId() == null ? null : new Topic(n.topicId(), n.topicIdentifier(), n.topicName());
        String attachment = n.iconPicture() != null ? n.iconPicture()
                : n.experienceId() != null && n.experienceImage() != null ? n.experienceImage()
                : n.companyLogo() != null ? n.companyLogo()
                : n.appIcon();
        return new FeedView(n.id(), n.title(), n.subtitle(), n.content(), n.createdAt(), experience, account, sender, topic,
                n.restPath(), DeepLinks.link(publicUrl, n), DeepLinks.iframeLink(n), attachment, mention);
    }
}
