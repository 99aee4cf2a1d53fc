package dev.herald.push;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.interfaces.RSAPrivateKey;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What FCM HTTP v1 needs from a Google service-account key file. {@link #toString()} leaves the key out.
 */
public record FcmCredentials(String projectId, String clientEmail, RSAPrivateKey privateKey, URI tokenUri) {
    /** Used when a key file has no token_uri; every file Google issues has one. */
    static final URI GOOGLE_TOKEN_URI = URI.create("https://oauth2.googleapis.com/token");
    /** Lower-case project IDs, optionally domain-scoped ("example.com:project"); the ID goes into the URL path. */
    private static final Pattern PROJECT_ID = Pattern.compile("[a-z0-9][a-z0-9.:-]*");

    public FcmCredentials {
        if (projectId == null || !PROJECT_ID.matcher(projectId).matches()) {
            throw new IllegalArgumentException("FCM project_id must be a Google Cloud project ID (a-z, 0-9, '-', '.', ':')");
        }
        if (clientEmail == null || !clientEmail.contains("@")) {
            throw new IllegalArgumentException("FCM client_email must be the service account's email address");
        }
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(tokenUri, "tokenUri");
        if (!tokenUri.isAbsolute() || tokenUri.getHost() == null
                || !("https".equals(tokenUri.getScheme()) || "http".equals(tokenUri.getScheme()))) {
            throw new IllegalArgumentException("FCM token_uri must be an absolute http(s) URL");
        }
    }

    /** Reads a service-account key file as downloaded from the Google Cloud or Firebase console. */
    public static FcmCredentials parse(String json) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("service-account JSON is missing");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the offending text, which may be part of the key: report the position only.
            JsonLocation at = e.getLocation();
            throw new IllegalArgumentException("service-account JSON is not valid JSON"
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("service-account JSON must be an object");
        }
        String type = root.path("type").asText(null);
        if (type != null && !type.equals("service_account")) {
            throw new IllegalArgumentException("credentials JSON has type '" + type + "'; FCM needs a service-account key (type 'service_account')");
        }
        var key = Keys.privateKey(Keys.pkcs8(required(root, "private_key"), "service-account private_key"),
                "RSA", "service-account private_key");
        String tokenUri = root.path("token_uri").asText(null);
        URI uri;
        try {
            uri = tokenUri == null ? GOOGLE_TOKEN_URI : new URI(tokenUri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("service-account token_uri is not a valid URL");
        }
        return new FcmCredentials(required(root, "project_id"), required(root, "client_email"), (RSAPrivateKey) key, uri);
    }

    private static String required(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new IllegalArgumentException("service-account JSON has no \"" + field + "\"");
        }
        return node.asText();
    }

    @Override
    public String toString() {
        return "FcmCredentials[projectId=" + projectId + ", clientEmail=" + clientEmail + ", privateKey=<redacted>, tokenUri=" + tokenUri + "]";
    }
}
