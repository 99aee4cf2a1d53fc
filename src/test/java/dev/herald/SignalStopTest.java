package dev.herald;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Herald as a user runs it: its own JVM with the embedded PostgreSQL, stopped with SIGTERM. It must stop
 * in order and promptly. (The embedded PostgreSQL's own shutdown hook used to stop the database while
 * Herald's background workers still used it, and the stop then took 30 s, a connection timeout.)
 */
class SignalStopTest {
    private static final Pattern LISTENING = Pattern.compile("Herald is listening on (http://\\S+)");

    @Test
    void sigtermStopsHeraldAndItsEmbeddedDatabaseInOrder() throws Exception {
        Path dataDir = TempDirs.create("herald-signal-");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.herald.Main")
                .redirectErrorStream(true);
        builder.environment().put("HERALD_HOST", "127.0.0.1");
        builder.environment().put("HERALD_PORT", Integer.toString(TestServer.freePort()));
        builder.environment().put("HERALD_REALTIME_PORT", "0");
        builder.environment().put("HERALD_DATA_DIR", dataDir.toString());
        builder.environment().remove("HERALD_DATABASE_URL");
        Process herald = builder.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(herald.getInputStream(), StandardCharsets.UTF_8));
            StringBuffer log = new StringBuffer(); // appended by two threads
            String base = CompletableFuture.supplyAsync(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        log.append(line).append('\n');
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) {
                            return m.group(1);
                        }
                    }
                    return null;
                } catch (java.io.IOException e) {
                    return null;
                }
            }).get(120, TimeUnit.SECONDS);
            assertTrue(base != null, "Herald did not start:\n" + log);
            Thread.ofVirtual().start(() -> out.lines().forEach(line -> log.append(line).append('\n')));
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
            Path postmasterPid = dataDir.resolve("postgres").resolve("postmaster.pid");
            assertTrue(Files.exists(postmasterPid), "the embedded PostgreSQL runs in the data directory");
            assertDurable(Files.readAllLines(postmasterPid).get(3).trim());
            // Let the background workers poll the database, as they do every half second on an idle server.
            Thread.sleep(1500);

            long start = System.nanoTime();
            herald.destroy(); // SIGTERM
            boolean exited = herald.waitFor(20, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertTrue(exited, "still running 20 s after SIGTERM:\n" + log);
            assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "stopping took " + took + ":\n" + log);
            assertEquals(128 + 15, herald.exitValue(), "the exit status of a process ended by SIGTERM");
            assertFalse(Files.exists(postmasterPid), "the embedded PostgreSQL was stopped");
            assertFalse(log.toString().contains("Connection is not available"), "no worker lost its database:\n" + log);
        } finally {
            // After a failed assertion Herald may still run: a SIGTERM first, so its PostgreSQL is not orphaned.
            if (herald.isAlive()) {
                herald.destroy();
                herald.waitFor(20, TimeUnit.SECONDS);
            }
            herald.destroyForcibly();
            herald.waitFor(20, TimeUnit.SECONDS);
            TempDirs.delete(dataDir);
        }
    }

    /** The embedded database is the production default: a commit must be on disk, not only in the page cache. */
    private static void assertDurable(String port) throws Exception {
        try (Connection db = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", null);
             Statement statement = db.createStatement()) {
            for (String setting : List.of("fsync", "synchronous_commit", "full_page_writes")) {
                try (ResultSet rs = statement.executeQuery("show " + setting)) {
                    assertTrue(rs.next());
                    assertEquals("on", rs.getString(1), setting);
                }
            }
        }
    }
}
