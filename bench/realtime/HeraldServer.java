import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.herald.Config;
import dev.herald.Main;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * bench/realtime's Herald: starts Herald in this JVM (embedded PostgreSQL in a temporary directory), builds through
 * the admin API a company, an app, one experience (its chat channel), a product attached to it and
 * {@code -Dbench.users} users (default 100) with a membership and a user token each, then prints one JSON line:
 * {@code {"port","wsPort","admin","tokens":[…],"channel","experience","memPort","pid"}}.
 *
 * <p>{@code GET http://127.0.0.1:<memPort>/mem} runs {@code System.gc()} three times and answers the process's VmRSS
 * (from /proc/self/status), the heap used after those collections, non-heap used and direct/mapped buffer bytes, so
 * the driver can measure memory per idle connection. Runs until stdin closes or the process is told to stop; then
 * closes Herald and deletes the data directory. Not a test: bench/realtime/run.sh starts it.
 */
public final class HeraldServer {
    static final String ADMIN_TOKEN = "ha_bench_admin";
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int users = Integer.getInteger("bench.users", 100);
        Path dataDir = Files.createTempDirectory("herald-bench-realtime-");
        int port = freePort();
        Main.Running herald = Main.start(new Config("127.0.0.1", port, 0, "http://127.0.0.1:" + port, dataDir, null,
                ADMIN_TOKEN, 2, 16, false, false, Config.Push.defaults("http://127.0.0.1:" + port)));
        Runnable stop = new Runnable() {
            boolean done;

            @Override
            public synchronized void run() {
                if (done) {
                    return;
                }
                done = true;
                try {
                    herald.close();
                } catch (Exception e) {
                    System.err.println("HeraldServer: close failed: " + e);
                }
                deleteRecursively(dataDir);
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop));

        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String tag = Long.toString(System.currentTimeMillis(), 36);
        String company = id(post(http, base + "/api/v1/companies", Map.of("title", "Realtime bench " + tag)));
        String app = id(post(http, base + "/api/v1/apps", Map.of("name", "Bench app", "company_id", company,
                "base_url", "https://bench.example.test",
                "experience_path", "/experiences/[experienceId]/[restPath]",
                "dashboard_path", "/dashboard/[companyId]/[restPath]")));
        post(http, base + "/api/v1/apps/" + app + "/installations", Map.of("company_id", company));
        String experience = id(post(http, base + "/api/v1/experiences",
                Map.of("app_id", app, "company_id", company, "name", "Fan-out channel")));
        String product = id(post(http, base + "/api/v1/products", Map.of("company_id", company, "title", "Pass")));
        send(http, base + "/api/v1/experiences/" + experience + "/attach", Map.of("product_id", product), 200);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            String user = id(post(http, base + "/api/v1/users", Map.of("username", "rt" + i + "_" + tag, "name", "Subscriber " + i)));
            post(http, base + "/api/v1/memberships", Map.of("user_id", user, "product_id", product));
            tokens.add(post(http, base + "/api/v1/users/" + user + "/tokens", Map.of()).get("token").asText());
        }
        String channel = herald.database().jdbi().withHandle(h -> h.createQuery("select id from chat_channels where experience_id = :e")
                .bind("e", experience).mapTo(String.class).one());

        HttpServer mem = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        mem.createContext("/mem", ex -> {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            MemoryMXBean bean = ManagementFactory.getMemoryMXBean();
            long buffers = 0;
            for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                buffers += pool.getMemoryUsed();
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("rss", vmRss());
            out.put("heapUsed", bean.getHeapMemoryUsage().getUsed());
            out.put("heapCommitted", bean.getHeapMemoryUsage().getCommitted());
            out.put("nonHeapUsed", bean.getNonHeapMemoryUsage().getUsed());
            out.put("buffers", buffers);
            out.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
            byte[] body = JSON.writeValueAsBytes(out);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        mem.start();

        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("port", port);
        ready.put("wsPort", herald.realtimePort());
        ready.put("admin", ADMIN_TOKEN);
        ready.put("tokens", tokens);
        ready.put("channel", channel);
        ready.put("experience", experience);
        ready.put("memPort", mem.getAddress().getPort());
        ready.put("pid", ProcessHandle.current().pid());
        System.out.println(JSON.writeValueAsString(ready));
        System.out.flush();

        // Until the driver is done: run.sh closes our stdin (or kills us; the shutdown hook then closes Herald).
        while (System.in.read() >= 0) {
            // ignore input
        }
        mem.stop(0);
        stop.run();
        System.exit(0);
    }

    static long vmRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    static JsonNode post(HttpClient http, String url, Object body) throws Exception {
        return send(http, url, body, 201);
    }

    static JsonNode send(HttpClient http, String url, Object body, int expect) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body), StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != expect) {
            throw new IllegalStateException("POST " + url + " → " + resp.statusCode() + " " + resp.body());
        }
        return JSON.readTree(resp.body());
    }

    static String id(JsonNode node) {
        return node.get("id").asText();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("HeraldServer: could not delete " + dir + ": " + e.getMessage());
        }
    }
}
