package dev.herald;

import dev.herald.auth.Authenticator;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Herald's settings. Each comes from a flag ({@code --port=8080}), else the environment
 * ({@code HERALD_PORT}), else a safe default. The README lists every one.
 */
public record Config(
        String host,
        int port,
        int realtimePort,
        String publicUrl,
        Path dataDir,
        String databaseUrl,
        String adminToken,
        int workers,
        int dbPoolSize,
        boolean demo,
        boolean webhooksAllowPrivate,
        Push push) {

    /**
     * Where push providers are reached. The URLs are Apple's and Google's unless overridden (a
     * test's fake providers, a proxy); {@code trustPem} adds certificates to trust for those TLS
     * connections; {@code allowPrivate} lets Web Push endpoints resolve to private addresses.
     */
    public record Push(java.net.URI apnsUrl, java.net.URI apnsSandboxUrl, java.net.URI fcmUrl, Path trustPem,
                       boolean allowPrivate, String vapidSubject) {
        public static final java.net.URI APNS = java.net.URI.create("https://api.push.apple.com");
        public static final java.net.URI APNS_SANDBOX = java.net.URI.create("https://api.sandbox.push.apple.com");
        public static final java.net.URI FCM = java.net.URI.create("https://fcm.googleapis.com");

        public static Push defaults(String publicUrl) {
            return new Push(APNS, APNS_SANDBOX, FCM, null, false, defaultSubject(publicUrl));
        }

        static String defaultSubject(String publicUrl) {
            return publicUrl.startsWith("https://") ? publicUrl : "mailto:push@herald.invalid";
        }
    }

    public static Config from(String[] args, Map<String, String> env) {
        Map<String, String> flags = new HashMap<>();
        for (String arg : args) {
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("Unexpected argument: " + arg);
            }
            String body = arg.substring(2);
            int eq = body.indexOf('=');
            String name = eq < 0 ? body : body.substring(0, eq);
            flags.put("HERALD_" + name.toUpperCase().replace('-', '_'), eq < 0 ? "true" : body.substring(eq + 1));
        }
        Map<String, String> merged = new HashMap<>(env);
        merged.putAll(flags);
        Settings s = new Settings(merged);
        int port = s.integer("HERALD_PORT", 8080, 0, 65535);
        String publicUrl = s.text("HERALD_PUBLIC_URL", "http://localhost:" + port);
        String adminToken = s.text("HERALD_ADMIN_TOKEN", null);
        if (adminToken != null && adminToken.length() > Authenticator.MAX_SECRET_LENGTH) {
            // Longer bearer secrets are refused unread, so such a token could never be used: say so at start.
            throw new IllegalArgumentException("HERALD_ADMIN_TOKEN must be at most " + Authenticator.MAX_SECRET_LENGTH
                    + " characters, got " + adminToken.length());
        }
        return new Config(
                s.text("HERALD_HOST", "127.0.0.1"),
                port,
                s.integer("HERALD_REALTIME_PORT", 8081, 0, 65535),
                publicUrl,
                Path.of(s.text("HERALD_DATA_DIR", "./data")).toAbsolutePath().normalize(),
                s.text("HERALD_DATABASE_URL", null),
                adminToken,
                s.integer("HERALD_WORKERS", 2, 1, 256),
                s.integer("HERALD_DB_POOL_SIZE", 16, 2, 512),
                s.bool("HERALD_DEMO", false),
                s.bool("HERALD_WEBHOOKS_ALLOW_PRIVATE", false),
                new Push(
                        s.uri("HERALD_APNS_URL", Push.APNS),
                        s.uri("HERALD_APNS_SANDBOX_URL", Push.APNS_SANDBOX),
                        s.uri("HERALD_FCM_URL", Push.FCM),
                        s.text("HERALD_PUSH_TRUST_PEM", null) == null ? null : Path.of(s.text("HERALD_PUSH_TRUST_PEM", null)),
                        s.bool("HERALD_PUSH_ALLOW_PRIVATE", false),
                        s.text("HERALD_VAPID_SUBJECT", Push.defaultSubject(publicUrl))));
    }

    private record Settings(Map<String, String> values) {
        String text(String name, String fallback) {
            String value = values.get(name);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        int integer(String name, int fallback, int min, int max) {
            String value = text(name, null);
            if (value == null) {
                return fallback;
            }
            try {
                int parsed = Integer.parseInt(value);
                if (parsed < min || parsed > max) {
                    throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
                }
                return parsed;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be an integer, got " + value);
            }
        }

        java.net.URI uri(String name, java.net.URI fallback) {
            String value = text(name, null);
            if (value == null) {
                return fallback;
            }
            java.net.URI parsed = java.net.URI.create(value);
            if (!"https".equals(parsed.getScheme()) && !"http".equals(parsed.getScheme())) {
                throw new IllegalArgumentException(name + " must be an http(s) URL, got " + value);
            }
            return parsed;
        }

        boolean bool(String name, boolean fallback) {
            String value = text(name, null);
            if (value == null) {
                return fallback;
            }
            return switch (value.toLowerCase()) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default -> throw new IllegalArgumentException(name + " must be true or false, got " + value);
            };
        }
    }
}
