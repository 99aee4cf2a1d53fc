import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.Config;
import dev.herald.Main;
import dev.herald.db.Database;
import dev.herald.web.Cursor;
import dev.herald.web.Ids;
import io.helidon.webserver.WebServer;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.StatementCustomizer;
import org.postgresql.PGStatement;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The chat benchmark (bench/chat). Not a test: run it with {@code bench/chat/run.sh}.
 *
 * <p>Starts Herald in this JVM (embedded PostgreSQL in a temporary directory, or the database named by
 * {@code HERALD_BENCH_DATABASE_URL}) next to an empty Helidon handler that serves as the latency floor,
 * builds a company, an app, two experiences (their chat channels), a product and 64 member users through
 * the admin API, then measures:
 * <ol type="a">
 *   <li>POST /api/v1/messages with 64 concurrent writers, each as its own user, next to the raw PostgreSQL
 *       rate of the same single-row INSERT from 64 connections, run alternately in the same run;</li>
 *   <li>GET /api/v1/messages?first=20 on a channel holding 1,000,000 messages (bulk-loaded with set-based SQL):
 *       the newest and the oldest page and pages at random depths in both directions, one client and 16.</li>
 * </ol>
 * Prints a markdown table and writes it, with the run's context, to bench/results/chat.md.
 *
 * <p>The helpers at the end (load loops, statistics, CPU counters, SQL capture) follow bench/notify/NotifyBench.java;
 * a single-file source program cannot share classes with another, so they are repeated here. The load loops' HTTP client is
 * this benchmark's own ({@link Http}): a minimal blocking-socket client that costs far less CPU per request than the JDK's.
 */
public final class ChatBench {
    static final String ADMIN_TOKEN = "ha_bench_admin";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String RAW_APPLICATION_NAME = "herald-bench-raw";

    // Sizes and loads; the defaults are the benchmark. Overrides (-Dbench.*) are for quick trial runs only.
    static final int WRITERS = 64;
    static final int POOL = 64; // Herald's pool (Config.dbPoolSize below), and the raw writers' connection count
    static final int OUTBOX_WORKERS = 2; // Config.workers, as in bench/notify and Herald's default
    // 30 s: with 10 s, C2 was still compiling Herald's request path (JDBI, Helidon, Jackson call chains) through
    // the first measured slice, at about half of the JVM's CPU per POST on this 2-core machine.
    static final Duration A_WARMUP = Duration.ofSeconds(Integer.getInteger("bench.a.warmup", 30));
    static final Duration A_SLICE = Duration.ofSeconds(Integer.getInteger("bench.a.slice", 10)); // ×2 per side: Herald, raw, raw, Herald
    static final int MESSAGES = Integer.getInteger("bench.messages", 1_000_000);
    static final int PAGE = 20;
    static final int B_CLIENTS = 16;
    static final int B_CURSORS = 256;
    static final Duration B_WARMUP = Duration.ofSeconds(Integer.getInteger("bench.b.warmup", 3));
    static final Duration B_DURATION = Duration.ofSeconds(Integer.getInteger("bench.b.seconds", 10));
    static final Duration B_SINGLE = Duration.ofSeconds(Integer.getInteger("bench.b.single.seconds", 40));
    static final long SAMPLE_MILLIS = 50;

    static final double TARGET_A_RATIO = 0.5;
    static final double TARGET_B_P99_MS = 10;

    private final Main.Running herald;
    private final Jdbi jdbi;
    private final Database.JdbcTarget target;
    private final String base;
    private final String floorBase;
    private final boolean externalDb;
    private final String tag = Long.toString(System.currentTimeMillis(), 36);
    private final Map<String, String> setupTimings = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final StringBuilder diagnosisA = new StringBuilder();
    private final StringBuilder diagnosisB = new StringBuilder();

    // Objects built during setup.
    private String companyId;
    private String appId;
    private String writeExperience;
    private String readExperience;
    private String productId;
    private String writeChannel;
    private String readChannel;
    private final List<String> userIds = new ArrayList<>();
    private final List<String> userTokens = new ArrayList<>();
    private int rawConnections;

    ChatBench(Main.Running herald, Database.JdbcTarget target, int floorPort, boolean externalDb) {
        this.herald = herald;
        this.jdbi = herald.database().jdbi();
        this.target = target;
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
                ADMIN_TOKEN, OUTBOX_WORKERS, POOL, false, false, Config.Push.defaults("http://127.0.0.1:" + port)));
        Database.JdbcTarget target = dbUrl == null ? herald.embedded().target() : Database.JdbcTarget.parse(dbUrl);
        WebServer floor = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(r -> r.get("/empty", (req, res) -> res.send("{}"))
                        .post("/empty", (req, res) -> {
                            req.content().as(String.class); // read the body, as Herald's POST handler does
                            res.send("{}");
                        }))
                .build()
                .start();
        int status = 0;
        try {
            new ChatBench(herald, target, floor.port(), dbUrl != null).run();
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
        pgProcesses = Cpu.findPostmaster(jdbi);
        Cpu idle0 = Cpu.now();
        Thread.sleep(3000);
        Cpu idle1 = Cpu.now();
        String busyBefore = busyShare(idle0, idle1) + " busy, of which other processes " + otherShare(idle0, idle1);
        setUpDirectory();
        try {
            measureWrites();
            diagnoseWrites();
        } finally {
            closeRawPool();
        }
        bulkLoad();
        measureReads();
        diagnoseReads();
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        notes.add("Machine CPU (all cores) in 3 s before setup, Herald started and idle: " + busyBefore
                + "; other work on the machine during the runs shows in the \"other processes\" column of the CPU tables in the diagnosis.");
        notes.add("Total benchmark time (setup and measurements, after the build): " + seconds / 60 + " min " + seconds % 60 + " s.");
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
        writeExperience = id(admin("/api/v1/experiences", Map.of("app_id", appId, "company_id", companyId, "name", "Write channel")));
        readExperience = id(admin("/api/v1/experiences", Map.of("app_id", appId, "company_id", companyId, "name", "Million-message channel")));
        productId = id(admin("/api/v1/products", Map.of("company_id", companyId, "title", "Chat pass")));
        for (String exp : List.of(writeExperience, readExperience)) {
            call(base + "/api/v1/experiences/" + exp + "/attach", ADMIN_TOKEN, Map.of("product_id", productId), 200);
        }
        for (int i = 0; i < WRITERS; i++) {
            String user = id(admin("/api/v1/users", Map.of("username", "writer" + i + "_" + tag, "name", "Writer " + i)));
            admin("/api/v1/memberships", Map.of("user_id", user, "product_id", productId));
            userIds.add(user);
            userTokens.add(admin("/api/v1/users/" + user + "/tokens", Map.of()).get("token").asText());
        }
        writeChannel = channelOf(writeExperience);
        readChannel = channelOf(readExperience);
        Map<String, Object> moderation = jdbi.withHandle(h -> h.createQuery("""
                        select who_can_post, user_posts_cooldown_seconds, ban_media, ban_urls, cardinality(banned_words) as banned_words
                        from chat_channels where id = :id""").bind("id", writeChannel).mapToMap().one());
        setupTimings.put("Directory through the admin API (company, app, 2 experiences and their channels, 1 product attached to both, "
                + WRITERS + " users with a membership and a user token each)", secondsSince(t0));
        notes.add("Setup: " + WRITERS + " users, each with an active membership in the product attached to both experiences and its own user token; "
                + "the write channel's moderation is the default (" + moderation + "): no cooldown, no banned words, everyone may post.");
    }

    private String channelOf(String experienceId) {
        return jdbi.withHandle(h -> h.createQuery("select id from chat_channels where experience_id = :e")
                .bind("e", experienceId).mapTo(String.class).one());
    }

    private void timedSql(String what, Runnable sql) {
        long t0 = System.nanoTime();
        log(what + " …");
        sql.run();
        String took = secondsSince(t0);
        log(what + ": " + took);
        setupTimings.put(what, took);
    }

    // ------------------------------------------------------------------ (a) POST /api/v1/messages vs raw INSERT

    /** The statement ChatStore.insertMessage runs, with JDBC placeholders. */
    static final String RAW_INSERT = """
            insert into chat_messages (id, channel_id, user_id, content, replying_to_message_id, mentions,
                                       mentions_everyone, poll, attachments, auto_detect_links)
            values (?, ?, ?, ?, ?, ?, ?, cast(? as jsonb), cast(? as jsonb), ?)""";

    static String content(int writer, long k) {
        return "Bench message " + k + " from writer " + writer + ": how fast does a channel take posts?";
    }

    private Req postMessage(int writer, long k) {
        return post(base + "/api/v1/messages", userTokens.get(writer), Map.of("channel_id", writeChannel, "content", content(writer, k)));
    }

    private LoadResult heraldWrites(Duration time) throws InterruptedException {
        return httpLoop(WRITERS, Long.MAX_VALUE, time, this::postMessage);
    }

    private Stats aHeraldStats;
    private Stats aRawStats;
    private double aHeraldRate;
    private double aRawRate;
    private String aCpuTable;
    private String pgProcesses;
    private String aPgRoles = "";
    private String bPgRoles = "";
    private String aThreads;

    private void measureWrites() throws Exception {
        int maxConnections = jdbi.withHandle(h -> h.createQuery("select current_setting('max_connections')::int").mapTo(Integer.class).one());
        int reserved = jdbi.withHandle(h -> h.createQuery("select current_setting('superuser_reserved_connections')::int").mapTo(Integer.class).one());
        int inUse = jdbi.withHandle(h -> h.createQuery("select count(*) from pg_stat_activity where backend_type = 'client backend'")
                .mapTo(Integer.class).one());
        rawConnections = Math.min(POOL, maxConnections - reserved - inUse - 4);
        if (rawConnections < 1) {
            throw new IllegalStateException("no connections left for the raw writers: max_connections " + maxConnections + ", in use " + inUse);
        }
        log("(a) raw writers get " + rawConnections + " connections (max_connections " + maxConnections + ", " + inUse + " in use)");
        List<Connection> raw = rawPool;
        for (int i = 0; i < rawConnections; i++) {
            raw.add(rawConnection());
        }
        Req emptyPost = post(floorBase + "/empty", userTokens.getFirst(), Map.of("channel_id", writeChannel, "content", content(0, 0)));

        log("(a) warm-up " + A_WARMUP.toSeconds() + " s each: empty POST handler, Herald POST, raw INSERT (" + WRITERS + " writers)");
        check(httpLoop(WRITERS, Long.MAX_VALUE, A_WARMUP, (w, k) -> emptyPost), "floor warm-up");
        check(heraldWrites(A_WARMUP), "Herald POST warm-up");
        waitForOutbox();
        check(rawWrites(raw, A_WARMUP), "raw INSERT warm-up");

        log("(a) measured: Herald " + A_SLICE.toSeconds() + " s (and its outbox drained), raw " + A_SLICE.toSeconds() + " s, raw " + A_SLICE.toSeconds()
                + " s, Herald " + A_SLICE.toSeconds() + " s (and its outbox drained), then the empty POST handler " + 2 * A_SLICE.toSeconds() + " s");
        WaitSampler heraldWaits = new WaitSampler(false);
        WaitSampler rawWaits = new WaitSampler(true);
        Map<String, Long> th0 = JvmThreads.ticks();
        Cpu c0 = Cpu.now();
        heraldWaits.on();
        LoadResult h1 = heraldWrites(A_SLICE);
        heraldWaits.off();
        long pending1 = pendingOutbox();
        long drain1 = waitForOutbox();
        Cpu c1 = Cpu.now();
        Map<String, Long> th1 = JvmThreads.ticks();
        rawWaits.on();
        LoadResult r1 = rawWrites(raw, A_SLICE);
        LoadResult r2 = rawWrites(raw, A_SLICE);
        rawWaits.off();
        Cpu c2 = Cpu.now();
        heraldWaits.on();
        LoadResult h2 = heraldWrites(A_SLICE);
        heraldWaits.off();
        long pending2 = pendingOutbox();
        long drain2 = waitForOutbox();
        Cpu c3 = Cpu.now();
        LoadResult floor = httpLoop(WRITERS, Long.MAX_VALUE, A_SLICE.multipliedBy(2), (w, k) -> emptyPost);
        Cpu c4 = Cpu.now();
        heraldWaits.close();
        rawWaits.close();

        LoadResult herald = LoadResult.merge(h1, h2);
        LoadResult rawAll = LoadResult.merge(r1, r2);
        Stats hs = Stats.of(herald.latencies());
        Stats rs = Stats.of(rawAll.latencies());
        Stats fs = Stats.of(floor.latencies());
        double ratio = herald.throughput() / rawAll.throughput();
        double sustained = herald.total() * 1e9 / (herald.wallNanos() + drain1 + drain2);
        row("(a) POST /api/v1/messages throughput (" + WRITERS + " writers, " + 2 * A_SLICE.toSeconds() + " s)", rate(herald, "msg/s"), "", "");
        notes.add(String.format(Locale.ROOT, "(a) Each POST leaves an event in the outbox (realtime and webhook fan-out), handled by Herald's %d outbox "
                        + "workers. When a Herald slice ended, %s and %s events were still pending; they drained in %s and %s, before anything else ran "
                        + "(so the raw INSERTs never share the machine with Herald's leftover work). Counting that drain time, Herald sustained %.0f msg/s; "
                        + "its CPU per message in the diagnosis includes the drain.",
                OUTBOX_WORKERS, fmt(pending1), fmt(pending2), millis(drain1), millis(drain2), sustained));
        row("(a) POST /api/v1/messages p50 / p99 / max", hs.triple(), "", "");
        row("(a) raw PostgreSQL INSERT of the same row, throughput (" + rawConnections + " connections, autocommit, "
                + 2 * A_SLICE.toSeconds() + " s)", rate(rawAll, "rows/s"), "", "");
        row("(a) raw INSERT p50 / p99 / max", rs.triple(), "", "");
        row("(a) Herald / raw throughput", String.format(Locale.ROOT, "%.2f", ratio), "≥ " + TARGET_A_RATIO,
                passFail(ratio >= TARGET_A_RATIO && herald.errors() == 0 && rawAll.errors() == 0));
        row("(a) Herald sustained (outbox drain time included) / raw", String.format(Locale.ROOT, "%.0f msg/s; %.2f", sustained,
                sustained / rawAll.throughput()), "", "");
        row("(a) floor: empty Helidon POST handler p50 / p99 / max (" + WRITERS + " clients)", fs.triple() + "; " + rate(floor, "req/s"), "", "");
        notes.add(String.format(Locale.ROOT, "(a) Herald: %s POSTs in %.1f s (slices %s and %s), %d errors%s; raw: %s INSERTs in %.1f s (slices %s and %s), %d errors%s; "
                        + "floor: %s requests, %d errors. Run order: Herald, raw, raw, Herald (ABBA, so a linear drift affects both sides alike), "
                        + "after %d s of warm-up each; closed loop, each writer sends its next message when the previous one is answered.",
                fmt(herald.total()), herald.wallNanos() / 1e9, rate(h1, "msg/s"), rate(h2, "msg/s"), herald.errors(),
                herald.firstError() == null ? "" : " (first: " + herald.firstError() + ")",
                fmt(rawAll.total()), rawAll.wallNanos() / 1e9, rate(r1, "rows/s"), rate(r2, "rows/s"), rawAll.errors(),
                rawAll.firstError() == null ? "" : " (first: " + rawAll.firstError() + ")", fmt(floor.total()), floor.errors(),
                A_WARMUP.toSeconds()));
        notes.add("(a) Each Herald writer posts `{channel_id, content}` (" + content(63, 123456).length() + " characters, no mentions) with its own user's token "
                + "to the write channel; each raw writer is a platform thread with its own JDBC connection (application_name `" + RAW_APPLICATION_NAME
                + "`) running `ChatStore.insertMessage`'s INSERT with the same values (new `msg_…` id from `Ids.next`, channel, its user, "
                + "content, mentions '{}', attachments '[]', the rest null/false) as a single-row autocommit statement. "
                + "Both sides commit with synchronous_commit = " + setting("synchronous_commit") + ".");
        aThreads = JvmThreads.table(th0, th1, h1.total());
        aPgRoles = pgRoleTable(c0, c1, h1.total());
        aCpu = new Cpu[] {c0, c1, c2, c3};
        aRuns = new LoadResult[] {h1, rawAll, h2};
        aDrain = drain1 + drain2;
        aHeraldStats = hs;
        aRawStats = rs;
        aHeraldRate = herald.throughput();
        aRawRate = rawAll.throughput();
        aCpuTable = cpuHeader()
                + cpuRow("Herald POST /api/v1/messages, first slice and its outbox drain", h1, c0, c1)
                + cpuRow("raw INSERT, both slices", rawAll, c1, c2)
                + cpuRow("Herald POST /api/v1/messages, second slice and its outbox drain", h2, c2, c3)
                + cpuRow("empty POST handler (floor)", floor, c3, c4) + "\n";
        diagnosisA.append("PostgreSQL backends of the writers, sampled from `pg_stat_activity` every ").append(SAMPLE_MILLIS)
                .append(" ms during the measured runs (mean number of the writers' backends in each state; idle backends are not counted):\n\n")
                .append("| State | Herald POST (pool of ").append(POOL).append(") | raw INSERT (").append(rawConnections).append(" connections) |\n|---|---|---|\n")
                .append(WaitSampler.table(heraldWaits, rawWaits)).append('\n');
    }

    private final List<Connection> rawPool = new ArrayList<>();

    private void closeRawPool() {
        for (Connection c : rawPool) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
        rawPool.clear();
    }

    private Connection rawConnection() throws SQLException {
        Properties props = new Properties();
        if (target.user() != null) {
            props.setProperty("user", target.user());
        }
        if (target.password() != null) {
            props.setProperty("password", target.password());
        }
        props.setProperty("ApplicationName", RAW_APPLICATION_NAME);
        Connection c = DriverManager.getConnection(target.url(), props);
        c.setAutoCommit(true);
        return c;
    }

    /** One platform thread per connection, each inserting single rows in autocommit until the time is up. */
    private LoadResult rawWrites(List<Connection> connections, Duration time) throws InterruptedException {
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        LongList[] perThread = new LongList[connections.size()];
        Thread[] threads = new Thread[connections.size()];
        long start = System.nanoTime();
        long deadline = start + time.toNanos();
        AtomicLong serial = new AtomicLong();
        for (int t = 0; t < connections.size(); t++) {
            int writer = t % WRITERS;
            Connection c = connections.get(t);
            LongList mine = perThread[t] = new LongList();
            String user = userIds.get(writer);
            String channel = writeChannel;
            threads[t] = Thread.ofPlatform().name("raw-writer-" + t).start(() -> {
                try (PreparedStatement ps = c.prepareStatement(RAW_INSERT)) {
                    java.sql.Array noMentions = c.createArrayOf("text", new String[0]);
                    while (System.nanoTime() < deadline) {
                        long k = serial.incrementAndGet();
                        long t0 = System.nanoTime();
                        try {
                            ps.setString(1, Ids.next("msg"));
                            ps.setString(2, channel);
                            ps.setString(3, user);
                            ps.setString(4, content(writer, k));
                            ps.setNull(5, Types.VARCHAR);
                            ps.setArray(6, noMentions);
                            ps.setBoolean(7, false);
                            ps.setNull(8, Types.VARCHAR);
                            ps.setString(9, "[]");
                            ps.setBoolean(10, false);
                            ps.executeUpdate();
                            mine.add(System.nanoTime() - t0);
                        } catch (SQLException e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e.getMessage());
                        }
                    }
                } catch (SQLException e) {
                    errors.incrementAndGet();
                    firstError.compareAndSet(null, e.getMessage());
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        long wall = System.nanoTime() - start;
        LongList merged = new LongList();
        for (LongList l : perThread) {
            merged.addAll(l);
        }
        return new LoadResult(merged, merged.size(), errors.get(), firstError.get(), wall);
    }

    private long pendingOutbox() {
        return jdbi.withHandle(h -> h.createQuery("select count(*) from outbox").mapTo(Long.class).one());
    }

    /** Waits until the outbox is empty (at most 2 minutes); returns how long that took. */
    private long waitForOutbox() throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + Duration.ofMinutes(2).toNanos();
        while (pendingOutbox() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the outbox did not drain within 2 minutes");
            }
            Thread.sleep(20);
        }
        return System.nanoTime() - t0;
    }

    private void diagnoseWrites() throws Exception {
        log("diagnosis (a): the SQL of one POST /api/v1/messages, one writer and " + WRITERS + " writers");
        SqlCapture capture = new SqlCapture();
        jdbi.addCustomizer(capture);
        int n = 300;
        httpLoop(1, 100, Duration.ofMinutes(1), this::postMessage);
        waitForOutbox();
        capture.start(true);
        LoadResult single = httpLoop(1, n, Duration.ofMinutes(1), this::postMessage);
        List<SqlCapture.Captured> singleSeen = capture.stop();
        waitForOutbox();
        Duration loadedTime = Duration.ofSeconds(5);
        capture.start(false);
        LoadResult loaded = httpLoop(WRITERS, Long.MAX_VALUE, loadedTime, this::postMessage);
        long loadedDrain = waitForOutbox();
        List<SqlCapture.Captured> loadedSeen = capture.stop();
        Stats s1 = Stats.of(single.latencies());
        Stats sN = Stats.of(loaded.latencies());

        Map<String, LongList> one = byStatement(singleSeen);
        Map<String, LongList> many = byStatement(loadedSeen);
        diagnosisA.append("Statements run by one `POST /api/v1/messages`, captured from JDBI (time from execute to its return: round trip and execution) over ")
                .append(n).append(" requests from one writer (HTTP p50 ").append(fmtMs(s1.p50())).append(", mean ").append(fmtMs(s1.mean()))
                .append(", ").append(rate(single, "msg/s")).append(") and over ").append(loadedTime.toSeconds()).append(" s with ").append(WRITERS)
                .append(" writers (").append(fmt(loaded.total())).append(" requests, HTTP p50 ").append(fmtMs(sN.p50())).append(", mean ")
                .append(fmtMs(sN.mean())).append(", ").append(rate(loaded, "msg/s"))
                .append("; capturing costs a little, so these runs are not the measured ones). The transaction's COMMIT is not a JDBI statement and is not in the table:\n\n")
                .append("| # | Statement | Per request | 1 writer: p50 / mean | ").append(WRITERS).append(" writers: p50 / p99 / mean |\n|---|---|---|---|---|\n");
        int i = 0;
        double sqlOne = 0;
        double sqlMany = 0;
        for (var e : one.entrySet()) {
            Stats a = Stats.of(e.getValue());
            LongList m = many.getOrDefault(e.getKey(), new LongList());
            Stats b = Stats.of(m);
            double perRequest = e.getValue().size() / (double) n;
            sqlOne += a.mean() * perRequest;
            double perLoaded = m.size() / (double) Math.max(1, loaded.total());
            sqlMany += m.size() == 0 ? 0 : b.mean() * perLoaded;
            diagnosisA.append("| ").append(++i).append(" | `").append(summary(e.getKey())).append("` | ")
                    .append(String.format(Locale.ROOT, "%.2f", perRequest)).append(" | ").append(fmtMs(a.p50())).append(" / ").append(fmtMs(a.mean()))
                    .append(" | ").append(m.size() == 0 ? "—" : b.triple3()).append(" |\n");
        }
        diagnosisA.append(String.format(Locale.ROOT, "%nSQL time per request (sum of mean × calls): %s of a mean HTTP time of %s with one writer; "
                + "%s of %s with %d writers.%n%n", fmtMs(sqlOne), fmtMs(s1.mean()), fmtMs(sqlMany), fmtMs(sN.mean()), WRITERS));
        String background = backgroundTable(loadedSeen, loaded.total(), "POST");
        if (!background.isEmpty()) {
            diagnosisA.append("Statements Herald's background threads ran from the start of that ").append(loadedTime.toSeconds()).append(" s run with ")
                    .append(WRITERS).append(" writers until its outbox had drained (").append(millis(loadedDrain))
                    .append(" after the last POST): the work each POST leaves to the outbox (its event, realtime and webhook fan-out), per POST:\n\n")
                    .append(background);
        }
        diagnosisA.append("CPU time per request during the measured (a) runs (JVM = benchmark clients + Herald + the floor server, from "
                        + "`getProcessCpuTime`; PostgreSQL = " + pgProcesses + ", from /proc; machine = all cores busy share; "
                        + "other processes = the machine's busy time not spent by this JVM or PostgreSQL, as a share of all cores; "
                        + "run-queue wait = time the JVM's threads or the database's processes were runnable but waited for a core, from /proc/…/schedstat):\n\n")
                .append(aCpuTable)
                .append("The JVM's CPU during the first Herald slice and its outbox drain by thread (from /proc/self/task; threads grouped by name with digits replaced by N; "
                        + "Herald's request handlers are virtual threads and run on the ForkJoinPool carrier threads; the benchmark's clients are the "
                        + "`bench-client-N` threads):\n\n")
                .append(aThreads)
                .append(aPgRoles.isEmpty() ? "" : "The database's CPU in the same interval by process:\n\n" + aPgRoles);
        int cores = Runtime.getRuntime().availableProcessors();
        diagnosisA.append(cpuBudget());
        diagnosisA.append(String.format(Locale.ROOT, "Little's law: %d writers / %.0f msg/s = %.1f ms per POST on average under load (Herald) and "
                        + "%d / %.0f rows/s = %.1f ms per INSERT (raw); one writer alone takes %s (p50) per POST. The machine has %d cores "
                        + "shared by the benchmark clients, Herald and PostgreSQL.%n%n",
                WRITERS, aHeraldRate, WRITERS * 1000.0 / aHeraldRate, rawConnections, aRawRate, rawConnections * 1000.0 / aRawRate,
                fmtMs(s1.p50()), cores));
    }

    private Cpu[] aCpu;
    private long aDrain;
    private LoadResult[] aRuns;

    /**
     * What the CPU alone allows: the cores left by other processes divided by the CPU one request costs (JVM + PostgreSQL),
     * for Herald's POST and the raw INSERT, next to what was measured.
     */
    private String cpuBudget() {
        Cpu c0 = aCpu[0], c1 = aCpu[1], c2 = aCpu[2], c3 = aCpu[3];
        if (!c0.hasPg() || c0.machineTicks() <= 0) {
            return "";
        }
        int cores = Runtime.getRuntime().availableProcessors();
        long heraldN = aRuns[0].total() + aRuns[2].total();
        double heraldCpu = ((c1.jvmNanos() - c0.jvmNanos()) + (c3.jvmNanos() - c2.jvmNanos())
                + c1.pgSince(c0) + c3.pgSince(c2)) / (double) heraldN;
        double rawCpu = ((c2.jvmNanos() - c1.jvmNanos()) + c2.pgSince(c1)) / (double) aRuns[1].total();
        double heraldWall = (aRuns[0].wallNanos() + aRuns[2].wallNanos()) / 1e9;
        double rawWall = aRuns[1].wallNanos() / 1e9;
        double heraldFree = cores * Math.max(0, 1 - otherFraction(c0, c1) / 2 - otherFraction(c2, c3) / 2);
        double rawFree = cores * Math.max(0, 1 - otherFraction(c1, c2));
        double sustained = heraldN / (heraldWall + aDrain / 1e9);
        return String.format(Locale.ROOT, "CPU budget: a Herald POST cost %.0f µs of CPU (JVM + PostgreSQL, its outbox work included) per message "
                        + "and the raw INSERT %.0f µs, %.1f× as much. With the %.2f of %d cores that other processes left during the Herald slices, "
                        + "CPU alone allows %.0f msg/s (measured: %.0f msg/s sustained, outbox drains included; POSTs were accepted at %.0f msg/s); "
                        + "with the %.2f cores left during the raw slices, %.0f rows/s (measured %.0f). The CPU ratio predicts a Herald/raw "
                        + "throughput ratio of %.2f, against %.2f measured sustained and %.2f for accepted POSTs.%n%n",
                heraldCpu / 1e3, rawCpu / 1e3, heraldCpu / rawCpu, heraldFree, cores, heraldFree * 1e9 / heraldCpu, sustained, heraldN / heraldWall,
                rawFree, rawFree * 1e9 / rawCpu, aRuns[1].total() / rawWall,
                (heraldFree * 1e9 / heraldCpu) / (rawFree * 1e9 / rawCpu), sustained / aRawRate, aHeraldRate / aRawRate);
    }

    /** The database's CPU between two snapshots by process role, per request. */
    private static String pgRoleTable(Cpu from, Cpu to, long requests) {
        Map<String, Long> byRole = to.pgByRole(from);
        if (byRole.isEmpty()) {
            return "";
        }
        long all = byRole.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder t = new StringBuilder("| PostgreSQL process | Share of its CPU | CPU / request |\n|---|---|---|\n");
        byRole.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e -> t.append(
                String.format(Locale.ROOT, "| %s | %.0f %% | %.0f µs |%n", e.getKey(), 100.0 * e.getValue() / all, e.getValue() / (double) Math.max(1, requests) / 1e3)));
        return t.append('\n').toString();
    }

    private static double otherFraction(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        double ownTicks = ((to.jvmNanos() - from.jvmNanos()) + Math.max(0, to.pgSince(from))) / Cpu.TICK_NANOS;
        return total <= 0 ? 0 : Math.max(0, ((to.machineBusyTicks() - from.machineBusyTicks()) - ownTicks) / total);
    }

    /** Request-thread statements by SQL, in first-seen order. */
    private static Map<String, LongList> byStatement(List<SqlCapture.Captured> seen) {
        Map<String, LongList> out = new LinkedHashMap<>();
        for (SqlCapture.Captured c : seen) {
            if (c.thread().equals(SqlCapture.REQUEST)) {
                out.computeIfAbsent(c.sql(), k -> new LongList()).add(c.nanos());
            }
        }
        return out;
    }

    /** Statements of Herald's background threads (outbox workers, listeners) by thread group and SQL, most frequent first. */
    private static String backgroundTable(List<SqlCapture.Captured> seen, long requests, String per) {
        Map<String, LongList> out = new LinkedHashMap<>();
        for (SqlCapture.Captured c : seen) {
            if (!c.thread().equals(SqlCapture.REQUEST) && !c.thread().equals("main")) { // "main": this benchmark's own polling of the outbox
                out.computeIfAbsent(c.thread() + "\u0000" + c.sql(), k -> new LongList()).add(c.nanos());
            }
        }
        if (out.isEmpty()) {
            return "";
        }
        StringBuilder t = new StringBuilder("| Thread | Statement | Per " + per + " | p50 | mean |\n|---|---|---|---|---|\n");
        double total = 0;
        for (var e : out.entrySet().stream().sorted((x, y) -> Integer.compare(y.getValue().size(), x.getValue().size())).toList()) {
            String[] key = e.getKey().split("\u0000", 2);
            Stats st = Stats.of(e.getValue());
            double perRequest = e.getValue().size() / (double) Math.max(1, requests);
            total += st.mean() * perRequest;
            t.append("| `").append(key[0]).append("` | `").append(summary(key[1])).append("` | ")
                    .append(String.format(Locale.ROOT, "%.2f", perRequest)).append(" | ").append(fmtMs(st.p50())).append(" | ").append(fmtMs(st.mean())).append(" |\n");
        }
        return t.append(String.format(Locale.ROOT, "%nBackground SQL time per %s (sum of mean × calls): %s.%n%n", per, fmtMs(total))).toString();
    }

    // ------------------------------------------------------------------ (b) GET /api/v1/messages on a 1,000,000-message channel

    private void bulkLoad() {
        timedSql("Bulk insert of " + fmt(MESSAGES) + " messages into the read channel (INSERT … SELECT generate_series)", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into chat_messages (id, channel_id, user_id, content, mentions, attachments, created_at, updated_at)
                        select 'msg_b' || g.i, :channel, u.ids[1 + g.i % :k],
                               'Bulk message ' || g.i || ' in the million-message channel, for the page benchmark.',
                               '{}', '[]', now() - make_interval(secs => :n - g.i), now() - make_interval(secs => :n - g.i)
                        from (select cast(:ids as text[]) as ids) u, generate_series(1, :n) as g(i)""")
                .bind("channel", readChannel).bind("k", userIds.size()).bind("ids", userIds.toArray(new String[0]))
                .bind("n", MESSAGES).execute()));
        timedSql("VACUUM ANALYZE of chat_messages, chat_channels and users, CHECKPOINT", () -> jdbi.useHandle(h -> {
            h.execute("vacuum (analyze) chat_messages, chat_channels, users");
            try {
                h.execute("checkpoint");
            } catch (RuntimeException e) {
                notes.add("CHECKPOINT after the bulk load was refused (" + e.getMessage().lines().findFirst().orElse("") + ").");
            }
        }));
        long av0 = System.nanoTime();
        java.util.Set<String> autovacuumed = new java.util.TreeSet<>();
        while (System.nanoTime() - av0 < Duration.ofSeconds(60).toNanos()) {
            List<String> running = jdbi.withHandle(h -> h.createQuery(
                    "select coalesce(query, '') from pg_stat_activity where backend_type = 'autovacuum worker'").mapTo(String.class).list());
            if (running.isEmpty()) {
                break;
            }
            autovacuumed.addAll(running);
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        setupTimings.put("Waiting for autovacuum workers to finish before (b)" + (autovacuumed.isEmpty() ? " (none ran)" : ": " + String.join("; ", autovacuumed)),
                secondsSince(av0));
        long inChannel = jdbi.withHandle(h -> h.createQuery("select count(*) from chat_messages where channel_id = :c")
                .bind("c", readChannel).mapTo(Long.class).one());
        long total = jdbi.withHandle(h -> h.createQuery("select count(*) from chat_messages").mapTo(Long.class).one());
        String size = jdbi.withHandle(h -> h.createQuery("select pg_size_pretty(pg_total_relation_size('chat_messages'))").mapTo(String.class).one());
        notes.add("(b) Data set: the read channel holds " + fmt(inChannel) + " messages (ids `msg_b1` … , authors the " + userIds.size()
                + " setup users in turn); chat_messages holds " + fmt(total) + " rows in all (the rest from (a)), " + size + " with indexes.");
    }

    record Variant(String name, String query, List<String> cursors) {
        String url(String base, String channel, int i) {
            String url = base + "/api/v1/messages?channel_id=" + channel + "&first=" + PAGE + query;
            return cursors == null ? url : url + "&after=" + URLEncoder.encode(cursors.get(i % cursors.size()), StandardCharsets.UTF_8);
        }
    }

    private List<Variant> variants;
    private final Map<String, LoadResult> bSingle = new LinkedHashMap<>();
    private final Map<String, LoadResult> bLoaded = new LinkedHashMap<>();
    private String bCpuTable;
    private String bThreads;

    private void measureReads() throws Exception {
        String token = userTokens.getFirst();
        long[] range = jdbi.withHandle(h -> h.createQuery("select min(seq), max(seq) from chat_messages where channel_id = :c")
                .bind("c", readChannel).map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2)}).one());
        // Deep cursors: positions drawn uniformly over the channel (away from both ends, so each page is full), encoded with
        // Herald's own Cursor.encode; each is then exchanged for the end_cursor Herald returns for the page after it, so every
        // cursor the measured requests carry was issued by Herald.
        List<String> desc = new ArrayList<>();
        List<String> asc = new ArrayList<>();
        for (int i = 0; i < B_CURSORS; i++) {
            long seq = ThreadLocalRandom.current().nextLong(range[0] + 2L * PAGE + 1, range[1] - 2L * PAGE);
            desc.add(walk(token, "&direction=desc", Cursor.encode("msg", seq)));
            asc.add(walk(token, "&direction=asc", Cursor.encode("msg", seq)));
        }
        variants = List.of(
                new Variant("newest page (no cursor, desc)", "", null),
                new Variant("random deep page, desc (after = cursor)", "&direction=desc", desc),
                new Variant("random deep page, asc (after = cursor)", "&direction=asc", asc),
                new Variant("oldest page (no cursor, asc)", "&direction=asc", null));
        for (Variant v : variants) {
            JsonNode page = probe(token, v.url(base, readChannel, 0));
            if (v.cursors() == null) {
                notes.add("(b) " + v.name() + ": first item \"" + page.get("data").get(0).get("content").asText() + "\", has_next_page = "
                        + page.get("page_info").get("has_next_page").asBoolean() + ".");
            }
        }
        int bytes = fetch(token, variants.getFirst().url(base, readChannel, 0)).body().length;
        notes.add("(b) Deep cursors: " + B_CURSORS + " positions per direction drawn uniformly over the channel's " + fmt(range[1] - range[0] + 1)
                + " sequence numbers, encoded with Herald's `Cursor.encode`; each was exchanged for the `end_cursor` Herald returned for the page after it "
                + "(one page walked), and the measured requests cycle through those Herald-issued cursors. Every page holds " + PAGE
                + " messages (checked on every cursor); a newest page is " + fmt(bytes) + " bytes.");

        Req empty = get(floorBase + "/empty", null);
        log("(b) warm-up: 5 s over the four pages with " + B_CLIENTS + " clients");
        check(httpLoop(B_CLIENTS, Long.MAX_VALUE, Duration.ofSeconds(5),
                (c, k) -> get(variants.get((int) (k % variants.size())).url(base, readChannel, (int) (k / variants.size() % Integer.MAX_VALUE)), token)),
                "(b) warm-up");
        int classes = 1 + variants.size();
        Requests interleaved = (c, k) -> {
            int cls = (int) (k % classes);
            return cls == 0 ? empty : get(variants.get(cls - 1).url(base, readChannel, (int) (k / classes % Integer.MAX_VALUE)), token);
        };
        log("(b) single client: " + B_WARMUP.toSeconds() + " s warm-up, then " + B_SINGLE.toSeconds() + " s of the floor and the "
                + variants.size() + " pages interleaved request by request");
        check(httpLoop(1, Long.MAX_VALUE, B_WARMUP, interleaved), "warm-up");
        long[] gc0 = gc();
        Cpu s0 = Cpu.now();
        LoadResult single = httpLoop(1, Long.MAX_VALUE, B_SINGLE, classes, interleaved);
        Cpu s1 = Cpu.now();
        long[] gc1 = gc();
        LoadResult floor1 = single.ofClass(0);
        for (int i = 0; i < variants.size(); i++) {
            bSingle.put(variants.get(i).name(), single.ofClass(i + 1));
        }
        bPgRoles = pgRoleTable(s0, s1, single.total());
        String singleCpu = cpuRow("1 client: floor and the " + variants.size() + " pages interleaved (per request of the mix)", single, s0, s1);
        notes.add("(b) Single client: " + fmt(single.total()) + " requests in " + B_SINGLE.toSeconds() + " s (" + single.errors()
                + " errors), the empty handler and the " + variants.size() + " pages in turn, request by request, so that whatever else the machine "
                + "is doing hits all of them alike; the floor row is measured in the same stream. The JVM collected garbage "
                + (gc1[0] - gc0[0]) + " times in that run, " + (gc1[1] - gc0[1]) + " ms in all; other processes used " + otherShare(s0, s1)
                + " of all cores meanwhile.");
        log("(b) " + B_CLIENTS + " clients: the same");
        check(httpLoop(B_CLIENTS, Long.MAX_VALUE, B_WARMUP, (c, k) -> empty), "warm-up");
        Cpu c0 = Cpu.now();
        LoadResult floorN = httpLoop(B_CLIENTS, Long.MAX_VALUE, B_DURATION, (c, k) -> empty);
        Cpu c1 = Cpu.now();
        StringBuilder cpu = new StringBuilder(cpuHeader()).append(singleCpu)
                .append(cpuRow("empty GET handler (floor), " + B_CLIENTS + " clients", floorN, c0, c1));
        for (Variant v : variants) {
            check(httpLoop(B_CLIENTS, Long.MAX_VALUE, B_WARMUP, (c, k) -> get(v.url(base, readChannel, (int) (k % Integer.MAX_VALUE)), token)), "warm-up");
            Map<String, Long> th0 = JvmThreads.ticks();
            Cpu before = Cpu.now();
            LoadResult r = httpLoop(B_CLIENTS, Long.MAX_VALUE, B_DURATION, (c, k) -> get(v.url(base, readChannel, (int) (k % Integer.MAX_VALUE)), token));
            cpu.append(cpuRow(v.name() + ", " + B_CLIENTS + " clients", r, before, Cpu.now()));
            if (v == variants.get(1)) {
                bThreads = JvmThreads.table(th0, JvmThreads.ticks(), r.total());
            }
            bLoaded.put(v.name(), r);
        }
        bCpuTable = cpu.append('\n').toString();

        String target = "p99 ≤ " + fmtMs(TARGET_B_P99_MS);
        for (Variant v : variants) {
            LoadResult r = bSingle.get(v.name());
            Stats s = Stats.of(r.latencies());
            row("(b) GET ?first=" + PAGE + ", " + v.name() + ", 1 client: p50 / p99 / max", s.triple(), target,
                    passFail(s.p99() <= TARGET_B_P99_MS && r.errors() == 0));
        }
        row("(b) floor: empty Helidon GET handler, 1 client (same stream): p50 / p99 / max", Stats.of(floor1.latencies()).triple(), "", "");
        boolean allWithin = true;
        for (Variant v : variants) {
            LoadResult r = bLoaded.get(v.name());
            Stats s = Stats.of(r.latencies());
            allWithin &= s.p99() <= TARGET_B_P99_MS && r.errors() == 0;
            row("(b) GET ?first=" + PAGE + ", " + v.name() + ", " + B_CLIENTS + " clients: p50 / p99 / max", s.triple() + "; " + rate(r, "req/s"),
                    "(" + target + " not applied)", s.p99() <= TARGET_B_P99_MS ? "within 10 ms" : "over 10 ms");
        }
        row("(b) floor: empty Helidon GET handler, " + B_CLIENTS + " clients: p50 / p99 / max", Stats.of(floorN.latencies()).triple() + "; " + rate(floorN, "req/s"), "", "");
        long errors = 0;
        long requests = 0;
        errors += single.errors();
        requests += single.total() - floor1.total();
        for (LoadResult r : bLoaded.values()) {
            errors += r.errors();
            requests += r.total();
        }
        notes.add("(b) The target (p99 ≤ " + fmtMs(TARGET_B_P99_MS) + ") is applied to the single-client rows: one client in a closed loop measures the "
                + "service time of a page. The " + B_CLIENTS + "-client rows are the same requests from " + B_CLIENTS + " concurrent clients on this "
                + Runtime.getRuntime().availableProcessors() + "-core machine, where clients, Herald and PostgreSQL share the cores; their p99 is "
                + (allWithin ? "within" : "not within") + " 10 ms for " + (allWithin ? "every page" : "every page (see the rows)") + ".");
        notes.add("(b) " + fmt(requests) + " page requests in all (" + errors + " errors); each " + B_CLIENTS + "-client run " + B_DURATION.toSeconds()
                + " s after " + B_WARMUP.toSeconds() + " s of warm-up of the same page, closed loop; all as one member user (writer 0), whose credential Herald caches.");
    }

    private String walk(String token, String direction, String cursor) throws IOException {
        JsonNode page = probe(token, base + "/api/v1/messages?channel_id=" + readChannel + "&first=" + PAGE + direction
                + "&after=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        return page.get("page_info").get("end_cursor").asText();
    }

    /** A page that must be full and have a next page, with bulk-loaded messages. */
    private JsonNode probe(String token, String url) throws IOException {
        Resp resp = fetch(token, url);
        JsonNode page = resp.status() == 200 ? JSON.readTree(resp.body()) : null;
        if (page == null || page.get("data").size() != PAGE || !page.get("page_info").get("has_next_page").asBoolean()
                || page.get("page_info").get("end_cursor").isNull() || !page.get("data").get(0).get("id").asText().startsWith("msg_b")) {
            String text = resp.text();
            throw new IllegalStateException("unexpected page for " + url + ": " + resp.status() + " " + text.substring(0, Math.min(500, text.length())));
        }
        return page;
    }

    private static Resp fetch(String token, String url) throws IOException {
        return Http.once(get(url, token));
    }

    /** Garbage collections so far: count and milliseconds, over all collectors. */
    private static long[] gc() {
        long count = 0;
        long millis = 0;
        for (var bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, bean.getCollectionCount());
            millis += Math.max(0, bean.getCollectionTime());
        }
        return new long[] {count, millis};
    }

    private void diagnoseReads() throws Exception {
        log("diagnosis (b): the SQL of one GET /api/v1/messages, per-statement timings and EXPLAIN ANALYZE of the list query");
        String token = userTokens.getFirst();
        SqlCapture capture = new SqlCapture();
        jdbi.addCustomizer(capture);
        int n = 300;
        Variant deep = variants.get(1);
        httpLoop(1, 100, Duration.ofMinutes(1), (c, k) -> get(deep.url(base, readChannel, (int) k), token));
        capture.start(true);
        LoadResult single = httpLoop(1, n, Duration.ofMinutes(1), (c, k) -> get(deep.url(base, readChannel, (int) k), token));
        List<SqlCapture.Captured> seen = capture.stop();
        Stats http1 = Stats.of(single.latencies());
        Map<String, LongList> byStatement = byStatement(seen);
        diagnosisB.append("Statements run by one `GET /api/v1/messages?channel_id=…&first=").append(PAGE).append("&direction=desc&after=…` (")
                .append(deep.name()).append("), captured from JDBI over ").append(n).append(" single-client requests (HTTP p50 ")
                .append(fmtMs(http1.p50())).append(", mean ").append(fmtMs(http1.mean()))
                .append("); time is from execute to its return (round trip and execution, rows fetched):\n\n")
                .append("| # | Statement | Per request | p50 | p99 | mean |\n|---|---|---|---|---|---|\n");
        int i = 0;
        double sqlMean = 0;
        for (var e : byStatement.entrySet()) {
            Stats s = Stats.of(e.getValue());
            double perRequest = e.getValue().size() / (double) n;
            sqlMean += s.mean() * perRequest;
            diagnosisB.append("| ").append(++i).append(" | `").append(summary(e.getKey())).append("` | ")
                    .append(String.format(Locale.ROOT, "%.2f", perRequest)).append(" | ").append(fmtMs(s.p50())).append(" | ")
                    .append(fmtMs(s.p99())).append(" | ").append(fmtMs(s.mean())).append(" |\n");
        }
        diagnosisB.append(String.format(Locale.ROOT, "%nSQL time per request (sum of mean × calls): %s of a mean HTTP time of %s.%n%n",
                fmtMs(sqlMean), fmtMs(http1.mean())));
        diagnosisB.append("CPU time per request during the measured (b) runs (columns as in (a)):\n\n").append(bCpuTable)
                .append("The JVM's CPU during the ").append(B_CLIENTS).append("-client run of the ").append(variants.get(1).name())
                .append(" by thread (as in (a)):\n\n").append(bThreads)
                .append(bPgRoles.isEmpty() ? "" : "The database's CPU during the single-client run by process (per request of the mix):\n\n" + bPgRoles);
        for (Variant v : variants) {
            LoadResult r = bLoaded.get(v.name());
            Stats s1 = Stats.of(bSingle.get(v.name()).latencies());
            diagnosisB.append(String.format(Locale.ROOT, "- %s: %.0f req/s with %d clients in a closed loop → %d / %.0f = %.1f ms per request on average "
                            + "(Little's law), against %s (p50) with one client.%n",
                    v.name(), r.throughput(), B_CLIENTS, B_CLIENTS, r.throughput(), B_CLIENTS * 1000.0 / r.throughput(), fmtMs(s1.p50())));
        }
        diagnosisB.append('\n');

        // EXPLAIN ANALYZE of the list query for each page, with the literal parameters pgjdbc rendered for a real request.
        try (Connection c = herald.database().dedicatedConnection(); java.sql.Statement st = c.createStatement()) {
            for (Variant v : variants) {
                capture.start(true);
                fetch(token, v.url(base, readChannel, 7));
                List<SqlCapture.Captured> one = capture.stop();
                SqlCapture.Captured list = one.stream().filter(x -> x.sql().contains("from chat_messages m")
                        && x.sql().contains("order by m.seq")).findFirst().orElse(null);
                if (list == null) {
                    diagnosisB.append("(no list statement captured for ").append(v.name()).append(")\n\n");
                    continue;
                }
                String plan = "";
                for (int run = 0; run < 3; run++) { // the last of three, caches warm
                    plan = explain(st, "explain (analyze, buffers) " + list.literal());
                }
                String totals = explain(st, "explain (analyze, buffers, timing off) " + list.literal()).lines()
                        .filter(l -> l.startsWith("Planning Time") || l.startsWith("Execution Time")).reduce((a, b) -> a + "; " + b).orElse("");
                diagnosisB.append("EXPLAIN (ANALYZE, BUFFERS) of the list query, ").append(v.name()).append(" (with TIMING OFF: ").append(totals)
                        .append("):\n\n```sql\n").append(list.literal().strip()).append("\n```\n\n```\n").append(plan).append("\n```\n\n");
            }
        } catch (Exception e) {
            diagnosisB.append("EXPLAIN failed: ").append(e).append('\n');
        }
    }

    private static String explain(java.sql.Statement st, String sql) throws SQLException {
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

    private String setting(String name) {
        return jdbi.withHandle(h -> h.createQuery("select current_setting(:n)").bind("n", name).mapTo(String.class).one());
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
        md.append("# Herald chat benchmark (`bench/chat`)\n\n")
                .append("Generated by `bench/chat/run.sh`; this file is overwritten on every run.\n\n")
                .append("- Date: ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)).append('\n')
                .append("- Command: `").append(System.getProperty("bench.command", "bench/chat/run.sh")).append("`, which runs `")
                .append(System.getProperty("bench.java", "java -Xmx4g -cp \"target/herald.jar:target/libs/*\" bench/chat/ChatBench.java"))
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
                .append(pg).append("; max_connections ").append(setting("max_connections")).append(", shared_buffers ").append(setting("shared_buffers"))
                .append(", synchronous_commit ").append(setting("synchronous_commit")).append('\n')
                .append("- Herald: in the benchmark's JVM, started with `Main.start(new Config(\"127.0.0.1\", port, …, \"ha_bench_admin\", " + OUTBOX_WORKERS + " workers, ")
                .append(POOL).append(" pooled connections, …))`; ")
                .append("the floor is a second Helidon WebServer in the same JVM with one handler that sends `{}` (GET, and POST after reading the body). ")
                .append("Clients: a minimal HTTP/1.1 keep-alive client over blocking `java.net.Socket`s in the benchmark itself (one connection per client ")
                .append("and load run, TCP_NODELAY), each client a platform thread, not `java.net.http.HttpClient`: profiled on a 2-core machine, that cost ")
                .append("more CPU per request (selector thread, futures, timers) than Herald spent serving it, on the cores Herald and PostgreSQL share with the clients. ")
                .append("Latency is measured per request with `System.nanoTime()` around writing the request and reading the whole response ")
                .append("(raw INSERTs: around `executeUpdate`); nearest-rank percentiles.\n");
        if (MESSAGES != 1_000_000 || A_SLICE.toSeconds() != 10 || B_DURATION.toSeconds() != 10 || A_WARMUP.toSeconds() != 30 || B_SINGLE.toSeconds() != 40 || B_WARMUP.toSeconds() != 3) {
            md.append("- **Non-default sizes (trial run, not the benchmark):** messages ").append(MESSAGES).append(", (a) slice seconds ")
                    .append(A_SLICE.toSeconds()).append(", (a) warm-up ").append(A_WARMUP.toSeconds()).append(", (b) seconds ").append(B_DURATION.toSeconds())
                    .append(", (b) warm-up ").append(B_WARMUP.toSeconds()).append(", (b) single-client seconds ").append(B_SINGLE.toSeconds()).append('\n');
        }
        md.append("\n## Results\n\n").append(table).append('\n');
        notes.forEach(n -> md.append("- ").append(n).append('\n'));
        md.append("\n## Setup\n\n| Step | Time |\n|---|---|\n");
        setupTimings.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("\n## What is measured\n\n")
                .append("- **(a)** `POST /api/v1/messages` with `{channel_id, content}` from ").append(WRITERS)
                .append(" concurrent writers, each with its own member user's token (so no writer shares a user; slow mode and moderation are off), ")
                .append("to one experience channel, for ").append(2 * A_SLICE.toSeconds()).append(" s; next to it, in the same run and alternately ")
                .append("(never at the same time), the same row inserted by a single-row autocommit `INSERT INTO chat_messages` from ")
                .append(rawConnections).append(" JDBC connections (Herald's pool size) for the same time. The ratio of the two throughputs is the target.\n")
                .append("- **(b)** `GET /api/v1/messages?channel_id=…&first=").append(PAGE).append("` on a channel holding ").append(fmt(MESSAGES))
                .append(" messages: the newest page, pages at random depths (a Herald-issued `after` cursor) in both directions, and the oldest page; ")
                .append("one client (the service time, to which the target applies) and ").append(B_CLIENTS).append(" concurrent clients; ")
                .append("the same loads against the empty handler give the floor (HTTP client, server and scheduling cost on this machine).\n");
        md.append("\n## Diagnosis of the POST\n\n").append(diagnosisA);
        md.append("\n## Diagnosis of the page read\n\n").append(diagnosisB);
        Path out = Path.of("bench/results/chat.md");
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

    record LoadResult(LongList latencies, long total, long errors, String firstError, long wallNanos, LongList[] byClass) {
        LoadResult(LongList latencies, long total, long errors, String firstError, long wallNanos) {
            this(latencies, total, errors, firstError, wallNanos, null);
        }

        double throughput() {
            return total * 1e9 / wallNanos;
        }

        /** The requests of one class (errors are not split by class and stay with the whole run). */
        LoadResult ofClass(int c) {
            return new LoadResult(byClass[c], byClass[c].size(), 0, null, wallNanos);
        }

        static LoadResult merge(LoadResult a, LoadResult b) {
            LongList all = new LongList();
            all.addAll(a.latencies());
            all.addAll(b.latencies());
            return new LoadResult(all, a.total() + b.total(), a.errors() + b.errors(),
                    a.firstError() != null ? a.firstError() : b.firstError(), a.wallNanos() + b.wallNanos());
        }
    }

    interface Requests {
        Req make(int client, long k) throws Exception;
    }

    private static LoadResult check(LoadResult r, String what) {
        if (r.errors() > 0) {
            log(what + ": " + r.errors() + " errors, first: " + r.firstError());
        }
        return r;
    }

    /**
     * Runs {@code clients} threads in a closed loop until {@code maxRequests} were sent or {@code maxTime} passed; client c
     * sends requests made for c, on its own connection. Only 2xx answers are counted as latencies.
     *
     * <p>The clients are platform threads blocking in the kernel, like an outside load generator's, not virtual threads. With
     * virtual clients, JDK 25's virtual-thread pollers wake clients and Herald's handlers alike onto the carriers' local queues,
     * which under load then never empty, and a virtual thread submitted from outside the pool (the handler Helidon starts for a
     * new connection) waited, in trials, for seconds until the load ended; with platform clients that was rarer, and the CPU per
     * request lower.
     */
    private LoadResult httpLoop(int clients, long maxRequests, Duration maxTime, Requests request) throws InterruptedException {
        return httpLoop(clients, maxRequests, maxTime, 1, request);
    }

    /** As above, with request k in class k % classes; the result keeps each class's latencies apart too. */
    private LoadResult httpLoop(int clients, long maxRequests, Duration maxTime, int classes, Requests request) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        LongList[][] perThread = new LongList[clients][classes];
        Thread[] threads = new Thread[clients];
        long start = System.nanoTime();
        long deadline = start + maxTime.toNanos();
        for (int t = 0; t < clients; t++) {
            int client = t;
            LongList[] mine = perThread[t];
            for (int c = 0; c < classes; c++) {
                mine[c] = new LongList();
            }
            threads[t] = Thread.ofPlatform().name("bench-client-" + t).daemon().start(() -> {
                try (Http http = new Http()) { // this client's connections, closed when the loop ends
                    while (true) {
                        long k = next.getAndIncrement();
                        if (k >= maxRequests || System.nanoTime() >= deadline) {
                            return;
                        }
                        Req req;
                        try {
                            req = request.make(client, k);
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e.toString());
                            continue;
                        }
                        long t0 = System.nanoTime();
                        int status;
                        byte[] body;
                        try {
                            Resp resp = http.send(req);
                            status = resp.status();
                            body = resp.body();
                        } catch (IOException e) {
                            status = -1;
                            body = e.toString().getBytes(StandardCharsets.UTF_8);
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
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        long wall = System.nanoTime() - start;
        LongList merged = new LongList();
        LongList[] byClass = new LongList[classes];
        for (int c = 0; c < classes; c++) {
            byClass[c] = new LongList();
            for (LongList[] mine : perThread) {
                byClass[c].addAll(mine[c]);
            }
            merged.addAll(byClass[c]);
        }
        return new LoadResult(merged, merged.size(), errors.get(), firstError.get(), wall, byClass);
    }

    /**
     * Samples pg_stat_activity every {@link #SAMPLE_MILLIS} ms while on, on its own platform thread and connection: the state
     * (and wait event) of each non-idle client backend, either the raw writers' (application_name) or all the others (Herald's).
     */
    final class WaitSampler implements AutoCloseable {
        private final boolean raw;
        private final Map<String, Long> counts = new TreeMap<>();
        private long samples;
        private volatile boolean on;
        private volatile boolean closed;
        private final Thread thread;

        WaitSampler(boolean raw) throws SQLException {
            this.raw = raw;
            Connection c = herald.database().dedicatedConnection();
            this.thread = Thread.ofPlatform().daemon().name("wait-sampler").start(() -> {
                try (c; PreparedStatement ps = c.prepareStatement("""
                        select case when state = 'active' and wait_event is null then 'active, running (on CPU or runnable)'
                                    when state = 'active' then 'active, waiting on ' || wait_event_type || ':' || wait_event
                                    when state = 'idle in transaction' then 'idle in transaction (the JVM has yet to send the next statement)'
                                    else state end
                        from pg_stat_activity
                        where backend_type = 'client backend' and pid <> pg_backend_pid() and state is not null and state <> 'idle'
                          and (application_name = ?) = ?""")) {
                    ps.setString(1, RAW_APPLICATION_NAME);
                    ps.setBoolean(2, raw);
                    while (!closed) {
                        if (on) {
                            Map<String, Long> one = new TreeMap<>();
                            try (java.sql.ResultSet rs = ps.executeQuery()) {
                                while (rs.next()) {
                                    one.merge(rs.getString(1), 1L, Long::sum);
                                }
                            }
                            synchronized (this) {
                                samples++;
                                one.forEach((k, v) -> counts.merge(k, v, Long::sum));
                            }
                        }
                        Thread.sleep(SAMPLE_MILLIS);
                    }
                } catch (SQLException | InterruptedException e) {
                    log("wait sampler stopped: " + e);
                }
            });
        }

        void on() {
            on = true;
        }

        void off() {
            on = false;
        }

        synchronized Map<String, Double> means() {
            Map<String, Double> out = new TreeMap<>();
            counts.forEach((k, v) -> out.put(k, samples == 0 ? 0 : v / (double) samples));
            return out;
        }

        synchronized long samples() {
            return samples;
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            thread.join();
        }

        static String table(WaitSampler herald, WaitSampler raw) {
            Map<String, Double> h = herald.means();
            Map<String, Double> r = raw.means();
            java.util.Set<String> keys = new java.util.TreeSet<>(h.keySet());
            keys.addAll(r.keySet());
            StringBuilder out = new StringBuilder();
            double ht = 0;
            double rt = 0;
            for (String k : keys) {
                double hv = h.getOrDefault(k, 0.0);
                double rv = r.getOrDefault(k, 0.0);
                ht += hv;
                rt += rv;
                out.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f |%n", k, hv, rv));
            }
            out.append(String.format(Locale.ROOT, "| **all non-idle** (samples: %d Herald, %d raw) | %.1f | %.1f |%n", herald.samples(), raw.samples(), ht, rt));
            return out.toString();
        }
    }

    // ------------------------------------------------------------------ HTTP helpers

    private static Req post(String url, String token, Object body) {
        return new Req("POST", URI.create(url), token, json(body).getBytes(StandardCharsets.UTF_8));
    }

    private static Req get(String url, String token) {
        return new Req("GET", URI.create(url), token, null);
    }

    private JsonNode admin(String path, Object body) {
        return call(base + path, ADMIN_TOKEN, body, 201);
    }

    private JsonNode call(String url, String token, Object body, int expect) {
        try {
            Resp resp = Http.once(post(url, token, body));
            if (resp.status() != expect) {
                throw new IllegalStateException("POST " + url + " → " + resp.status() + " " + resp.text());
            }
            return JSON.readTree(resp.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    /** An HTTP request: {@code token} null for no Authorization header; {@code body} (JSON) null for none, as for a GET. */
    record Req(String method, URI uri, String token, byte[] body) {
    }

    /** An HTTP response: its status and whole body. */
    record Resp(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * A minimal HTTP/1.1 keep-alive client over blocking sockets, for one thread: one connection per host:port, opened on first
     * use and again after the server closed it or it failed. The load generator runs on the cores Herald and PostgreSQL use, and
     * profiling on a 2-core machine showed {@code java.net.http.HttpClient} costing 0.5–1 ms of CPU per request (selector thread,
     * CompletableFutures, timers), more than Herald spent serving it; this one writes the request and reads the response and does
     * little else, as wrk would. No retries: a request that fails on the socket is the caller's error, and the next one reconnects.
     */
    static final class Http implements AutoCloseable {
        private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
        private static final int READ_TIMEOUT_MILLIS = 60_000; // a server that stops answering fails the request, not the run
        private static final int MAX_LINE = 64 * 1024;

        private final Map<String, HttpConnection> open = new HashMap<>(); // by the URI's authority (host:port)

        /** One request on a connection of its own: for the setup and verification calls outside the load loops. */
        static Resp once(Req req) throws IOException {
            try (Http http = new Http()) {
                return http.send(req);
            }
        }

        Resp send(Req req) throws IOException {
            String authority = req.uri().getRawAuthority();
            HttpConnection c = open.get(authority);
            if (c == null) {
                c = new HttpConnection(req.uri());
                open.put(authority, c);
            }
            try {
                Resp resp = c.exchange(req);
                if (!c.keepAlive) {
                    open.remove(authority);
                    c.close();
                }
                return resp;
            } catch (IOException e) {
                open.remove(authority);
                c.close();
                throw e;
            }
        }

        @Override
        public void close() {
            open.values().forEach(HttpConnection::close);
            open.clear();
        }

        private static final class HttpConnection {
            private final Socket socket;
            private final BufferedInputStream in;
            private final BufferedOutputStream out;
            private final String host; // the Host header
            private final StringBuilder line = new StringBuilder();
            boolean keepAlive; // after the last exchange: may the connection take another request?

            HttpConnection(URI uri) throws IOException {
                if (!"http".equals(uri.getScheme())) {
                    throw new IOException("not an http URI: " + uri);
                }
                host = uri.getRawAuthority();
                socket = new Socket();
                try {
                    socket.setTcpNoDelay(true); // each request is one write, sent at once rather than held back for an ACK (as wrk does)
                    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort()), CONNECT_TIMEOUT_MILLIS);
                    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
                    in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
                    out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
                } catch (IOException e) {
                    close();
                    throw e;
                }
            }

            Resp exchange(Req req) throws IOException {
                keepAlive = false;
                URI uri = req.uri();
                String path = uri.getRawPath();
                StringBuilder head = new StringBuilder(256).append(req.method()).append(' ').append(path == null || path.isEmpty() ? "/" : path);
                if (uri.getRawQuery() != null) {
                    head.append('?').append(uri.getRawQuery());
                }
                head.append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
                if (req.token() != null) {
                    head.append("Authorization: Bearer ").append(req.token()).append("\r\n");
                }
                if (req.body() != null) {
                    head.append("Content-Type: application/json\r\nContent-Length: ").append(req.body().length).append("\r\n");
                }
                out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1)); // a raw URI and a token are ASCII
                if (req.body() != null) {
                    out.write(req.body());
                }
                out.flush();
                return readResponse();
            }

            private Resp readResponse() throws IOException {
                String statusLine = readLine();
                if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                    throw new IOException("malformed status line: " + statusLine);
                }
                int status = (int) number(statusLine.substring(9, 12), 10, statusLine);
                if (status / 100 == 1) { // never asked for (no Expect, no Upgrade); its final response would follow
                    throw new IOException("unexpected interim response: " + statusLine);
                }
                boolean close = statusLine.startsWith("HTTP/1.0"); // HTTP/1.0 keeps the connection only if it says so
                long length = -1;
                boolean chunked = false;
                for (String h = readLine(); !h.isEmpty(); h = readLine()) {
                    int colon = h.indexOf(':');
                    if (colon <= 0) {
                        throw new IOException("malformed header: " + h);
                    }
                    String name = h.substring(0, colon).trim();
                    String value = h.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                    if (name.equalsIgnoreCase("Content-Length")) {
                        length = number(value, 10, h);
                    } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                        chunked = value.endsWith("chunked");
                    } else if (name.equalsIgnoreCase("Connection")) {
                        close = value.contains("close") || close && !value.contains("keep-alive");
                    }
                }
                byte[] body;
                if (status == 204 || status == 304) {
                    body = new byte[0];
                } else if (chunked) {
                    body = readChunked();
                } else if (length >= 0) {
                    body = readExactly(length);
                } else { // no framing: the body ends with the connection
                    body = in.readAllBytes();
                    close = true;
                }
                keepAlive = !close;
                return new Resp(status, body);
            }

            private byte[] readChunked() throws IOException {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                while (true) {
                    String size = readLine();
                    int semicolon = size.indexOf(';'); // chunk extensions: ignored
                    long n = number((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16, size);
                    if (n == 0) {
                        break;
                    }
                    body.write(readExactly(n));
                    if (!readLine().isEmpty()) {
                        throw new IOException("malformed chunked body");
                    }
                }
                for (String trailer = readLine(); !trailer.isEmpty(); trailer = readLine()) {
                    // trailer fields: ignored
                }
                return body.toByteArray();
            }

            private byte[] readExactly(long n) throws IOException {
                if (n > Integer.MAX_VALUE - 8) {
                    throw new IOException("body too large: " + n + " bytes");
                }
                byte[] b = in.readNBytes((int) n);
                if (b.length < n) {
                    throw new EOFException("connection closed after " + b.length + " of " + n + " body bytes");
                }
                return b;
            }

            /** A header line without its CRLF (or bare LF), as ISO-8859-1. */
            private String readLine() throws IOException {
                line.setLength(0);
                for (int b = in.read(); b != '\n'; b = in.read()) {
                    if (b < 0) {
                        throw new EOFException("connection closed by the server" + (line.isEmpty() ? "" : " in a header line"));
                    }
                    if (line.length() == MAX_LINE) {
                        throw new IOException("header line longer than " + MAX_LINE + " bytes");
                    }
                    line.append((char) b);
                }
                int n = line.length();
                if (n > 0 && line.charAt(n - 1) == '\r') {
                    line.setLength(n - 1);
                }
                return line.toString();
            }

            private static long number(String s, int radix, String context) throws IOException {
                try {
                    long n = Long.parseLong(s, radix);
                    if (n >= 0) {
                        return n;
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new IOException("malformed response line: " + context);
            }

            void close() {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }

    // ------------------------------------------------------------------ CPU

    /** CPU ticks of this JVM's threads from /proc/self/task, summed by thread name with digits replaced by N. */
    static final class JvmThreads {
        static Map<String, Long> ticks() {
            Map<String, Long> out = new TreeMap<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path p : (Iterable<Path>) tasks::iterator) {
                    try {
                        String stat = Files.readString(p.resolve("stat"));
                        int open = stat.indexOf('(');
                        int close = stat.lastIndexOf(')');
                        String name = stat.substring(open + 1, close).replaceAll("\\d+", "N");
                        String[] f = stat.substring(close + 2).split(" ");
                        out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                    } catch (IOException | RuntimeException e) {
                        // the thread ended meanwhile
                    }
                }
            } catch (IOException e) {
                // no /proc: an empty table
            }
            return out;
        }

        /** The groups that used at least 2 % of the JVM's CPU between the two snapshots, per request. */
        static String table(Map<String, Long> from, Map<String, Long> to, long requests) {
            Map<String, Long> diff = new TreeMap<>();
            long all = 0;
            for (var e : to.entrySet()) {
                long d = e.getValue() - from.getOrDefault(e.getKey(), 0L);
                if (d > 0) {
                    diff.put(e.getKey(), d);
                    all += d;
                }
            }
            if (all == 0) {
                return "(no per-thread CPU available)\n\n";
            }
            StringBuilder out = new StringBuilder("| Threads | Share of JVM CPU | CPU / request |\n|---|---|---|\n");
            long shown = 0;
            for (var e : diff.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).toList()) {
                if (e.getValue() * 50 < all) {
                    continue;
                }
                shown += e.getValue();
                out.append(String.format(Locale.ROOT, "| `%s` | %.0f %% | %.0f µs |%n", e.getKey(), 100.0 * e.getValue() / all,
                        e.getValue() * Cpu.TICK_NANOS / Math.max(1, requests) / 1e3));
            }
            out.append(String.format(Locale.ROOT, "| (others, each < 2 %%) | %.0f %% | %.0f µs |%n", 100.0 * (all - shown) / all,
                    (all - shown) * Cpu.TICK_NANOS / Math.max(1, requests) / 1e3));
            return out.append('\n').toString();
        }
    }

    private static String cpuHeader() {
        return "| Run | Requests | JVM CPU / request | PostgreSQL CPU / request | JVM run-queue wait / request | PostgreSQL run-queue wait / request "
                + "| Machine busy | Other processes |\n|---|---|---|---|---|---|---|---|\n";
    }

    private static String cpuRow(String name, LoadResult r, Cpu from, Cpu to) {
        double n = Math.max(1, r.total());
        long pgCpu = to.pgSince(from);
        long pgWaited = to.pgWaitSince(from);
        long jvmWaited = to.jvmWaitSince(from);
        String pg = pgCpu < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f µs", pgCpu / n / 1e3);
        String jvmWait = jvmWaited < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f µs", jvmWaited / n / 1e3);
        String pgWait = pgWaited < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f µs", pgWaited / n / 1e3);
        return String.format(Locale.ROOT, "| %s | %s | %.0f µs | %s | %s | %s | %s | %s |%n", name, fmt(r.total()),
                (to.jvmNanos() - from.jvmNanos()) / n / 1e3, pg, jvmWait, pgWait, busyShare(from, to), otherShare(from, to));
    }

    /**
     * CPU counters: this JVM's CPU time; per postgres process its CPU ticks and run-queue wait (null if none seen); the machine
     * as a whole (ticks); per JVM thread its run-queue wait. Differences are taken per process and per thread, over those alive
     * at the later snapshot, so a process or thread that ended in between drops out instead of making the sum go backwards.
     */
    record Cpu(long jvmNanos, Map<Integer, long[]> pg, long machineBusyTicks, long machineTicks, Map<Integer, Long> jvmTasks) {
        static final double TICK_NANOS = 1e9 / 100; // USER_HZ, 100 on Linux

        /** The postmaster of Herald's database when it runs on this machine (its processes are it and its children), else -1. */
        static volatile int postmaster = -1;

        /** Finds the postmaster from a backend's parent pid; leaves it -1 for a database on another machine. */
        static String findPostmaster(Jdbi jdbi) {
            int backend = jdbi.withHandle(h -> h.createQuery("select pg_backend_pid()").mapTo(Integer.class).one());
            try {
                String stat = Files.readString(Path.of("/proc/" + backend + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                postmaster = Integer.parseInt(f[1]);
                return "the postmaster (pid " + postmaster + ") of Herald's database and its children";
            } catch (IOException | RuntimeException e) {
                postmaster = -1;
                return "n/a (the database's processes are not on this machine)";
            }
        }

        /** A postgres process's role from its command line ("checkpointer", "autovacuum worker", …; "client backends"). */
        static String role(int pid) {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').trim();
                if (pid == postmaster) {
                    return "postmaster";
                }
                if (!cmd.startsWith("postgres: ")) {
                    return "other";
                }
                String rest = cmd.substring("postgres: ".length());
                return rest.matches("\\S+ \\S+ \\S+\\(\\d+\\).*") || rest.matches("\\S+ \\S+ \\[local\\].*") ? "client backends"
                        : rest.replaceAll("\\s+\\S*\\d\\S*.*$", "").strip();
            } catch (IOException | RuntimeException e) {
                return "(ended)";
            }
        }

        /** CPU nanoseconds of the database's processes since {@code from}, by role. */
        Map<String, Long> pgByRole(Cpu from) {
            Map<String, Long> out = new TreeMap<>();
            if (pg == null || from.pg == null) {
                return out;
            }
            for (var e : pg.entrySet()) {
                long[] before = from.pg.get(e.getKey());
                long d = e.getValue()[0] - (before == null ? 0 : before[0]);
                if (d > 0) {
                    out.merge(role(e.getKey()), (long) (d * TICK_NANOS), Long::sum);
                }
            }
            return out;
        }

        boolean hasPg() {
            return pg != null;
        }

        /** CPU nanoseconds of the postgres processes since {@code from}, or -1 if unknown. */
        long pgSince(Cpu from) {
            if (pg == null || from.pg == null) {
                return -1;
            }
            long ticks = 0;
            for (var e : pg.entrySet()) {
                long[] before = from.pg.get(e.getKey());
                ticks += e.getValue()[0] - (before == null ? 0 : before[0]);
            }
            return (long) (ticks * TICK_NANOS);
        }

        /** Run-queue wait of the postgres processes since {@code from}, or -1 if unknown. */
        long pgWaitSince(Cpu from) {
            if (pg == null || from.pg == null) {
                return -1;
            }
            long wait = 0;
            for (var e : pg.entrySet()) {
                long[] before = from.pg.get(e.getKey());
                wait += e.getValue()[1] - (before == null ? 0 : before[1]);
            }
            return wait;
        }

        /** Run-queue wait of this JVM's threads since {@code from}, or -1 if unknown. */
        long jvmWaitSince(Cpu from) {
            if (jvmTasks == null || from.jvmTasks == null) {
                return -1;
            }
            long wait = 0;
            for (var e : jvmTasks.entrySet()) {
                wait += e.getValue() - from.jvmTasks.getOrDefault(e.getKey(), 0L);
            }
            return wait;
        }

        static Cpu now() {
            long jvm = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                    ? os.getProcessCpuTime() : -1;
            Map<Integer, long[]> pg = new java.util.HashMap<>();
            int master = postmaster;
            try (Stream<Path> procs = master < 0 ? Stream.empty() : Files.list(Path.of("/proc"))) {
                for (Path p : (Iterable<Path>) procs::iterator) {
                    if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        String stat = Files.readString(p.resolve("stat"));
                        int open = stat.indexOf('(');
                        int close = stat.lastIndexOf(')');
                        String[] f = stat.substring(close + 2).split(" ");
                        int pid = Integer.parseInt(p.getFileName().toString());
                        if (pid != master && Integer.parseInt(f[1]) != master) {
                            continue;
                        }
                        pg.put(Integer.parseInt(p.getFileName().toString()),
                                new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), runDelay(p.resolve("schedstat"))});
                    } catch (IOException | RuntimeException e) {
                        // the process ended meanwhile
                    }
                }
            } catch (IOException e) {
                pg.clear();
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
            Map<Integer, Long> tasks = new java.util.HashMap<>();
            try (Stream<Path> list = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : (Iterable<Path>) list::iterator) {
                    tasks.put(Integer.parseInt(t.getFileName().toString()), runDelay(t.resolve("schedstat")));
                }
            } catch (IOException | RuntimeException e) {
                tasks = null;
            }
            return new Cpu(jvm, pg.isEmpty() ? null : pg, busy, all, tasks);
        }

        /** Nanoseconds spent runnable but waiting for a core (the second field of /proc/…/schedstat), 0 if gone. */
        static long runDelay(Path schedstat) {
            try {
                return Long.parseLong(Files.readString(schedstat).trim().split("\\s+")[1]);
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
    }

    /** The machine's busy time not spent by this JVM or the postgres processes, as a share of all cores. */
    private static String otherShare(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        if (total <= 0 || to.pgSince(from) < 0) {
            return "n/a";
        }
        double ownTicks = ((to.jvmNanos() - from.jvmNanos()) + to.pgSince(from)) / Cpu.TICK_NANOS;
        return String.format(Locale.ROOT, "%.0f %%", Math.max(0, 100.0 * ((to.machineBusyTicks() - from.machineBusyTicks()) - ownTicks) / total));
    }

    private static String busyShare(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        return total <= 0 ? "n/a" : String.format(Locale.ROOT, "%.0f %%", 100.0 * (to.machineBusyTicks() - from.machineBusyTicks()) / total);
    }

    // ------------------------------------------------------------------ SQL capture

    /**
     * Records, between start and stop, each statement Herald executes through JDBI: parsed SQL, optionally the literal SQL
     * (pgjdbc's rendering), duration, and the thread: "request" for virtual threads (Herald's request handlers), else the
     * platform thread's name with digits replaced by N (the outbox workers, listeners; this benchmark's own statements run on
     * "main").
     */
    static final class SqlCapture implements StatementCustomizer {
        static final String REQUEST = "request";

        record Captured(String sql, String literal, long nanos, String thread) {
        }

        private volatile boolean on;
        private volatile boolean literals;
        private java.util.Queue<Captured> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final Map<StatementContext, Long> started = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

        void start(boolean withLiterals) {
            seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
            literals = withLiterals;
            on = true;
        }

        List<Captured> stop() {
            on = false;
            return new ArrayList<>(seen);
        }

        @Override
        public void beforeExecution(PreparedStatement stmt, StatementContext ctx) {
            if (on) {
                started.put(ctx, System.nanoTime());
            }
        }

        @Override
        public void afterExecution(PreparedStatement stmt, StatementContext ctx) throws SQLException {
            Long t0 = started.remove(ctx);
            if (t0 != null) {
                long nanos = System.nanoTime() - t0;
                String literal = !literals ? null
                        : stmt.isWrapperFor(PGStatement.class) ? stmt.unwrap(PGStatement.class).toString() : stmt.toString();
                Thread t = Thread.currentThread();
                seen.add(new Captured(ctx.getParsedSql().getSql(), literal, nanos, t.isVirtual() ? REQUEST : t.getName().replaceAll("\\d+", "N")));
            }
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

        String triple3() {
            return fmtMs(p50) + " / " + fmtMs(p99) + " / " + fmtMs(mean);
        }
    }

    static String fmtMs(double ms) {
        if (Double.isNaN(ms)) {
            return "n/a";
        }
        if (ms >= 1000) {
            return String.format(Locale.ROOT, "%.2f s", ms / 1000);
        }
        return String.format(Locale.ROOT, ms >= 100 ? "%.0f ms" : ms >= 10 ? "%.1f ms" : "%.2f ms", ms);
    }

    static String millis(long nanos) {
        return fmtMs(nanos / 1e6);
    }

    static String rate(LoadResult r, String unit) {
        return String.format(Locale.ROOT, "%,.0f %s", r.throughput(), unit);
    }

    static String fmt(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String secondsSince(long t0) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    static void log(String message) {
        System.err.println("[bench " + java.time.LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + message);
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
