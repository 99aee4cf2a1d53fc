package dev.herald.chat;

import java.util.List;

/** The SDK's ChatChannel object. */
public record ChannelView(String id, boolean banMedia, boolean banUrls, List<String> bannedWords, Experience experience,
                          Integer userPostsCooldownSeconds, String whoCanPost, String whoCanReact) {

    public record Experience(String id, String name) {
    }

    static ChannelView of(ChannelRow c) {
        return new ChannelView(c.id(), c.banMedia(), c.banUrls(), c.bannedWords(),
                c.experienceId() == null ? null : new Experience(c.experienceId(), c.experienceName()),
                c.cooldownSeconds(), c.whoCanPost(), c.whoCanReact());
    }
}
