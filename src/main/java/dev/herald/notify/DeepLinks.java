package dev.herald.notify;

/**
 * Where tapping a notification leads. {@code iframe_link} is the app's base URL plus its experience
 * (or, for company notifications, dashboard) path template with {@code [experienceId]},
 * {@code [companyId]} and {@code [restPath]} filled; {@code link} is the same place on this Herald's
 * public URL. A rest path may be a path ({@code /posts/1}) or a query string ({@code ?id=1}).
 */
public final class DeepLinks {
    private DeepLinks() {
    }

    public static String iframeLink(NotificationRow n) {
        if (n.baseUrl() == null) {
            return null;
        }
        String template = n.experienceId() != null ? n.experiencePath() : n.dashboardPath();
        return n.baseUrl() + fill(template, n.experienceId(), n.companyId(), n.restPath());
    }

    public static String link(String publicUrl, NotificationRow n) {
        if (n.experienceId() == null && n.companyId() == null) {
            return trimSlash(publicUrl);
        }
        String base = n.experienceId() != null
                ? "/experiences/" + n.experienceId()
                : "/dashboard/" + n.companyId() + (n.appId() != null ? "/apps/" + n.appId() : "");
        return trimSlash(publicUrl) + fill(base + "/[restPath]", n.experienceId(), n.companyId(), n.restPath());
    }

    static String fill(String template, String experienceId, String companyId, String restPath) {
        String path = template
                .replace("[experienceId]", experienceId == null ? "" : experienceId)
                .replace("[companyId]", companyId == null ? "" : companyId);
        String rest = restPath == null ? "" : restPath;
        if (path.contains("[restPath]")) {
            // "/x/[restPath]" with "/a" or "?q" gives "/x/a" or "/x?q", never "/x//a".
            boolean restStartsClean = rest.isEmpty() || rest.startsWith("/") || rest.startsWith("?") || rest.startsWith("#");
            if (restStartsClean) {
                path = path.replace("/[restPath]", rest).replace("[restPath]", rest);
            } else {
                path = path.replace("[restPath]", rest);
            }
            return path;
        }
        if (rest.isEmpty()) {
            return path;
        }
        return rest.startsWith("/") || rest.startsWith("?") || rest.startsWith("#")
                ? trimSlash(path) + rest
                : trimSlash(path) + "/" + rest;
    }

    private static String trimSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
