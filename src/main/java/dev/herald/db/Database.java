package dev.herald.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** The connection pool, the schema (Flyway) and the JDBI handle factory every Store uses. */
public final class Database implements AutoCloseable {
    /** The NOTIFY channel on which triggers and nodes announce changes that caches and live streams follow. */
    public static final String CHANGES_CHANNEL = "herald_changes";

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final JdbcTarget target;

    private Database(JdbcTarget target, int poolSize) {
        this.target = target;
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(target.url());
        config.setUsername(target.user());
        config.setPassword(target.password());
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("herald");
        config.setConnectionTimeout(10_000);
        this.dataSource = new HikariDataSource(config);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        this.jdbi = Jdbi.create(dataSource);
    }

    public static Database connect(JdbcTarget target, int poolSize) {
        return new Database(target, poolSize);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** A connection outside the pool, for LISTEN, which holds its connection for as long as it listens. */
    public Connection dedicatedConnection() throws SQLException {
        return DriverManager.getConnection(target.url(), target.user(), target.password());
    }

    public boolean isReachable() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }

    /** Where to connect: accepts {@code jdbc:postgresql://…} and {@code postgres(ql)://user:pass@host:port/db}. */
    public record JdbcTarget(String url, String user, String password) {
        public static JdbcTarget parse(String databaseUrl) {
            if (databaseUrl.startsWith("jdbc:")) {
                return new JdbcTarget(databaseUrl, null, null);
            }
            URI uri = URI.create(databaseUrl);
            if (!"postgres".equals(uri.getScheme()) && !"postgresql".equals(uri.getScheme())) {
                throw new IllegalArgumentException("HERALD_DATABASE_URL must be jdbc:postgresql://… or postgres://…");
            }
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getUserInfo().split(":", 2);
                user = parts[0];
                password = parts.length > 1 ? parts[1] : null;
            }
            int port = uri.getPort() < 0 ? 5432 : uri.getPort();
            String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
            return new JdbcTarget("jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath() + query, user, password);
        }
    }
}
