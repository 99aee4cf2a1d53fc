package dev.herald.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs Node.js programs from {@code conformance/} for tests: finds {@code node} and {@code npm} on the
 * PATH, installs the locked packages with {@code npm ci} when {@code node_modules} is missing, lacks a
 * package or is older than {@code package-lock.json}, and runs commands with their output streamed to
 * the test log and its tail kept for failure messages.
 */
public final class Npm {
    private static final long INSTALL_TIMEOUT_MINUTES = 5;
    private static final int TAIL_LINES = 150;

    public record Result(int exitCode, String tail) {
        /** The last line printed, where the tools put their answer. */
        public String lastLine() {
            int newline = tail.lastIndexOf('\n');
            return newline < 0 ? tail : tail.substring(newline + 1);
        }
    }

    private Npm() {
    }

    public static Path conformanceDir() {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Path dir = base.resolve("conformance").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(dir.resolve("package.json")), "no conformance suite at " + dir);
        assertTrue(Files.isRegularFile(dir.resolve("package-lock.json")), "conformance/package-lock.json is missing");
        return dir;
    }

    /** Installs the locked packages if needed; one test class at a time, so two never run npm ci together. */
    public static synchronized void install(Path dir) throws IOException, InterruptedException {
        if (needsInstall(dir)) {
            Result install = run(dir, List.of(executable("npm"), "ci", "--no-audit", "--no-fund"), Map.of(), INSTALL_TIMEOUT_MINUTES, "npm ci");
            assertEquals(0, install.exitCode(), () -> "npm ci failed in " + dir + " (exit " + install.exitCode() + "):\n" + install.tail());
        }
    }

    /** node_modules is missing, lacks a package that package.json names, or was installed before package-lock.json changed. */
    private static boolean needsInstall(Path dir) throws IOException {
        Path modules = dir.resolve("node_modules");
        if (!Files.isDirectory(modules)) {
            return true;
        }
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("package.json").toFile());
        for (String section : List.of("dependencies", "devDependencies")) {
            for (Iterator<String> names = manifest.path(section).fieldNames(); names.hasNext(); ) {
                if (!Files.isDirectory(modules.resolve(names.next()))) {
                    return true;
                }
            }
        }
        FileTime installed = Files.getLastModifiedTime(modules);
        Path hidden = modules.resolve(".package-lock.json");
        if (Files.exists(hidden) && Files.getLastModifiedTime(hidden).compareTo(installed) > 0) {
            installed = Files.getLastModifiedTime(hidden);
        }
        return installed.compareTo(Files.getLastModifiedTime(dir.resolve("package-lock.json"))) < 0;
    }

    /** The absolute path of a program on the PATH, or a test failure saying it is missing. */
    public static String executable(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(entry, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        fail(name + " was not found on the PATH; the conformance tools need Node.js 20+ and npm.");
        return name;
    }

    /** Runs a command, streaming its combined output to System.out and keeping the tail for failure messages. */
    public static Result run(Path dir, List<String> command, Map<String, String> extraEnv, long timeoutMinutes, String label)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("WHOP_")); // the SDK reads WHOP_* settings; keep the run hermetic
        env.put("NO_COLOR", "1");
        env.putAll(extraEnv);
        System.out.println("[conformance] $ " + String.join(" ", command) + "   (in " + dir + ")");
        System.out.flush();

        Process process = builder.start();
        Deque<String> tail = new ArrayDeque<>();
        Thread pump = Thread.ofPlatform().daemon().name("conformance-output").start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    System.out.println(line);
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                System.out.println("[conformance] output stream closed: " + e.getMessage());
            }
        });

        boolean finished = process.waitFor(timeoutMinutes, TimeUnit.MINUTES);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        pump.join(TimeUnit.SECONDS.toMillis(10));
        System.out.flush();
        String lastLines;
        synchronized (tail) {
            lastLines = String.join("\n", tail);
        }
        if (!finished) {
            fail(label + " did not finish within " + timeoutMinutes + " minutes; last lines of its output:\n" + lastLines);
        }
        return new Result(process.exitValue(), lastLines);
    }
}
