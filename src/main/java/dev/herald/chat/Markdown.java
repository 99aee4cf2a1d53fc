package dev.herald.chat;

import org.commonmark.Extension;
import org.commonmark.ext.autolink.AutolinkExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.DefaultUrlSanitizer;
import org.commonmark.renderer.html.HtmlRenderer;

import java.util.List;

/**
 * Renders message Markdown to safe HTML: raw HTML is escaped, and link and image URLs other than
 * http, https and mailto (javascript:, data:, vbscript:, …) are dropped. Content itself is stored as sent.
 */
final class Markdown {
    private static final List<Extension> AUTOLINK = List.of(AutolinkExtension.create());
    private static final Parser PLAIN = Parser.builder().build();
    private static final Parser LINKING = Parser.builder().extensions(AUTOLINK).build();
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder()
            .escapeHtml(true)
            .sanitizeUrls(true)
            .urlSanitizer(new DefaultUrlSanitizer(List.of("http", "https", "mailto")))
            .build();

    private Markdown() {
    }

    static String html(String markdown, boolean autoDetectLinks) {
        if (markdown == null) {
            return null;
        }
        return RENDERER.render((autoDetectLinks ? LINKING : PLAIN).parse(markdown));
    }
}
