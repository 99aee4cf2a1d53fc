import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.Config;
import dev.herald.Main;
import io.helidon.webserver.WebServer;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.StatementCustomizer;
import org.postgresql.PGStatement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * The notifications benchmark (bench/notify). Not a test: run it with {@code bench/notify/run.sh}.
 *
 * <p>Starts Herald in this JVM (embedded PostgreSQL in a temporary directory, or the database named by
 * {@code HERALD_BENCH_DATABASE_URL}) next to an empty Helidon handler that serves as the latency floor,
 * builds the small objects through the admin API and the big data set with set-based SQL, then measures:
 * <ol type="a">
 *   <li>POST /api/v1/notifications latency to a 10-member experience vs a 1,000,000-member one;</li>
 *   <li>time from that POST returning to the notification showing in a member's feed;</li>
 *   <li>GET /api/v1/notifications?first=20 for a user in 50 experiences holding 1,000,000 notifications,
 *       under 32 concurrent clients, next to the same load on the empty handler.</li>
 * </ol>
 * Prints a markdown table and writes it, with the run's context, to bench/results/notify.md.
 */
public final class NotifyBench {
    static final String ADMIN_TOKEN = "ha_bench_admin";
    static final ObjectMapper JSON = new ObjectMapper();

    // Sizes and loads; the defaults are the benchmark. Overrides (-Dbench.*) are for quick trial runs only.
    static final int BIG_MEMBERS = Integer.getInteger("bench.members", 1_000_000);
    static final int SMALL_MEMBERS = 10;
    static final int FEED_NOTIFICATIONS = Integer.getInteger("bench.notifications", 1_000_000);
    static final int FEED_EXPERIENCES = 50;
    static final int A_CLIENTS = 8;
    static final int A_WARMUP = Integer.getInteger("bench.a.warmup", 500);
    static final int A_REQUESTS = Integer.getInteger("bench.a.requests", 2_000);
    static final int B_ROUNDS = Integer.getInteger("bench.b.rounds", 30);
    static final int B_WARMUP_ROUNDS = 3;
    static final long B_POLL_MILLIS = 2;
    static final int C_CLIENTS = 32;
    static final int C_PAGE = 20;
    static final Duration C_WARMUP = Duration.ofSeconds(Integer.getInteger("bench.c.warmup", 5));
    static final Duration C_DURATION = Duration.ofSeconds(Integer.getInteger("bench.c.seconds", 20));

    static final double TARGET_A_RATIO = 1.5;
    static final double TARGET_B_MS = 1000;
    static final double TARGET_C_P99_MS = 20;

    private final Main.Running herald;
    private final Jdbi jdbi;
    private final String base;
    private final String floorBase;
    private final boolean externalDb;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    private final String tag = Long.toString(System.currentTimeMillis(), 36);
    private final Map<String, String> setupTimings = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final StringBuilder diagnosis = new StringBuilder();

    // Objects built during setup.
    private String companyId;
    private String appId;
    private String appKey;
    private String expSmall;
    private String expBig;
    private String watcherToken;
    private String readerId;
    private String readerToken;
    private long bigMembers;

    NotifyBench(Main.Running herald, int floorPort, boolean externalDb) {
        this.herald = herald;
        this.jdbi = herald.database().jdbi();
        this.base = "http://127.0.0.1:" + herald.port();
        this.floorBase = "http://127.0.0.1:" + floorPort;
        this.externalDb = externalDb;
    }

    public static void main(String[] args) throws Exception {
        configureLogging();
        String dbUrl = System.getenv("HERALD_BENCH_DATABASE_URL");
        dbUrl = dbUrl == null || dbUrl.isBlank() ? null : dbUrl.trim();
        Path dataDir = Files.createTempDirectory("herald-bench-");
        int port = freePort();
        log("starting Herald on port " + port + " (" + (dbUrl == null ? "embedded PostgreSQL in " + dataDir : "external database") + ")");
        Main.Running herald = Main.start(new Config("127.0.0.1", port, 0, "http://127.0.0.1:" + port, dataDir, dbUrl,
                ADMIN_TOKEN, 2, 64, false, false, Config.Push.defaults("http://127.0.0.1:" + port)));
        WebServer floor = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(r -> r.get("/empty", (req, res) -> res.send("{}")))
                .build()
                .start();
        int status = 0;
        try {
            new NotifyBench(herald, floor.port(), dbUrl != null).run();
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        } finally {
            floor.stop();
            herald.close();
            deleteRecursively(dataDir);
        }
        System.exit(status);
    }

    void run() throws Exception {
        long started = System.nanoTime();
        Cpu idle0 = Cpu.now();
        Thread.sleep(3000);
        Cpu idle1 = Cpu.now();
        String busyBefore = busyShare(idle0, idle1) + " busy, of which other processes " + otherShare(idle0, idle1);
        setUpDirectory();
        bulkLoad();
        measureCreate();
        measureVisibility();
        measureFeed();
        diagnoseFeed();
        long minutes = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        notes.add("Machine CPU (all cores) in 3 s before setup, Herald started and idle: " + busyBefore
                + "; other work on the machine during (c) shows in the \"other processes\" column of the CPU table in the diagnosis.");
        notes.add("Total benchmark time (setup and measurements, after the build): " + minutes / 60 + " min " + minutes % 60 + " s.");
        report();
    }

    // ------------------------------------------------------------------ setup

    private void setUpDirectory() {
        long t0 = System.nanoTime();
        companyId = id(admin("/api/v1/companies", Map.of("title", "Bench " + tag)));
        appId = id(admin("/api/v1/apps", Map.of("name", "Bench app", "company_id", companyId,
                "base_url", "https://bench.example.test",
                "experience_path", "/experiences/[experienceId]/[restPath]",
                "dashboard_path", "/dashboard/[companyId]/[restPath]")));
        admin("/api/v1/apps/" + appId + "/installations", Map.of("company_id", companyId));
        expSmall = experienceWithProduct("Ten members");
        String prodSmall = productOf(expSmall);
        expBig = experienceWithProduct("One million members");
        String prodBig = productOf(expBig);
        for (int i = 0; i < SMALL_MEMBERS; i++) {
            member(user("small" + i), prodSmall);
        }
        String watcher = user("watcher");
        member(watcher, prodBig);
        watcherToken = token(watcher);
        readerId = user("reader");
        readerToken = token(readerId);
        feedExperiences = new ArrayList<>();
        for (int i = 0; i < FEED_EXPERIENCES; i++) {
            String exp = experienceWithProduct("Feed experience " + i);
            feedExperiences.add(exp);
            member(readerId, productOf(exp));
        }
        appKey = admin("/api/v1/api_keys", Map.of("app_id", appId, "name", "bench",
                "permissions", List.of("notification:create"))).get("key").asText();
        setupTimings.put("Directory through the admin API (company, app, " + (2 + FEED_EXPERIENCES) + " experiences and products, "
                + (SMALL_MEMBERS + 2) + " users, " + (SMALL_MEMBERS + 1 + FEED_EXPERIENCES) + " memberships, keys)", secondsSince(t0));
    }

    private List<String> feedExperiences;
    private final Map<String, String> productOfExperience = new LinkedHashMap<>();

    private String experienceWithProduct(String name) {
        String exp = id(admin("/api/v1/experiences", Map.of("app_id", appId, "company_id", companyId, "name", name)));
        String prod = id(admin("/api/v1/products", Map.of("company_id", companyId, "title", name + " pass")));
        call("POST", base + "/api/v1/experiences/" + exp + "/attach", ADMIN_TOKEN, Map.of("product_id", prod), 200);
        productOfExperience.put(exp, prod);
        return exp;
    }

    private String productOf(String exp) {
        return productOfExperience.get(exp);
    }

    private String user(String name) {
        return id(admin("/api/v1/users", Map.of("username", name + "_" + tag, "name", name)));
    }

    private void member(String userId, String productId) {
        admin("/api/v1/memberships", Map.of("user_id", userId, "product_id", productId));
    }

    private String token(String userId) {
        return admin("/api/v1/users/" + userId + "/tokens", Map.of()).get("token").asText();
    }

    private void bulkLoad() {
        String prodBig = productOf(expBig);
        timedSql("Bulk insert of " + fmt(BIG_MEMBERS) + " users (INSERT … SELECT generate_series)", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into users (id, username, name)
                        select 'user_b' || :tag || '_' || i, 'bench_' || :tag || '_' || i, 'Bench member ' || i
                        from generate_series(1, :n) as i""")
                .bind("tag", tag).bind("n", BIG_MEMBERS).execute()));
        timedSql("Bulk insert of " + fmt(BIG_MEMBERS) + " active memberships in the big experience's product", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into memberships (id, user_id, product_id, company_id, status, granted_seq)
                        select 'mem_b' || :tag || '_' || i, 'user_b' || :tag || '_' || i, :product, :company, 'active',
                               (select notification_watermark())
                        from generate_series(1, :n) as i""")
                .bind("tag", tag).bind("n", BIG_MEMBERS).bind("product", prodBig).bind("company", companyId).execute()));

        long before = jdbi.withHandle(h -> h.createQuery("select notification_watermark()").mapTo(Long.class).one());
        timedSql("Bulk insert of " + fmt(FEED_NOTIFICATIONS) + " notifications over " + FEED_EXPERIENCES + " experiences", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into notifications (id, api, app_id, company_id, experience_id, title, content,
                                                   mobile_title, mobile_content, targets, created_at, delivered_at)
                        select 'ntf_b' || :tag || '_' || g.i, 'v1', :app, :company, e.ids[1 + g.i % :k],
                               'Bulk notification ' || g.i, 'Stored for the feed benchmark (' || g.i || ').',
                               'Bulk notification ' || g.i, 'Stored for the feed benchmark.',
                               jsonb_build_object('experience_id', e.ids[1 + g.i % :k]),
                               now() - make_interval(secs => :n - g.i), now()
                        from (select cast(:ids as text[]) as ids) e, generate_series(1, :n) as g(i)""")
                .bind("tag", tag).bind("app", appId).bind("company", companyId).bind("k", FEED_EXPERIENCES)
                .bind("ids", feedExperiences.toArray(new String[0])).bind("n", FEED_NOTIFICATIONS).execute()));
        timedSql("Bulk insert of their " + fmt(FEED_NOTIFICATIONS) + " audience rows (one per notification: the experience)", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into notification_audiences (source_key, seq, experience_id, company_id, mention)
                        select n.experience_id, n.seq, n.experience_id, n.company_id, false
                        from notifications n where n.seq > :before and n.id like 'ntf_b%'""")
                .bind("before", before).execute()));
        timedSql("VACUUM ANALYZE of the loaded tables, CHECKPOINT", () -> jdbi.useHandle(h -> {
            h.execute("vacuum (analyze) users, memberships, notifications, notification_audiences, experiences, experience_products");
            try {
                h.execute("checkpoint");
            } catch (RuntimeException e) {
                notes.add("CHECKPOINT after the bulk load was refused (" + e.getMessage().lines().findFirst().orElse("") + ").");
            }
        }));
        bigMembers = jdbi.withHandle(h -> h.createQuery(
                        "select count(*) from memberships where product_id = :p and status = 'active'")
                .bind("p", prodBig).mapTo(Long.class).one());
        long smallMembers = jdbi.withHandle(h -> h.createQuery(
                        "select count(*) from memberships where product_id = :p and status = 'active'")
                .bind("p", productOf(expSmall)).mapTo(Long.class).one());
        long readerVisible = jdbi.withHandle(h -> h.createQuery("""
                        select count(*) from notification_audiences a join memberships m on m.user_id = :u
                        join experience_products ep on ep.product_id = m.product_id and ep.experience_id = a.source_key
                        where a.seq > m.granted_seq""")
                .bind("u", readerId).mapTo(Long.class).one());
        notes.add("Data set: big experience " + fmt(bigMembers) + " active members, small experience " + smallMembers
                + " members; the feed reader is a member of " + FEED_EXPERIENCES + " experiences (one product each) holding "
                + fmt(readerVisible) + " notifications visible to them.");
    }

    private void timedSql(String what, Runnable sql) {
        long t0 = System.nanoTime();
        log(what + " …");
        sql.run();
        String took = secondsSince(t0);
        log(what + ": " + took);
        setupTimings.put(what, took);
    }

    // ------------------------------------------------------------------ (a) POST latency vs audience size

    private void measureCreate() throws InterruptedException {
        log("(a) POST /api/v1/notifications: " + A_WARMUP + " warm-up, then " + A_REQUESTS + " per experience, "
                + A_CLIENTS + " clients, alternating experiences request by request");
        String[] experiences = {expSmall, expBig};
        AtomicLong serial = new AtomicLong();
        IntFunction<HttpRequest> post = k -> post(base + "/api/v1/notifications", appKey, Map.of(
                "experience_id", experiences[k % 2],
                "title", "Bench (a) " + serial.incrementAndGet(),
                "content", "Latency of accepting a notification for an experience."));
        closedLoop(A_CLIENTS, A_WARMUP, Duration.ofMinutes(5), 2, post);
        waitForOutbox(Duration.ofMinutes(2));
        LoadResult r = closedLoop(A_CLIENTS, 2L * A_REQUESTS, Duration.ofMinutes(10), 2, post);
        long drainStart = System.nanoTime();
        long pendingAtEnd = pendingOutbox();
        waitForOutbox(Duration.ofMinutes(2));
        Stats small = Stats.of(r.latencies()[0]);
        Stats big = Stats.of(r.latencies()[1]);
        double ratio = big.p99() / small.p99();
        row("(a) POST p50 / p99 / max, experience with " + SMALL_MEMBERS + " members", small.triple(), "", "");
        row("(a) POST p50 / p99 / max, experience with " + fmt(bigMembers) + " members", big.triple(), "", "");
        row("(a) p99(1M members) / p99(10 members)", String.format(Locale.ROOT, "%.2f", ratio), "≤ " + TARGET_A_RATIO,
                passFail(ratio <= TARGET_A_RATIO && r.errors() == 0));
        row("(a) POST throughput (" + A_CLIENTS + " clients, both experiences)", reqPerSec(r), "", "");
        notes.add("(a) " + fmt(r.total()) + " measured POSTs (" + small.n() + " + " + big.n() + "), " + r.errors() + " errors"
                + (r.firstError() == null ? "" : " (first: " + r.firstError() + ")") + "; outbox still pending when the last POST returned: "
                + pendingAtEnd + ", drained " + millis(System.nanoTime() - drainStart) + " later.");
    }

    // ------------------------------------------------------------------ (b) POST → visible in a member's feed

    private void measureVisibility() throws Exception {
        log("(b) POST → visible in a member's feed, " + B_ROUNDS + " rounds on the " + fmt(bigMembers) + "-member experience");
        HttpRequest feed = get(base + "/api/v1/notifications?first=1", watcherToken);
        LongList samples = new LongList();
        long polls = 0;
        int timeouts = 0;
        for (int round = -B_WARMUP_ROUNDS; round < B_ROUNDS; round++) {
            String title = "Bench (b) " + tag + " #" + round;
            HttpResponse<String> sent = http.send(post(base + "/api/v1/notifications", appKey, Map.of(
                    "experience_id", expBig, "title", title, "content", "Visibility latency probe.")), HttpResponse.BodyHandlers.ofString());
            long t0 = System.nanoTime();
            if (sent.statusCode() != 200) {
                throw new IllegalStateException("POST failed: " + sent.statusCode() + " " + sent.body());
            }
            long seen = -1;
            while (System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos()) {
                HttpResponse<String> page = http.send(feed, HttpResponse.BodyHandlers.ofString());
                polls++;
                if (page.statusCode() != 200) {
                    throw new IllegalStateException("feed failed: " + page.statusCode() + " " + page.body());
                }
                JsonNode data = JSON.readTree(page.body()).get("data");
                if (data.size() > 0 && title.equals(data.get(0).get("subject").asText())) {
                    seen = System.nanoTime() - t0;
                    break;
                }
                Thread.sleep(B_POLL_MILLIS);
            }
            if (seen < 0) {
                timeouts++;
                seen = Duration.ofSeconds(30).toNanos();
            }
            if (round >= 0) {
                samples.add(seen);
            }
            Thread.sleep(50 + ThreadLocalRandom.current().nextInt(100));
        }
        Stats s = Stats.of(samples);
        row("(b) POST returned → visible in a member's feed, p50 / p99 / max (" + s.n() + " rounds)", s.triple(),
                "p99 ≤ " + fmtMs(TARGET_B_MS), passFail(s.p99() <= TARGET_B_MS && timeouts == 0));
        notes.add("(b) The member polls GET /api/v1/notifications?first=1 every " + B_POLL_MILLIS + " ms (plus the GET's own time) until the "
                + "newest item is the one just sent; " + polls + " polls in all, " + timeouts + " rounds timed out (30 s). Idle server, "
                + B_WARMUP_ROUNDS + " unrecorded warm-up rounds, 50–150 ms pause between rounds.");
    }

    // ------------------------------------------------------------------ (c) feed read under load, and the floor

    private void measureFeed() throws Exception {
        HttpRequest feed = get(base + "/api/v1/notifications?first=" + C_PAGE, readerToken);
        HttpRequest empty = HttpRequest.newBuilder(URI.create(floorBase + "/empty")).timeout(Duration.ofSeconds(60)).GET().build();

        HttpResponse<String> probe = http.send(feed, HttpResponse.BodyHandlers.ofString());
        JsonNode page = JSON.readTree(probe.body());
        if (probe.statusCode() != 200 || page.get("data").size() != C_PAGE || !page.get("page_info").get("has_next_page").asBoolean()) {
            throw new IllegalStateException("unexpected feed page: " + probe.statusCode() + " " + probe.body());
        }
        String newest = page.get("data").get(0).get("subject").asText();
        notes.add("(c) The feed page holds " + C_PAGE + " items (newest: \"" + newest + "\"), has_next_page = true; response "
                + probe.body().length() + " bytes.");

        log("(c) single client, 1000 feed requests (service time, for the diagnosis)");
        closedLoop(1, 200, Duration.ofMinutes(2), 1, k -> feed);
        LoadResult single = closedLoop(1, 1000, Duration.ofMinutes(2), 1, k -> feed);
        Stats singleStats = Stats.of(single.latencies()[0]);

        log("(c) warm-up " + C_WARMUP.toSeconds() + " s each, then " + C_DURATION.toSeconds() + " s each at " + C_CLIENTS + " clients: empty handler, Herald feed");
        closedLoop(C_CLIENTS, Long.MAX_VALUE, C_WARMUP, 1, k -> empty);
        closedLoop(C_CLIENTS, Long.MAX_VALUE, C_WARMUP, 1, k -> feed);
        Cpu cpu0 = Cpu.now();
        LoadResult floor = closedLoop(C_CLIENTS, Long.MAX_VALUE, C_DURATION, 1, k -> empty);
        Cpu cpu1 = Cpu.now();
        LoadResult herald = closedLoop(C_CLIENTS, Long.MAX_VALUE, C_DURATION, 1, k -> feed);
        Cpu cpu2 = Cpu.now();
        cpuTable = "CPU time per request during the (c) runs (JVM = benchmark clients + Herald + the floor server, from "
                + "`getProcessCpuTime`; PostgreSQL = all `postgres` processes on this machine, from /proc; machine = all cores busy share; other processes = the machine's busy time not spent by this JVM or PostgreSQL, as a share of all cores):\n\n"
                + "| Run | Requests | JVM CPU / request | PostgreSQL CPU / request | Machine busy | Other processes |\n|---|---|---|---|---|---|\n"
                + cpuRow("empty handler (floor)", floor, cpu0, cpu1) + cpuRow("Herald feed", herald, cpu1, cpu2) + "\n";
        notes.add("(c) Other processes on the machine used " + otherShare(cpu0, cpu1) + " of all cores during the floor run and "
                + otherShare(cpu1, cpu2) + " during the feed run (see the CPU table under the diagnosis).");
        Stats f = Stats.of(floor.latencies()[0]);
        Stats h = Stats.of(herald.latencies()[0]);
        row("(c) GET feed ?first=" + C_PAGE + " p50 / p99 / max (" + C_CLIENTS + " clients, " + FEED_EXPERIENCES + " experiences, "
                + fmt(FEED_NOTIFICATIONS) + " notifications)", h.triple(), "p99 ≤ " + fmtMs(TARGET_C_P99_MS),
                passFail(h.p99() <= TARGET_C_P99_MS && herald.errors() == 0));
        row("(c) GET feed throughput", reqPerSec(herald), "", "");
        row("(c) floor: empty Helidon handler p50 / p99 / max (" + C_CLIENTS + " clients)", f.triple(), "", "");
        row("(c) floor throughput", reqPerSec(floor), "", "");
        row("(c) feed p50 / floor p50; feed p99 / floor p99", String.format(Locale.ROOT, "%.1f×; %.1f×", h.p50() / f.p50(), h.p99() / f.p99()), "", "");
        row("(c) GET feed, single client p50 / p99 / max (service time)", singleStats.triple(), "", "");
        notes.add("(c) " + fmt(herald.total()) + " feed requests (" + herald.errors() + " errors"
                + (herald.firstError() == null ? "" : ", first: " + herald.firstError()) + ") and " + fmt(floor.total())
                + " floor requests (" + floor.errors() + " errors), each in " + C_DURATION.toSeconds() + " s after " + C_WARMUP.toSeconds()
                + " s of warm-up, closed loop (each client sends its next request when the previous one is answered).");
        measureFeedWhileNotified(feed);
        this.cSingle = singleStats;
        this.cLoaded = herald;
    }

    /**
     * The same read load while notifications keep arriving in the reader's experiences, so the feed
     * cache keeps being invalidated and reads keep going to PostgreSQL: the figure for a live feed
     * rather than a quiet one.
     */
    private void measureFeedWhileNotified(HttpRequest feed) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean sending = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        Thread sender = Thread.ofVirtual().start(() -> {
            int i = 0;
            while (sending.get()) {
                try {
                    http.send(post(base + "/api/v1/notifications", appKey, Map.of(
                            "experience_id", feedExperiences.get(i++ % feedExperiences.size()),
                            "title", "Live " + i, "content", "arrives during the read load")), HttpResponse.BodyHandlers.discarding());
                    sent.incrementAndGet();
                    Thread.sleep(LIVE_INTERVAL);
                } catch (Exception e) {
                    return;
                }
            }
        });
        log("(c) " + C_DURATION.toSeconds() + " s at " + C_CLIENTS + " clients while a notification arrives every "
                + LIVE_INTERVAL.toMillis() + " ms");
        LoadResult live = closedLoop(C_CLIENTS, Long.MAX_VALUE, C_DURATION, 1, k -> feed);
        sending.set(false);
        sender.join();
        Stats l = Stats.of(live.latencies()[0]);
        row("(c) GET feed p50 / p99 / max, same load while a notification arrives in the reader's experiences every "
                + LIVE_INTERVAL.toMillis() + " ms (" + fmt(sent.get()) + " sent)", l.triple(), "p99 ≤ " + fmtMs(TARGET_C_P99_MS),
                passFail(l.p99() <= TARGET_C_P99_MS && live.errors() == 0));
        row("(c) GET feed throughput while notified", reqPerSec(live), "", "");
    }

    private static final Duration LIVE_INTERVAL = Duration.ofMillis(50);

    private String cpuTable = "";

    private static String cpuRow(String name, LoadResult r, Cpu from, Cpu to) {
        double n = Math.max(1, r.total());
        String pg = to.pgNanos() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f µs", (to.pgNanos() - from.pgNanos()) / n / 1e3);
        String busy = busyShare(from, to);
        String other = otherShare(from, to);
        return String.format(Locale.ROOT, "| %s | %,d | %.0f µs | %s | %s | %s |%n", name, r.total(),
                (to.jvmNanos() - from.jvmNanos()) / n / 1e3, pg, busy, other);
    }

    /** CPU counters: this JVM, the postgres processes on this machine (-1 if none seen), and the machine as a whole (ticks). */
    record Cpu(long jvmNanos, long pgNanos, long machineBusyTicks, long machineTicks) {
        static final double TICK_NANOS = 1e9 / 100; // USER_HZ, 100 on Linux

        static Cpu now() {
            long jvm = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                    ? os.getProcessCpuTime() : -1;
            long pgTicks = 0;
            boolean seen = false;
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : (Iterable<Path>) procs::iterator) {
                    if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        String stat = Files.readString(p.resolve("stat"));
                        int open = stat.indexOf('(');
                        int close = stat.lastIndexOf(')');
                        if (!stat.substring(open + 1, close).equals("postgres")) {
                            continue;
                        }
                        String[] f = stat.substring(close + 2).split(" ");
                        pgTicks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        seen = true;
                    } catch (IOException | RuntimeException e) {
                        // the process ended meanwhile
                    }
                }
            } catch (IOException e) {
                seen = false;
            }
            long busy = 0;
            long all = 0;
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
                for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
                    long v = Long.parseLong(f[i]);
                    all += v;
                    if (i != 4 && i != 5 && i != 8) { // not idle, iowait or steal
                        busy += v;
                    }
                }
            } catch (IOException | RuntimeException e) {
                all = 0;
            }
            return new Cpu(jvm, seen ? (long) (pgTicks * TICK_NANOS) : -1, busy, all);
        }
    }

    private Stats cSingle;
    private LoadResult cLoaded;

    // ------------------------------------------------------------------ diagnosis of the feed read

    private void diagnoseFeed() throws Exception {
        log("diagnosis: the SQL of one feed request, its per-statement timings and EXPLAIN ANALYZE");
        // Whatever SQL Herald runs for GET /api/v1/notifications is captured from JDBI (statements on request threads,
        // which are virtual; the outbox workers' polling runs on platform threads), so this follows Herald's code as it changes.
        SqlCapture capture = new SqlCapture();
        jdbi.addCustomizer(capture);
        HttpRequest feed = get(base + "/api/v1/notifications?first=" + C_PAGE, readerToken);
        closedLoop(1, 100, Duration.ofMinutes(2), 1, k -> feed);
        int n = 300;
        capture.on = true;
        LoadResult single = closedLoop(1, n, Duration.ofMinutes(2), 1, k -> feed);
        capture.on = false;
        Stats http1 = Stats.of(single.latencies()[0]);

        Map<String, List<SqlCapture.Captured>> byStatement = new LinkedHashMap<>();
        for (SqlCapture.Captured c : capture.seen) {
            byStatement.computeIfAbsent(c.sql(), k -> new ArrayList<>()).add(c);
        }
        diagnosis.append("Statements run by one `GET /api/v1/notifications?first=").append(C_PAGE).append("` of the reader, captured from JDBI over ")
                .append(n).append(" single-client requests (HTTP p50 ").append(fmtMs(http1.p50())).append(", mean ").append(fmtMs(http1.mean()))
                .append("); time is from execute to its return (round trip and execution, rows fetched):\n\n")
                .append("| # | Statement | Per request | p50 | p99 | mean |\n|---|---|---|---|---|---|\n");
        int i = 0;
        double sqlMean = 0;
        for (var e : byStatement.entrySet()) {
            LongList times = new LongList();
            e.getValue().forEach(c -> times.add(c.nanos()));
            Stats s = Stats.of(times);
            double perRequest = e.getValue().size() / (double) n;
            sqlMean += s.mean() * perRequest;
            diagnosis.append("| ").append(++i).append(" | `").append(summary(e.getKey())).append("` | ")
                    .append(String.format(Locale.ROOT, "%.2f", perRequest)).append(" | ").append(fmtMs(s.p50())).append(" | ")
                    .append(fmtMs(s.p99())).append(" | ").append(fmtMs(s.mean())).append(" |\n");
        }
        diagnosis.append(String.format(Locale.ROOT, "%nSQL time per request (sum of mean × calls): %s of a mean HTTP time of %s.%n%n",
                fmtMs(sqlMean), fmtMs(http1.mean())));
        diagnosis.append(cpuTable);
        diagnosis.append(String.format(Locale.ROOT, "Under load (c): %.0f req/s × %d clients in a closed loop means each request waits about "
                        + "%d / %.0f = %.1f ms on average (Little's law), against a single-client time of %s (p50); "
                        + "the machine has %d cores shared by the benchmark clients, Herald and PostgreSQL.%n%n",
                cLoaded.throughput(), C_CLIENTS, C_CLIENTS, cLoaded.throughput(), C_CLIENTS * 1000.0 / cLoaded.throughput(),
                fmtMs(cSingle.p50()), Runtime.getRuntime().availableProcessors()));

        // EXPLAIN ANALYZE of each read statement, with the literal parameters pgjdbc rendered, on a dedicated connection.
        i = 0;
        try (Connection c = herald.database().dedicatedConnection(); java.sql.Statement st = c.createStatement()) {
            for (var e : byStatement.entrySet()) {
                i++;
                String literal = e.getValue().getLast().literal();
                String lower = literal.toLowerCase(Locale.ROOT);
                if (!(lower.startsWith("select") || lower.startsWith("with")) || lower.matches("(?s).*\\b(insert|update|delete)\\b.*")) {
                    continue;
                }
                String plan = "";
                String totals = "";
                for (int run = 0; run < 3; run++) { // the last of three, caches warm
                    plan = explain(st, "explain (analyze, buffers) " + literal);
                }
                totals = explain(st, "explain (analyze, buffers, timing off) " + literal).lines()
                        .filter(l -> l.startsWith("Planning Time") || l.startsWith("Execution Time")).reduce((a, b) -> a + "; " + b).orElse("");
                diagnosis.append("EXPLAIN (ANALYZE, BUFFERS) of statement ").append(i).append(" (with TIMING OFF: ").append(totals)
                        .append("):\n\n```sql\n").append(e.getKey().strip()).append("\n```\n\n```\n").append(plan).append("\n```\n\n");
            }
        } catch (Exception e) {
            diagnosis.append("EXPLAIN failed: ").append(e).append('\n');
        }
    }

    private static String explain(java.sql.Statement st, String sql) throws java.sql.SQLException {
        StringBuilder out = new StringBuilder();
        try (java.sql.ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.append(out.isEmpty() ? "" : "\n").append(rs.getString(1));
            }
        }
        return out.toString();
    }

    private static String summary(String sql) {
        String flat = sql.replaceAll("\\s+", " ").strip();
        return (flat.length() > 90 ? flat.substring(0, 90) + " …" : flat).replace("|", "\\|");
    }

    /** Records, while {@code on}, each statement executed on a virtual thread: parsed SQL, literal SQL (pgjdbc's rendering), duration. */
    static final class SqlCapture implements StatementCustomizer {
        record Captured(String sql, String literal, long nanos) {
        }

        volatile boolean on;
        final java.util.Queue<Captured> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final Map<StatementContext, Long> started = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

        @Override
        public void beforeExecution(PreparedStatement stmt, StatementContext ctx) {
            if (on && Thread.currentThread().isVirtual()) {
                started.put(ctx, System.nanoTime());
            }
        }

        @Override
        public void afterExecution(PreparedStatement stmt, StatementContext ctx) throws java.sql.SQLException {
            Long t0 = started.remove(ctx);
            if (t0 != null) {
                long nanos = System.nanoTime() - t0;
                String literal = stmt.isWrapperFor(PGStatement.class) ? stmt.unwrap(PGStatement.class).toString() : stmt.toString();
                seen.add(new Captured(ctx.getParsedSql().getSql(), literal, nanos));
            }
        }
    }

    // ------------------------------------------------------------------ report

    private void report() throws IOException {
        StringBuilder table = new StringBuilder("| Metric | Value | Target | Result |\n|---|---|---|---|\n");
        for (String[] r : rows) {
            table.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        System.out.println();
        System.out.println(table);
        notes.forEach(n -> System.out.println("- " + n));

        String pg = jdbi.withHandle(h -> h.createQuery("select version()").mapTo(String.class).one());
        var os = ManagementFactory.getOperatingSystemMXBean();
        long ramBytes = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : -1;
        String cpu = cpuModel();
        StringBuilder md = new StringBuilder();
        md.append("# Herald notification benchmark (`bench/notify`)\n\n")
                .append("Generated by `bench/notify/run.sh`; this file is overwritten on every run.\n\n")
                .append("- Date: ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)).append('\n')
                .append("- Command: `").append(System.getProperty("bench.command", "bench/notify/run.sh")).append("`, which runs `")
                .append(System.getProperty("bench.java", "java -Xmx4g -cp \"target/herald.jar:target/libs/*\" bench/notify/NotifyBench.java"))
                .append("`\n")
                .append("- Herald revision: `").append(System.getProperty("bench.revision", "unknown"))
                .append("` (`-dirty`: uncommitted changes were built)\n")
                .append("- JDK: ").append(System.getProperty("java.vm.vendor")).append(' ').append(System.getProperty("java.vm.name"))
                .append(' ').append(System.getProperty("java.runtime.version")).append(", max heap ")
                .append(Runtime.getRuntime().maxMemory() >> 20).append(" MiB\n")
                .append("- Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores")
                .append(cpu == null ? "" : " (" + cpu + ")")
                .append(ramBytes > 0 ? ", " + Math.round(ramBytes / (1024.0 * 1024 * 1024)) + " GiB RAM" : "")
                .append(", ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append('\n')
                .append("- Database: ").append(externalDb ? "external (HERALD_BENCH_DATABASE_URL), " : "embedded (zonky), temporary data directory, ")
                .append(pg).append('\n')
                .append("- Herald: in the benchmark's JVM, started with `Main.start(new Config(\"127.0.0.1\", port, …, \"ha_bench_admin\", 2 workers, 64 pooled connections, false))`; ")
                .append("the floor is a second Helidon WebServer in the same JVM with one handler that sends `{}`. ")
                .append("Clients: `java.net.http.HttpClient`, HTTP/1.1 keep-alive, virtual threads; latency is measured per request with `System.nanoTime()` ")
                .append("around `HttpClient.send` (nearest-rank percentiles).\n");
        if (BIG_MEMBERS != 1_000_000 || FEED_NOTIFICATIONS != 1_000_000 || A_REQUESTS != 2_000 || C_DURATION.toSeconds() != 20) {
            md.append("- **Non-default sizes (trial run, not the benchmark):** members ").append(BIG_MEMBERS).append(", notifications ")
                    .append(FEED_NOTIFICATIONS).append(", (a) requests ").append(A_REQUESTS).append(", (c) seconds ").append(C_DURATION.toSeconds()).append('\n');
        }
        md.append("\n## Results\n\n").append(table).append('\n');
        notes.forEach(n -> md.append("- ").append(n).append('\n'));
        md.append("\n## Setup\n\n| Step | Time |\n|---|---|\n");
        setupTimings.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("\n## What is measured\n\n")
                .append("- **(a)** `POST /api/v1/notifications` with an app key (`notification:create`) and `experience_id`, to an experience with ")
                .append(SMALL_MEMBERS).append(" members and to one with ").append(fmt(bigMembers)).append(", ").append(A_CLIENTS)
                .append(" concurrent clients, the two experiences alternating request by request so drift affects both alike; ")
                .append(A_WARMUP).append(" warm-up requests, then ").append(A_REQUESTS).append(" per experience. ")
                .append("Delivery (the outbox workers writing audience rows) runs concurrently, as in production.\n")
                .append("- **(b)** After a POST to the ").append(fmt(bigMembers)).append("-member experience returns, a member polls their feed ")
                .append("until the notification is the newest item.\n")
                .append("- **(c)** `GET /api/v1/notifications?first=").append(C_PAGE).append("` with the token of a user who is a member of ")
                .append(FEED_EXPERIENCES).append(" experiences that hold ").append(fmt(FEED_NOTIFICATIONS)).append(" notifications, ")
                .append(C_CLIENTS).append(" concurrent clients; the same load against the empty handler gives the floor ")
                .append("(HTTP client, server and scheduling cost on this machine).\n");
        md.append("\n## Diagnosis of the feed read\n\n").append(diagnosis);
        Path out = Path.of("bench/results/notify.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md.toString());
        System.out.println("\nWrote " + out.toAbsolutePath());
    }

    private void row(String metric, String value, String target, String result) {
        rows.add(new String[] {metric, value, target.isEmpty() ? "—" : target, result.isEmpty() ? "—" : result});
        log(metric + ": " + value + (result.isEmpty() ? "" : "  " + result));
    }

    private static String passFail(boolean pass) {
        return pass ? "PASS" : "**FAIL**";
    }

    // ------------------------------------------------------------------ load generation

    record LoadResult(LongList[] latencies, long total, long errors, String firstError, long wallNanos) {
        double throughput() {
            return total * 1e9 / wallNanos;
        }
    }

    /**
     * Runs {@code clients} virtual threads in a closed loop until {@code maxRequests} were sent or {@code maxTime}
     * passed; request k belongs to class k % classes. Only 2xx answers are counted as latencies.
     */
    private LoadResult closedLoop(int clients, long maxRequests, Duration maxTime, int classes, IntFunction<HttpRequest> request)
            throws InterruptedException {
        AtomicLong next = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        LongList[][] perThread = new LongList[clients][classes];
        Thread[] threads = new Thread[clients];
        long start = System.nanoTime();
        long deadline = start + maxTime.toNanos();
        for (int t = 0; t < clients; t++) {
            LongList[] mine = perThread[t];
            for (int c = 0; c < classes; c++) {
                mine[c] = new LongList();
            }
            threads[t] = Thread.ofVirtual().start(() -> {
                while (true) {
                    long k = next.getAndIncrement();
                    if (k >= maxRequests || System.nanoTime() >= deadline) {
                        return;
                    }
                    HttpRequest req = request.apply((int) (k % Integer.MAX_VALUE));
                    long t0 = System.nanoTime();
                    int status;
                    byte[] body;
                    try {
                        HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                        status = resp.statusCode();
                        body = resp.body();
                    } catch (IOException e) {
                        status = -1;
                        body = e.toString().getBytes(StandardCharsets.UTF_8);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long dt = System.nanoTime() - t0;
                    if (status / 100 == 2) {
                        mine[(int) (k % classes)].add(dt);
                    } else {
                        errors.incrementAndGet();
                        String text = new String(body, StandardCharsets.UTF_8);
                        firstError.compareAndSet(null, status + " " + text.substring(0, Math.min(200, text.length())));
                    }
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        long wall = System.nanoTime() - start;
        LongList[] merged = new LongList[classes];
        long total = 0;
        for (int c = 0; c < classes; c++) {
            merged[c] = new LongList();
            for (LongList[] mine : perThread) {
                merged[c].addAll(mine[c]);
            }
            total += merged[c].size();
        }
        return new LoadResult(merged, total, errors.get(), firstError.get(), wall);
    }

    private long pendingOutbox() {
        return jdbi.withHandle(h -> h.createQuery("select count(*) from outbox").mapTo(Long.class).one());
    }

    private void waitForOutbox(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (pendingOutbox() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the outbox did not drain within " + max);
            }
            Thread.sleep(20);
        }
    }

    // ------------------------------------------------------------------ HTTP helpers

    private HttpRequest post(String url, String token, Object body) {
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json(body)))
                .build();
    }

    private HttpRequest get(String url, String token) {
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .GET()
                .build();
    }

    private JsonNode admin(String path, Object body) {
        return call("POST", base + path, ADMIN_TOKEN, body, 201);
    }

    private JsonNode call(String method, String url, String token, Object body, int expect) {
        try {
            HttpResponse<String> resp = http.send(post(url, token, body), HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() != expect) {
                throw new IllegalStateException(method + " " + url + " → " + resp.statusCode() + " " + resp.body());
            }
            return JSON.readTree(resp.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String id(JsonNode node) {
        return node.get("id").asText();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ statistics and formatting

    static final class LongList {
        private long[] values = new long[1024];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        void addAll(LongList other) {
            for (int i = 0; i < other.size; i++) {
                add(other.values[i]);
            }
        }

        int size() {
            return size;
        }

        long[] sorted() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }

    /** Latency statistics in milliseconds (nearest-rank percentiles). */
    record Stats(int n, double p50, double p99, double max, double mean) {
        static Stats of(LongList list) {
            long[] s = list.sorted();
            if (s.length == 0) {
                return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            double sum = 0;
            for (long v : s) {
                sum += v;
            }
            return new Stats(s.length, rank(s, 0.50) / 1e6, rank(s, 0.99) / 1e6, s[s.length - 1] / 1e6, sum / s.length / 1e6);
        }

        private static long rank(long[] sorted, double q) {
            int i = (int) Math.ceil(q * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
        }

        String triple() {
            return fmtMs(p50) + " / " + fmtMs(p99) + " / " + fmtMs(max);
        }
    }

    static String fmtMs(double ms) {
        if (ms >= 1000) {
            return String.format(Locale.ROOT, "%.2f s", ms / 1000);
        }
        return String.format(Locale.ROOT, ms >= 100 ? "%.0f ms" : ms >= 10 ? "%.1f ms" : "%.2f ms", ms);
    }

    static String millis(long nanos) {
        return fmtMs(nanos / 1e6);
    }

    static String reqPerSec(LoadResult r) {
        return String.format(Locale.ROOT, "%,.0f req/s", r.throughput());
    }

    static String fmt(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String secondsSince(long t0) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    static void log(String message) {
        System.err.println("[bench " + java.time.LocalTime.now().withNano(0) + "] " + message);
    }

    /** The machine's busy time not spent by this JVM or the postgres processes, as a share of all cores. */
    private static String otherShare(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        if (total <= 0 || to.pgNanos() < 0 || from.pgNanos() < 0) {
            return "n/a";
        }
        double ownTicks = ((to.jvmNanos() - from.jvmNanos()) + (to.pgNanos() - from.pgNanos())) / Cpu.TICK_NANOS;
        return String.format(Locale.ROOT, "%.0f %%", Math.max(0, 100.0 * ((to.machineBusyTicks() - from.machineBusyTicks()) - ownTicks) / total));
    }

    private static String busyShare(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        return total <= 0 ? "n/a" : String.format(Locale.ROOT, "%.0f %%", 100.0 * (to.machineBusyTicks() - from.machineBusyTicks()) / total);
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(null);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    private static void configureLogging() {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        try (var in = Main.class.getResourceAsStream("/logging.properties")) {
            if (in != null) {
                java.util.logging.LogManager.getLogManager().readConfiguration(in);
            }
        } catch (IOException e) {
            log("could not read logging.properties: " + e.getMessage());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
