package dev.herald.conformance;

import dev.herald.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs the SDK conformance suite in {@code conformance/}: Node tests that drive this Herald through
 * the official {@code @whop/sdk} npm package. Installs the packages through {@link Npm} when needed,
 * then runs {@code node --test} against the shared test server and fails with the tail of its output
 * unless every Node test passed. Needs {@code node} and {@code npm} on the PATH.
 */
class SdkConformanceTest {
    private static final long RUN_TIMEOUT_MINUTES = 5;

    @Test
    void officialSdkAgainstHerald() throws Exception {
        Path dir = Npm.conformanceDir();
        String node = Npm.executable("node");
        String baseUrl = TestServer.baseUrl();
        Npm.install(dir);

        Npm.Result result = Npm.run(dir,
                List.of(node, "--test", "--test-reporter=spec", "--test-concurrency=1"),
                Map.of("HERALD_URL", baseUrl, "HERALD_ADMIN_TOKEN", TestServer.ADMIN_TOKEN),
                RUN_TIMEOUT_MINUTES, "node --test");
        assertEquals(0, result.exitCode(), () -> "SDK conformance suite failed (exit " + result.exitCode()
                + "); last lines of its output:\n" + result.tail());
    }
}
