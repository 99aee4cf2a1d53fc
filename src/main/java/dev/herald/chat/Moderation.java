package dev.herald.chat;

import dev.herald.web.ApiException;
import dev.herald.web.Body;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A channel's moderation rules and their enforcement on content. Both the seed's names
 * ({@code everyone | members_only | admins_only}) and the SDK's ({@code everyone | admins},
 * {@code no_one}) are accepted and echoed back as given; {@code admins} means {@code admins_only}.
 */
public final class Moderation {
    static final Set<String> WHO_CAN_POST = Set.of("everyone", "members_only", "admins_only", "admins");
    static final Set<String> WHO_CAN_REACT = Set.of("everyone", "members_only", "admins_only", "admins", "no_one");
    static final int MAX_BANNED_WORDS = 200;
    static final int MAX_COOLDOWN_SECONDS = 86_400;

    private static final Pattern URL = Pattern.compile(
            "(?i)(\\b[a-z][a-z0-9+.-]*://\\S+|\\bwww\\.\\S+|\\b[a-z0-9-]+(\\.[a-z0-9-]+)*\\.(com|net|org|io|gg|co|app|dev|xyz|me|ly|ai|tv|to|info|biz|us|uk|de|ru|cn|link|site|shop|store|online|club|live)\\b(/\\S*)?)");
    private static final Pattern MARKDOWN_IMAGE = Pattern.compile("!\\[[^\\]]*]\\([^)]*\\)");

    private Moderation() {
    }

    public record Settings(boolean banMedia, boolean banUrls, List<String> bannedWords, Integer cooldownSeconds,
                           String whoCanPost, String whoCanReact) {
    }

    static Settings from(ChannelRow c) {
        return new Settings(c.banMedia(), c.banUrls(), c.bannedWords(), c.cooldownSeconds(), c.whoCanPost(), c.whoCanReact());
    }

    /** The settings after a PATCH: absent or null fields keep their current value. */
    static Settings apply(Settings current, Body body) {
        Boolean banMedia = body.optionalBoolean("ban_media");
        Boolean banUrls = body.optionalBoolean("ban_urls");
        List<String> words = body.optionalStringList("banned_words", MAX_BANNED_WORDS, 50);
        Integer cooldown = current.cooldownSeconds();
        if (body.node().has("user_posts_cooldown_seconds")) {
            var node = body.node().get("user_posts_cooldown_seconds");
            if (node.isNull()) {
                cooldown = null;
            } else if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 0 || node.asInt() > MAX_COOLDOWN_SECONDS) {
                throw ApiException.invalid("user_posts_cooldown_seconds",
                        "Parameter user_posts_cooldown_seconds must be an integer from 0 to " + MAX_COOLDOWN_SECONDS + ".");
            } else {
                cooldown = node.asInt() == 0 ? null : node.asInt();
            }
        }
        String post = oneOf(body, "who_can_post", WHO_CAN_POST);
        String react = oneOf(body, "who_can_react", WHO_CAN_REACT);
        List<String> normalized = null;
        if (words != null) {
            LinkedHashSet<String> set = new LinkedHashSet<>();
            for (String word : words) {
                set.add(word.trim().toLowerCase(Locale.ROOT));
            }
            normalized = new ArrayList<>(set);
        }
        return new Settings(
                banMedia != null ? banMedia : current.banMedia(),
                banUrls != null ? banUrls : current.banUrls(),
                normalized != null ? normalized : current.bannedWords(),
                cooldown,
                post != null ? post : current.whoCanPost(),
                react != null ? react : current.whoCanReact());
    }

    private static String oneOf(Body body, String field, Set<String> allowed) {
        String value = body.optionalString(field, 20);
        if (value != null && !allowed.contains(value)) {
            throw ApiException.invalid(field, "Parameter " + field + " must be one of " + String.join(", ", allowed.stream().sorted().toList()) + ".");
        }
        return value;
    }

    static boolean adminsOnly(String rule) {
        return "admins_only".equals(rule) || "admins".equals(rule);
    }

    /** Refuses content that breaks the channel's banned words, URL or media rules, naming the rule. */
    static void checkContent(ChannelRow channel, String content, int attachmentCount) {
        String text = content == null ? "" : content;
        for (String word : channel.bannedWords()) {
            Pattern whole = Pattern.compile("(?iu)(?<![\\p{L}\\p{N}_])" + Pattern.quote(word) + "(?![\\p{L}\\p{N}_])");
            if (whole.matcher(text).find()) {
                throw ApiException.rejected("banned_word", "content",
                        "This channel bans the word \"" + word + "\" (banned_words).");
            }
        }
        if (channel.banUrls() && URL.matcher(text).find()) {
            throw ApiException.rejected("urls_banned", "content", "This channel does not allow links (ban_urls).");
        }
        if (channel.banMedia() && (attachmentCount > 0 || MARKDOWN_IMAGE.matcher(text).find())) {
            throw ApiException.rejected("media_banned", attachmentCount > 0 ? "attachments" : "content",
                    "This channel does not allow media (ban_media).");
        }
    }

    /** Reactions obey banned words too: a shortcode like {@code :scam:} is text. */
    static void checkReaction(ChannelRow channel, String emoji) {
        for (String word : channel.bannedWords()) {
            if (emoji.toLowerCase(Locale.ROOT).contains(word)) {
                throw ApiException.rejected("banned_word", "emoji", "This channel bans the word \"" + word + "\" (banned_words).");
            }
        }
    }
}
