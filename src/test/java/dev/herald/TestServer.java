package dev.herald;

import dev.herald.push.PushFakes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;

/**
 * One real Herald per test JVM, on a free port, against a real PostgreSQL: the one named by
 * {@code HERALD_TEST_DATABASE_URL}, else an embedded one in a fresh temporary data directory.
 * Tests isolate themselves by creating their own companies, apps and users ({@link World}).
 */
public final class TestServer {
    public static final String ADMIN_TOKEN = "ha_test_admin_token_for_the_suite";
    private static Main.Running running;
    private static Config config;
    private static Path dataDir;

    private TestServer() {
    }

    public static synchronized Main.Running get() {
        if (running == null) {
            try {
                dataDir = TempDirs.create("herald-test-");
                int port = freePort();
                config = new Config("127.0.0.1", port, 0, "http://127.0.0.1:" + port, dataDir,
                        System.getenv("HERALD_TEST_DATABASE_URL"), ADMIN_TOKEN, 2, 24, false, true, PushFakes.get().config());
                running = Main.start(config);
                // Normally stopped by StopTestServer before the JVM exits; this is for a run cut short.
                Runtime.getRuntime().addShutdownHook(new Thread(running::close));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return running;
    }

    /**
     * Stops the server in order while the JVM still runs normally: in a shutdown hook the embedded
     * PostgreSQL's own hook stops the database at the same time, and the workers then wait out a
     * connection timeout (30 s) before the JVM can exit.
     */
    static synchronized void stop() {
        if (running != null) {
            running.close();
            running = null;
            TempDirs.delete(dataDir);
        }
    }

    public static Config config() {
        get();
        return config;
    }

    public static String baseUrl() {
        return "http://127.0.0.1:" + get().port();
    }

    public static Api admin() {
        return new Api(baseUrl(), ADMIN_TOKEN);
    }

    public static Api as(String token) {
        return new Api(baseUrl(), token);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
