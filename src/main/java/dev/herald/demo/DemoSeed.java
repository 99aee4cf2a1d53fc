package dev.herald.demo;

import dev.herald.Config;
import dev.herald.Main;
import dev.herald.auth.Credential;
import dev.herald.auth.Permissions;
import dev.herald.web.Body;
import dev.herald.web.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small world to call at once: one company with an app, two experiences, two products, five users
 * (two customers of different plans, one team member, one cancelled customer, one outsider), an
 * app key, a company key and a token per user. Created once through the same services the API
 * uses; its ids and secrets are kept in {@code <data dir>/demo.json} and printed on every start.
 */
public final class DemoSeed {
    private static final Credential ADMIN = new Credential.Admin();

    private DemoSeed() {
    }

    public record World(String companyId, String appId, String workoutsExperienceId, String coachingExperienceId,
                        String proProductId, String basicProductId, String appKey, String companyKey,
                        Map<String, String> userIds, Map<String, String> userTokens) {

        public String describe(String publicUrl) {
            StringBuilder out = new StringBuilder();
            out.append("\nDemo data (also in demo.json in the data directory):\n");
            out.append("  company       ").append(companyId).append("  (Acme Fitness)\n");
            out.append("  app           ").append(appId).append("  (Workout Buddy)\n");
            out.append("  experiences   ").append(workoutsExperienceId).append(" (Daily Workouts), ")
                    .append(coachingExperienceId).append(" (Coaching)\n");
            out.append("  app key       ").append(appKey).append("\n");
            out.append("  company key   ").append(companyKey).append("\n");
            userIds.forEach((name, id) -> out.append("  user ").append(String.format("%-8s", name)).append(' ').append(id)
                    .append("  token ").append(userTokens.get(name)).append('\n'));
            out.append("\nTry:\n");
            out.append("  curl -s -X POST ").append(publicUrl).append("/api/v1/notifications -H 'Authorization: Bearer ")
                    .append(appKey).append("' -H 'Content-Type: application/json' \\\n      -d '{\"experience_id\":\"")
                    .append(workoutsExperienceId).append("\",\"title\":\"New workout\",\"content\":\"Leg day is up\"}'\n");
            out.append("  curl -s ").append(publicUrl).append("/api/v1/notifications -H 'Authorization: Bearer ")
                    .append(userTokens.get("alice")).append("'\n");
            return out.toString();
        }
    }

    /** Seeds on first use and returns the world; later starts read it back from the data directory. */
    public static World ensure(Main.Services s, Config config) {
        Path file = config.dataDir().resolve("demo.json");
        try {
            if (Files.exists(file)) {
                World world = Json.MAPPER.readValue(Files.readString(file), World.class);
                if (s.directory().store().findCompany(world.companyId()).isPresent()) {
                    return world;
                }
            }
            World world = seed(s);
            Files.createDirectories(config.dataDir());
            Files.writeString(file, Json.string(world), StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Not a POSIX file system: the data directory's permissions protect the file.
            }
            return world;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read or write " + file, e);
        }
    }

    private static World seed(Main.Services s) {
        var directory = s.directory();
        String company = directory.createCompany(ADMIN, body(Map.of("title", "Acme Fitness"))).id();
        String app = directory.createApp(ADMIN, body(Map.of("name", "Workout Buddy", "company_id", company,
                "base_url", "http://localhost:3000",
                "experience_path", "/experiences/[experienceId]/[restPath]",
                "dashboard_path", "/dashboard/[companyId]/[restPath]"))).id();
        directory.createTopic(ADMIN, app, body(Map.of("identifier", "dispatch", "name", "Dispatch")));
        String workouts = directory.createExperience(ADMIN, body(Map.of("app_id", app, "company_id", company, "name", "Daily Workouts"))).id();
        String coaching = directory.createExperience(ADMIN, body(Map.of("app_id", app, "company_id", company, "name", "Coaching"))).id();
        String pro = directory.createProduct(ADMIN, body(Map.of("company_id", company, "title", "Pro Plan"))).id();
        String basic = directory.createProduct(ADMIN, body(Map.of("company_id", company, "title", "Basic Plan"))).id();
        directory.attach(ADMIN, workouts, body(Map.of("product_id", pro)));
        directory.attach(ADMIN, coaching, body(Map.of("product_id", pro)));
        directory.attach(ADMIN, workouts, body(Map.of("product_id", basic)));

        Map<String, String> users = new LinkedHashMap<>();
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String name : List.of("alice", "bob", "carol", "dave", "erin")) {
            String id = directory.createUser(ADMIN, body(Map.of("username", name,
                    "name", Character.toUpperCase(name.charAt(0)) + name.substring(1)))).id();
            users.put(name, id);
            tokens.put(name, s.keys().createUserToken(ADMIN, id).token());
        }
        directory.createMembership(ADMIN, body(Map.of("user_id", users.get("alice"), "product_id", pro)));
        directory.createMembership(ADMIN, body(Map.of("user_id", users.get("bob"), "product_id", basic)));
        String carols = directory.createMembership(ADMIN, body(Map.of("user_id", users.get("carol"), "product_id", pro))).id();
        directory.cancelMembership(ADMIN, carols);
        directory.createAuthorizedUser(ADMIN, body(Map.of("company_id", company, "user_id", users.get("dave"), "role", "admin")));

        String appKey = s.keys().createApiKey(ADMIN, body(Map.of("app_id", app, "name", "demo app key",
                "permissions", List.copyOf(Permissions.ALL)))).key();
        String companyKey = s.keys().createApiKey(ADMIN, body(Map.of("company_id", company, "name", "demo company key",
                "permissions", List.copyOf(Permissions.ALL)))).key();
        return new World(company, app, workouts, coaching, pro, basic, appKey, companyKey, users, tokens);
    }

    private static Body body(Map<String, ?> fields) {
        return Body.parse(Json.bytes(fields));
    }
}
