package dev.herald.chat;

import dev.herald.web.ApiException;

import java.text.Normalizer;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one spelling of a reaction emoji, so that counts aggregate however clients write it: Unicode
 * in NFC without U+FE0F variation selectors ({@code ❤️} and {@code ❤} are both {@code ❤}), and the
 * common Slack/GitHub shortcodes mapped to that same Unicode ({@code :heart:} is {@code ❤}). Any
 * other {@code :shortcode:} is a custom emoji, kept lower-cased. Everything else is refused.
 */
final class Emoji {
    static final int MAX_LENGTH = 64;

    private static final Pattern SHORTCODE = Pattern.compile(":[a-z0-9_+-]{1,62}:");
    private static final Pattern ONE_GRAPHEME = Pattern.compile("\\X");
    private static final int KEYCAP = 0x20E3;
    private static final int REGIONAL_INDICATOR_A = 0x1F1E6;
    private static final int REGIONAL_INDICATOR_Z = 0x1F1FF;

    /** One emoji per line, then its shortcodes (aliases share the emoji, so they count as one). */
    private static final Map<String, String> SHORTCODES = table("""
            ❤ heart red_heart
            👍 +1 thumbsup thumbs_up
            👎 -1 thumbsdown thumbs_down
            😄 smile
            😃 smiley
            😀 grinning
            😁 grin
            😆 laughing satisfied
            😅 sweat_smile
            😂 joy
            🤣 rofl rolling_on_the_floor_laughing
            🙂 slightly_smiling_face
            🙃 upside_down_face
            😉 wink
            😊 blush
            😇 innocent
            😍 heart_eyes
            🤩 star_struck
            😘 kissing_heart
            😋 yum
            😛 stuck_out_tongue
            😜 stuck_out_tongue_winking_eye
            😎 sunglasses
            🤓 nerd_face
            😏 smirk
            😒 unamused
            😞 disappointed
            😔 pensive
            😟 worried
            😕 confused
            😢 cry
            😭 sob
            😠 angry
            😡 rage
            😱 scream
            😳 flushed
            😴 sleeping
            🤔 thinking thinking_face
            🤫 shushing_face
            🙄 roll_eyes face_with_rolling_eyes
            😬 grimacing
            😐 neutral_face
            😑 expressionless
            🤗 hugs hugging_face
            🥳 partying_face
            🤯 exploding_head
            🫠 melting_face
            🫡 saluting_face salute
            💀 skull
            🤡 clown_face
            👻 ghost
            💩 poop hankey
            🙈 see_no_evil
            👀 eyes
            💯 100
            🔥 fire
            🎉 tada
            🚀 rocket
            ✨ sparkles
            ⭐ star
            ⚡ zap
            💥 boom collision
            👏 clap
            🙏 pray
            👌 ok_hand
            👋 wave
            🙌 raised_hands
            🫶 heart_hands
            💪 muscle
            ☝ point_up
            👇 point_down
            ✌ v
            🤞 crossed_fingers
            🤝 handshake
            ✊ fist fist_raised
            👊 punch facepunch fist_oncoming
            ✅ white_check_mark
            ✔ heavy_check_mark
            ❌ x
            ⚠ warning
            ❓ question
            ❗ exclamation heavy_exclamation_mark
            💔 broken_heart
            🧡 orange_heart
            💛 yellow_heart
            💚 green_heart
            💙 blue_heart
            💜 purple_heart
            🖤 black_heart
            🤍 white_heart
            💕 two_hearts
            💖 sparkling_heart
            ❤️‍🔥 heart_on_fire
            🏆 trophy
            🏅 medal sports_medal
            👑 crown
            💰 moneybag
            💸 money_with_wings
            💎 gem
            🎁 gift
            🎈 balloon
            ☕ coffee
            🍻 beers
            🍕 pizza
            💡 bulb
            📝 memo pencil
            📌 pushpin
            📈 chart_with_upwards_trend
            🔒 lock
            🔔 bell
            💬 speech_balloon
            ☀ sunny
            🌈 rainbow
            🦄 unicorn
            🐐 goat
            """);

    private Emoji() {
    }

    /** The canonical form of a reaction emoji, or a 400 on {@code param} when it is neither an emoji nor a shortcode. */
    static String normalize(String raw, String param) {
        String text = raw.strip();
        if (text.isEmpty() || text.length() > MAX_LENGTH) {
            throw invalid(param);
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (SHORTCODE.matcher(lower).matches()) {
            return SHORTCODES.getOrDefault(lower.substring(1, lower.length() - 1), lower);
        }
        String unicode = unicode(text);
        if (!isOneEmoji(unicode)) {
            throw invalid(param);
        }
        return unicode;
    }

    private static String unicode(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFC).replace("\uFE0F", "");
    }

    /**
     * One grapheme made only of pictographs and emoji components (ZWJ, skin tones, keycaps, tags,
     * regional indicators), with at least one part that is an emoji by itself: "1" or "#" alone is not.
     */
    private static boolean isOneEmoji(String text) {
        if (!ONE_GRAPHEME.matcher(text).matches()) {
            return false;
        }
        boolean emoji = false;
        for (int cp : text.codePoints().toArray()) {
            boolean pictograph = Character.isExtendedPictographic(cp);
            if (!pictograph && !Character.isEmojiComponent(cp)) {
                return false;
            }
            emoji |= pictograph || cp == KEYCAP || (cp >= REGIONAL_INDICATOR_A && cp <= REGIONAL_INDICATOR_Z);
        }
        return emoji;
    }

    private static ApiException invalid(String param) {
        return ApiException.invalid(param, "Parameter " + param + " must be one emoji (Unicode) or a :shortcode: of at most "
                + MAX_LENGTH + " characters.");
    }

    private static Map<String, String> table(String lines) {
        Map<String, String> out = new HashMap<>();
        for (String line : lines.strip().split("\n")) {
            String[] parts = line.strip().split(" +");
            String canonical = unicode(parts[0]);
            for (int i = 1; i < parts.length; i++) {
                if (out.put(parts[i], canonical) != null) {
                    throw new IllegalStateException("Shortcode listed twice: " + parts[i]);
                }
            }
        }
        return Map.copyOf(out);
    }
}
