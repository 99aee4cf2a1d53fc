package dev.herald.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** The operator's token: {@code HERALD_ADMIN_TOKEN}, else the one kept in the data directory, else a new one. */
public final class AdminToken {
    private AdminToken() {
    }

    public record Resolved(String token, boolean generated, Path file) {
    }

    public static Resolved resolve(String configured, Path dataDir) {
        if (configured != null) {
            return new Resolved(configured, false, null);
        }
        Path file = dataDir.resolve("admin-token");
        try {
            if (Files.exists(file)) {
                return new Resolved(Files.readString(file, StandardCharsets.UTF_8).trim(), false, file);
            }
            Files.createDirectories(dataDir);
            String token = Secrets.newSecret(Secrets.ADMIN_PREFIX);
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Not a POSIX file system: the directory's own permissions protect the file.
            }
            return new Resolved(token, true, file);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read or create " + file, e);
        }
    }
}
