package dev.herald.directory;

import java.util.List;

/** The directory's wire shapes (Whop's field names; a subset of each SDK type plus Herald's own). */
public final class Directory {
    private Directory() {
    }

    public record Image(String url) {
        static Image of(String url) {
            return url == null ? null : new Image(url);
        }
    }

    public record User(String id, String username, String name, String bio, Image profilePicture, String createdAt) {
    }

    public record UserRef(String id, String username, String name) {
    }

    public record Company(String id, String title, String route, Image logo, String createdAt) {
    }

    public record CompanyRef(String id, String title, String route) {
    }

    public record App(String id, String name, CompanyRef company, String baseUrl, String experiencePath,
                      String dashboardPath, Image icon, String createdAt) {
    }

    public record AppRef(String id, String name) {
    }

    public record Experience(String id, String name, AppRef app, CompanyRef company, Image image,
                             List<ProductRef> products, String createdAt) {
    }

    public record Product(String id, String title, String route, CompanyRef company, String createdAt) {
    }

    public record ProductRef(String id, String title, String route) {
    }

    public record Membership(String id, String status, UserRef user, ProductRef product, CompanyRef company,
                             String createdAt, String canceledAt) {
    }

    public record AuthorizedUser(String id, String role, UserRef user, CompanyRef company, String createdAt) {
    }

    public record Installation(AppRef app, CompanyRef company, String createdAt) {
    }

    public record Topic(String id, String appId, String identifier, String name, String description,
                        boolean defaultPreferenceValue, String createdAt) {
    }

    public record Access(boolean hasAccess, String accessLevel) {
    }
}
