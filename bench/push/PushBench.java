import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.Config;
import dev.herald.Main;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.StatementCustomizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The push benchmark (bench/push). Not a test: run it with {@code bench/push/run.sh}.
 *
 * <p>Starts fake APNs, FCM (OAuth token endpoint and messages:send) and Web Push services, real HTTP/2-over-TLS
 * servers on 127.0.0.1 that answer success at once, in a second JVM (this same file run with the argument
 * {@code fakes}), so their CPU is counted apart from Herald's. Starts Herald in this JVM (embedded PostgreSQL in a
 * temporary directory, or the database named by {@code HERALD_BENCH_DATABASE_URL}) with its push settings pointing at
 * the fakes, builds the directory through the admin API and 110,000 users, their devices and their memberships with
 * set-based SQL, then measures:
 * <ol>
 *   <li>the end-to-end push rate, from {@code POST /api/v1/notifications} to the last push recorded (the job done, every
 *       device sent), for 100,000 APNs + FCM devices in one experience (twice), 10,000 Web Push devices, and 100,000 mixed
 *       devices; with the CPU each part used (this JVM, PostgreSQL, the fakes) per push, where the pusher thread spent its
 *       time, and the CPU by thread; then a 1,000-device job right after the others and after 35 s without pushes (1d),
 *       counting the TLS connections the fakes accept;</li>
 *   <li>the heap growth from a 1,000-device job to a 100,000-device job: the largest used heap after a full GC, forced
 *       10 ms into a batch of the pusher's, over many batches of each job size.</li>
 * </ol>
 * Prints a markdown table and writes it, with the run's context, to bench/results/push.md.
 *
 * <p>The helpers at the end (CPU counters, statistics, formatting) follow bench/chat/ChatBench.java; a single-file
 * source program cannot share classes with another, so they are repeated here.
 */
public final class PushBench {
    static final String ADMIN_TOKEN = "ha_bench_admin";
    static final ObjectMapper JSON = new ObjectMapper();

    // Sizes; the defaults are the benchmark. Overrides (-Dbench.*) are for quick trial runs only.
    static final int BIG = Integer.getInteger("bench.devices", 100_000); // mobile devices, half APNs, half FCM
    static final int WEB = Integer.getInteger("bench.web", 10_000); // Web Push devices
    static final int SMALL = 1_000;
    // The warm-up: on 2 busy cores the JIT is still compiling the push path (HTTP/2, TLS, JSON, JDBC) after ~100,000 pushes,
    // so the warm job repeats until the JIT compiler threads take less than WARM_JIT_SHARE of the JVM's CPU in one.
    static final int WARM_MOBILE = Math.min(BIG, 50_000);
    static final int WARM_WEB = Math.min(WEB, 2_000);
    static final double WARM_JIT_SHARE = 0.05;
    static final int WARM_MAX_ROUNDS = 8;
    static final int RATE_REPEATS = Integer.getInteger("bench.repeats", 2);
    static final int HEAP_SMALL_AFTER = 5; // 1,000-device jobs after the 100,000-device one (the leak check)
    static final long GC_GAP_MILLIS = 150; // the heap sampler's pause between two forced full GCs
    static final Duration HEAP_SMALL_MAX = Duration.ofSeconds(45); // small jobs until as many samples as the big job will give, up to this
    static final long POLL_MILLIS = 5;
    static final boolean WAIT_FOR_OTHERS = !Boolean.getBoolean("bench.noWait");
    static final Duration OTHERS_MAX_WAIT = Duration.ofMinutes(30);
    static final Duration JOB_TIMEOUT = Duration.ofMinutes(4);
    static final String OTHER_BENCHMARKS = "ChatBench|NotifyBench";
    // Full thread dumps with the virtual threads during the rate jobs (HotSpotDiagnosticMXBean.dumpThreads). Off by default:
    // on Temurin 25.0.3 one such dump crashed the JVM (SIGSEGV in GetThreadSnapshotClosure::do_thread, a carrier thread in a
    // handshake) during 1c. Turn on for a diagnosis with -Dbench.threadDumps=true.
    static final boolean THREAD_DUMPS = Boolean.getBoolean("bench.threadDumps");
    // Before each rate job, also wait (a little) for other work on the machine to calm down: builds and test suites share its 2 cores.
    static final double QUIET_OTHER_PERCENT = 25;
    static final Duration QUIET_MAX_PER_JOB = Duration.ofSeconds(20);
    static final Duration QUIET_BUDGET = Duration.ofSeconds(90);

    static final double TARGET_RATE = 20_000;
    static final double TARGET_HEAP_GROWTH_PERCENT = 10;

    private final Main.Running herald;
    private final Jdbi jdbi;
    private final FakesProcess fakes;
    private final String base;
    private final boolean externalDb;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String tag = Long.toString(System.currentTimeMillis(), 36);
    private final Map<String, String> setupTimings = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> waits = new ArrayList<>();
    private final PusherSql pusherSql = new PusherSql();
    private final List<String> quietWaits = new ArrayList<>();
    private long quietWaitedNanos;
    private int serial;

    // Objects built during setup.
    private String companyId;
    private String appId;
    private String appKey;
    private final Map<String, String> experiences = new LinkedHashMap<>(); // name → experience id
    private final Map<String, String> products = new LinkedHashMap<>(); // name → product id
    private final Map<String, Integer> expectedDevices = new LinkedHashMap<>();

    PushBench(Main.Running herald, FakesProcess fakes, boolean externalDb) {
        this.herald = herald;
        this.jdbi = herald.database().jdbi();
        this.fakes = fakes;
        this.base = "http://127.0.0.1:" + herald.port();
        this.externalDb = externalDb;
    }

    public static void main(String[] args) throws Exception {
        configureLogging();
        String dbUrl = System.getenv("HERALD_BENCH_DATABASE_URL");
        dbUrl = dbUrl == null || dbUrl.isBlank() ? null : dbUrl.trim();
        Path dataDir = Files.createTempDirectory("herald-bench-");
        Path trustPem = Files.createTempFile("herald-push-bench-", ".pem");
        int status = 0;
        FakesProcess fakes = null;
        Main.Running herald = null;
        try {
            fakes = FakesProcess.start(trustPem);
            int port = freePort();
            log("starting Herald on port " + port + " (" + (dbUrl == null ? "embedded PostgreSQL in " + dataDir : "external database")
                    + "), pushing to the fakes: APNs https://127.0.0.1:" + fakes.apnsPort + ", FCM https://127.0.0.1:" + fakes.fcmPort
                    + ", Web Push https://127.0.0.1:" + fakes.webPort);
            Config.Push push = new Config.Push(URI.create("https://127.0.0.1:" + fakes.apnsPort), URI.create("https://127.0.0.1:" + fakes.apnsPort),
                    URI.create("https://127.0.0.1:" + fakes.fcmPort), trustPem, true, "mailto:bench@herald.invalid");
            herald = Main.start(new Config("127.0.0.1", port, 0, "http://127.0.0.1:" + port, dataDir, dbUrl,
                    ADMIN_TOKEN, HERALD_WORKERS, HERALD_POOL, false, false, push));
            new PushBench(herald, fakes, dbUrl != null).run();
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        } finally {
            if (herald != null) {
                herald.close();
            }
            if (fakes != null) {
                fakes.close();
            }
            deleteRecursively(dataDir);
            Files.deleteIfExists(trustPem);
        }
        System.exit(status);
    }

    /** Herald's defaults (HERALD_WORKERS, HERALD_DB_POOL_SIZE). */
    static final int HERALD_WORKERS = 2;
    static final int HERALD_POOL = 16;

    void run() throws Exception {
        long started = System.nanoTime();
        String postgres = Cpu.findPostmaster(jdbi);
        Cpu.fakesPid = fakes.pid();
        Cpu idle0 = Cpu.now();
        Thread.sleep(3000);
        Cpu idle1 = Cpu.now();
        String busyBefore = busyShare(idle0, idle1) + " busy, of which other processes " + otherShare(idle0, idle1);
        setUpDirectory();
        putCredentials();
        bulkLoad();
        probe();
        jdbi.addCustomizer(pusherSql);

        List<String> warmRounds = new ArrayList<>();
        for (int round = 1; round <= WARM_MAX_ROUNDS; round++) {
            Job warm = push("warm-up " + round, "warm", null, false);
            double jitShare = (double) warm.jitNanos() / Math.max(1, warm.cpu1.jvmNanos() - warm.cpu0.jvmNanos());
            warmRounds.add(String.format(Locale.ROOT, "%s (JIT %.0f %% of the JVM's CPU)", rate(warm), jitShare * 100));
            if (jitShare < WARM_JIT_SHARE) {
                break;
            }
        }
        notes.add("Warm-up (not measured): after the 3-device probe, a job to " + fmt(WARM_MOBILE + WARM_WEB) + " devices (" + fmt(WARM_MOBILE)
                + " APNs + FCM, " + fmt(WARM_WEB) + " Web Push), repeated until the JIT compiler threads used less than "
                + (int) (WARM_JIT_SHARE * 100) + " % of the JVM's CPU in one (at most " + WARM_MAX_ROUNDS + " rounds), as on a server "
                + "that has been running (what the JIT still compiles shows in the CPU table); the HTTP/2 connections and provider "
                + "tokens exist by then too. Rounds: " + String.join("; ", warmRounds) + ".");

        List<Job> mobile = new ArrayList<>();
        for (int i = 0; i < RATE_REPEATS; i++) {
            mobile.add(push("1a run " + (i + 1), "big", null, true));
        }
        Job web = push("1b", "web", null, true);
        Job mixed = push("1c", "mixed", null, true);
        Job[] idle = measureIdleReconnect();

        HeapRuns heap = measureHeap(mobile.getFirst());
        reportRates(mobile, web, mixed);
        reportIdle(idle);
        reportHeap(heap);
        summarize(mobile, web, idle);
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        notes.add("Machine CPU (all cores) in 3 s before setup, Herald and the fakes started and idle: " + busyBefore
                + "; other work on the machine during each job shows in the \"other processes\" column of the CPU table.");
        if (!waits.isEmpty()) {
            notes.add("Waited for other benchmarks (" + OTHER_BENCHMARKS + ") to finish before: " + String.join("; ", waits) + ".");
        }
        notes.add("Before each rate job the benchmark also waited for other processes to use less than " + (int) QUIET_OTHER_PERCENT
                + " % of the machine over 1 s (at most " + QUIET_MAX_PER_JOB.toSeconds() + " s per job, " + QUIET_BUDGET.toSeconds()
                + " s in all): " + (quietWaits.isEmpty() ? "it was below that each time, or within 2 s" : String.join("; ", quietWaits)) + ".");
        notes.add("PostgreSQL CPU: " + postgres + ".");
        notes.add("Total benchmark time (setup and measurements, after the build): " + seconds / 60 + " min " + seconds % 60 + " s.");
        report(mobile, web, mixed, heap);
    }

    // ------------------------------------------------------------------ setup

    private void setUpDirectory() {
        long t0 = System.nanoTime();
        companyId = id(admin("/api/v1/companies", Map.of("title", "Push bench " + tag)));
        appId = id(admin("/api/v1/apps", Map.of("name", "Push bench app", "company_id", companyId,
                "base_url", "https://bench.example.test",
                "experience_path", "/experiences/[experienceId]/[restPath]",
                "dashboard_path", "/dashboard/[companyId]/[restPath]")));
        admin("/api/v1/apps/" + appId + "/installations", Map.of("company_id", companyId));
        for (String name : List.of("probe", "warm", "small", "big", "web", "mixed")) {
            String exp = id(admin("/api/v1/experiences", Map.of("app_id", appId, "company_id", companyId, "name", "Push " + name)));
            String prod = id(admin("/api/v1/products", Map.of("company_id", companyId, "title", "Push " + name + " pass")));
            call("POST", base + "/api/v1/experiences/" + exp + "/attach", ADMIN_TOKEN, Map.of("product_id", prod), 200);
            experiences.put(name, exp);
            products.put(name, prod);
        }
        appKey = admin("/api/v1/api_keys", Map.of("app_id", appId, "name", "push bench",
                "permissions", List.of("notification:create"))).get("key").asText();
        setupTimings.put("Directory through the admin API (company, app, 6 experiences and products, app key)", secondsSince(t0));
    }

    /** The instance's APNs and FCM credentials, as an operator sets them; VAPID keys Herald makes itself. */
    private void putCredentials() throws Exception {
        long t0 = System.nanoTime();
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        call("PUT", base + "/api/v1/push/credentials/apns", ADMIN_TOKEN, Map.of("key_id", "BENCHKEY01", "team_id", "BENCHTEAM1",
                "private_key", pem(ec.generateKeyPair().getPrivate())), 200);
        call("PUT", base + "/api/v1/push/credentials/fcm", ADMIN_TOKEN, Map.of("service_account", Map.of(
                "type", "service_account", "project_id", "herald-bench", "client_email", "push@herald-bench.iam.gserviceaccount.com",
                "private_key", pem(rsa.generateKeyPair().getPrivate()), "token_uri", "https://127.0.0.1:" + fakes.fcmPort + "/token")), 200);
        setupTimings.put("Provider credentials through the admin API (APNs P-256 key, FCM service account with an RSA 2048 key)", secondsSince(t0));
    }

    private void bulkLoad() throws Exception {
        int users = BIG + WEB;
        timedSql("Bulk insert of " + fmt(users) + " users (INSERT … SELECT generate_series)", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into users (id, username, name)
                        select 'user_pb' || :tag || '_' || i, 'pushbench_' || :tag || '_' || i, 'Push bench user ' || i
                        from generate_series(1, :n) as i""")
                .bind("tag", tag).bind("n", users).execute()));
        // Ids as random as Herald's own (device_ + 14 characters), so the job's id order mixes platforms as it would.
        timedSql("Bulk insert of " + fmt(BIG) + " mobile devices, one per user: odd users an iPhone (64-hex APNs token), even users an "
                + "Android phone (163-character FCM token)", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into push_devices (id, user_id, platform, token, bundle_id, environment)
                        select 'device_' || substr(md5('m' || :tag || i), 1, 14), 'user_pb' || :tag || '_' || i,
                               case when i % 2 = 1 then 'ios' else 'android' end,
                               case when i % 2 = 1 then md5('apns' || :tag || i) || md5('apns2' || :tag || i)
                                    else substr(md5('f1' || :tag || i) || ':APA91b' || md5('f2' || :tag || i) || md5('f3' || :tag || i)
                                                || md5('f4' || :tag || i) || md5('f5' || :tag || i), 1, 163) end,
                               case when i % 2 = 1 then 'dev.herald.bench' end,
                               case when i % 2 = 1 then 'production' end
                        from generate_series(1, :n) as i""")
                .bind("tag", tag).bind("n", BIG).execute()));
        long k0 = System.nanoTime();
        String[] p256dh = new String[WEB];
        String[] auth = new String[WEB];
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        SecureRandom random = new SecureRandom();
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        for (int i = 0; i < WEB; i++) {
            ECPublicKey pub = (ECPublicKey) ec.generateKeyPair().getPublic();
            byte[] point = new byte[65];
            point[0] = 4;
            System.arraycopy(unsigned32(pub.getW().getAffineX()), 0, point, 1, 32);
            System.arraycopy(unsigned32(pub.getW().getAffineY()), 0, point, 33, 32);
            byte[] secret = new byte[16];
            random.nextBytes(secret);
            p256dh[i] = b64.encodeToString(point);
            auth[i] = b64.encodeToString(secret);
        }
        setupTimings.put(fmt(WEB) + " browser subscriptions' key pairs (P-256) and auth secrets, made in the benchmark", secondsSince(k0));
        timedSql("Bulk insert of " + fmt(WEB) + " Web Push devices, one per user, endpoints on the fake push service", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into push_devices (id, user_id, platform, token, p256dh, auth)
                        select 'device_' || substr(md5('w' || :tag || k.i), 1, 14), 'user_pb' || :tag || '_' || (:base + k.i), 'web',
                               :origin || '/push/' || md5('e' || :tag || k.i), k.p, k.a
                        from unnest(cast(:p as text[]), cast(:a as text[])) with ordinality as k(p, a, i)""")
                .bind("tag", tag).bind("base", BIG).bind("origin", "https://127.0.0.1:" + fakes.webPort)
                .bind("p", p256dh).bind("a", auth).execute()));
        // Memberships are inserted before any notification to them: granted_seq (the default, the current position) is below it.
        members("small", 1, SMALL);
        members("big", 1, BIG);
        members("web", BIG + 1, BIG + WEB);
        members("mixed", 1, BIG - WEB);
        members("mixed", BIG + 1, BIG + WEB);
        members("warm", 1, WARM_MOBILE);
        members("warm", BIG + 1, BIG + WARM_WEB);
        expectedDevices.put("small", SMALL);
        expectedDevices.put("big", BIG);
        expectedDevices.put("web", WEB);
        expectedDevices.put("mixed", BIG);
        expectedDevices.put("warm", WARM_MOBILE + WARM_WEB);
        timedSql("VACUUM ANALYZE of the loaded tables, CHECKPOINT", () -> jdbi.useHandle(h -> {
            h.execute("vacuum (analyze) users, memberships, push_devices, experience_products");
            try {
                h.execute("checkpoint");
            } catch (RuntimeException e) {
                notes.add("CHECKPOINT after the bulk load was refused (" + e.getMessage().lines().findFirst().orElse("") + ").");
            }
        }));
    }

    private void members(String product, int from, int to) {
        timedSql("Bulk insert of " + fmt(to - from + 1) + " active memberships in the " + product + " experience's product (users "
                + fmt(from) + "–" + fmt(to) + ")", () -> jdbi.useHandle(h -> h.createUpdate("""
                        insert into memberships (id, user_id, product_id, company_id, status)
                        select 'mem_pb' || :tag || '_' || :product || '_' || i, 'user_pb' || :tag || '_' || i, :product, :company, 'active'
                        from generate_series(:from, :to) as i""")
                .bind("tag", tag).bind("product", products.get(product)).bind("company", companyId)
                .bind("from", from).bind("to", to).execute()));
    }

    private static byte[] unsigned32(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }

    private void timedSql(String what, Runnable sql) {
        long t0 = System.nanoTime();
        log(what + " …");
        sql.run();
        String took = secondsSince(t0);
        log(what + ": " + took);
        setupTimings.put(what, took);
    }

    /**
     * One user, registered through the API with one device of each platform (as apps do), gets one notification: it must
     * reach each fake once. Checks the whole path before the bulk-loaded devices are used.
     */
    private void probe() throws Exception {
        long t0 = System.nanoTime();
        String user = id(admin("/api/v1/users", Map.of("username", "push_probe_" + tag, "name", "Probe")));
        admin("/api/v1/memberships", Map.of("user_id", user, "product_id", products.get("probe")));
        String token = admin("/api/v1/users/" + user + "/tokens", Map.of()).get("token").asText();
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey pub = (ECPublicKey) ec.generateKeyPair().getPublic();
        byte[] point = new byte[65];
        point[0] = 4;
        System.arraycopy(unsigned32(pub.getW().getAffineX()), 0, point, 1, 32);
        System.arraycopy(unsigned32(pub.getW().getAffineY()), 0, point, 33, 32);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        call("POST", base + "/api/v1/push/devices", token, Map.of("platform", "ios", "token", "ab".repeat(32),
                "bundle_id", "dev.herald.bench", "environment", "production"), 201);
        call("POST", base + "/api/v1/push/devices", token, Map.of("platform", "android", "token", "probe:" + "x".repeat(150)), 201);
        call("POST", base + "/api/v1/push/devices", token, Map.of("platform", "web", "subscription", Map.of(
                "endpoint", "https://127.0.0.1:" + fakes.webPort + "/push/probe-" + tag,
                "keys", Map.of("p256dh", b64.encodeToString(point), "auth", b64.encodeToString(new byte[16])))), 201);
        expectedDevices.put("probe", 3);
        Job probe = push("probe", "probe", null, false);
        long[] got = probe.fakesDelta();
        if (probe.sent != 3 || got[0] != 1 || got[1] != 1 || got[3] != 1) {
            throw new IllegalStateException("the probe did not reach each fake once: sent " + probe.sent + ", fakes APNs " + got[0]
                    + ", FCM " + got[1] + ", Web Push " + got[3] + "; delivery " + probe.delivery);
        }
        setupTimings.put("Probe: a user registered through the API with an iPhone, an Android phone and a browser; one notification "
                + "reached each fake once (" + fmt(got[2]) + " FCM OAuth token request(s))", secondsSince(t0));
    }

    // ------------------------------------------------------------------ one push job, measured

    /** What one notification's push came to, and what it cost. */
    static final class Job {
        String label;
        String experience;
        long seq;
        String notificationId;
        int devices;
        int sent;
        int failed;
        int removed;
        int skipped;
        int retrying;
        long longestStallNanos; // the longest time, once the job had counted its devices, in which no push was recorded
        long wallNanos; // POST sent → the last push recorded (every device counted in the status)
        boolean complete;
        Cpu cpu0;
        Cpu cpu1;
        Map<String, Long> threads0;
        Map<String, Long> threads1;
        long[] fakes0;
        long[] fakes1;
        Map<String, Integer> platforms = new LinkedHashMap<>();
        double deliveredMs; // notification created → delivered (outbox)
        double startedMs; // created → push job claimed
        double jobMs; // job claimed → job finished
        double finishedMs; // created → job finished
        String delivery; // the delivery status JSON, after the job
        String deliveryStatus;
        StackSampler stacks;
        VirtualThreads virtualThreads;
        /** CPU of the JIT compiler threads during the job (from the per-thread ticks), nanoseconds. */
        long jitNanos() {
            long ticks = 0;
            for (var e : threads1.entrySet()) {
                if (e.getKey().contains("CompilerThre")) {
                    ticks += e.getValue() - threads0.getOrDefault(e.getKey(), 0L);
                }
            }
            return (long) (ticks * Cpu.TICK_NANOS);
        }
        HeapSampler heap;
        List<PusherSql.Captured> sql = List.of();

        double rate() {
            return sent * 1e9 / wallNanos;
        }

        long[] fakesDelta() {
            long[] d = new long[fakes1.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = fakes1[i] - fakes0[i];
            }
            return d;
        }
    }

    private Job push(String label, String experience, HeapSampler heap, boolean sampleStacks) throws Exception {
        return push(label, experience, heap, sampleStacks, heap == null && !experience.equals("probe"));
    }

    /** {@code warmFirst}: send the keep-alive notification first (see {@link #keepConnectionsWarm()}). */
    private Job push(String label, String experience, HeapSampler heap, boolean sampleStacks, boolean warmFirst) throws Exception {
        waitForOthers(label);
        waitIdle();
        if (heap == null) {
            waitForQuiet(label);
        }
        if (warmFirst) {
            keepConnectionsWarm();
        }
        Job job = new Job();
        job.label = label;
        job.experience = experience;
        int expected = expectedDevices.get(experience);
        String title = "Push bench " + label + " " + tag + " #" + (++serial);
        log("job " + label + ": POST /api/v1/notifications to the " + experience + " experience (" + fmt(expected) + " devices)");
        StackSampler stacks = sampleStacks ? new StackSampler(pusherThread()) : null;
        VirtualThreads dumps = sampleStacks && THREAD_DUMPS ? new VirtualThreads() : null;
        try (Connection c = herald.database().dedicatedConnection();
             PreparedStatement findSeq = c.prepareStatement("select seq, id from notifications where title = ?");
             PreparedStatement progress = c.prepareStatement("""
                     select j.devices, j.status,
                            coalesce((select sum(sent) from push_counts c where c.seq = j.seq), 0),
                            coalesce((select sum(failed) from push_counts c where c.seq = j.seq), 0),
                            coalesce((select sum(removed) from push_counts c where c.seq = j.seq), 0),
                            coalesce((select sum(skipped) from push_counts c where c.seq = j.seq), 0),
                            (select count(*) from push_attempts a where a.seq = j.seq and a.state = 'retrying')
                     from push_jobs j where j.seq = ?""")) {
            job.fakes0 = fakes.counts();
            job.threads0 = JvmThreads.ticks();
            pusherSql.start();
            job.cpu0 = Cpu.now();
            if (heap != null) {
                heap.start();
            }
            if (stacks != null) {
                stacks.start();
            }
            if (dumps != null) {
                dumps.start();
            }
            long t0 = System.nanoTime();
            call("POST", base + "/api/v1/notifications", appKey, Map.of("experience_id", experiences.get(experience),
                    "title", title, "content", "A push to every device of the " + experience + " experience, for the benchmark."), 200);
            findSeq.setString(1, title);
            try (ResultSet rs = findSeq.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("the notification is not stored after the POST returned");
                }
                job.seq = rs.getLong(1);
                job.notificationId = rs.getString(2);
            }
            progress.setLong(1, job.seq);
            long deadline = t0 + JOB_TIMEOUT.toNanos();
            long lastChange = -1;
            int lastDone = -1;
            while (true) {
                try (ResultSet rs = progress.executeQuery()) {
                    // Herald counts a job's devices as it walks them (push_jobs.devices grows batch by batch) and marks the job
                    // done right after recording its last batch: done is when every device has been pushed and recorded.
                    if (rs.next() && !"queued".equals(rs.getString(2))) {
                        int done = rs.getInt(3) + rs.getInt(4) + rs.getInt(5) + rs.getInt(6) + rs.getInt(7);
                        long now = System.nanoTime();
                        if (lastChange < 0 || done != lastDone) {
                            if (lastChange >= 0) {
                                job.longestStallNanos = Math.max(job.longestStallNanos, now - lastChange);
                            }
                            lastChange = now;
                            lastDone = done;
                        }
                        job.devices = rs.getInt(1);
                        job.sent = rs.getInt(3);
                        job.failed = rs.getInt(4);
                        job.removed = rs.getInt(5);
                        job.skipped = rs.getInt(6);
                        job.retrying = rs.getInt(7);
                        if ("done".equals(rs.getString(2))) {
                            job.complete = job.sent == job.devices;
                            break;
                        }
                    }
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(POLL_MILLIS);
            }
            job.wallNanos = System.nanoTime() - t0;
            job.cpu1 = Cpu.now();
            if (stacks != null) {
                stacks.stop();
            }
            if (dumps != null) {
                dumps.stop();
            }
            if (heap != null) {
                heap.stop();
            }
            job.threads1 = JvmThreads.ticks();
            job.stacks = stacks;
            job.virtualThreads = dumps;
            job.heap = heap;
        }
        // The job's own end (finishJob) comes right after its last batch is recorded.
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"done".equals(jdbi.withHandle(h -> h.createQuery("select status from push_jobs where seq = :s").bind("s", job.seq)
                .mapTo(String.class).one())) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        job.sql = pusherSql.stop();
        job.fakes1 = fakes.counts();
        JsonNode delivery = get(base + "/api/v1/notifications/" + job.notificationId + "/delivery", appKey).get("push");
        job.delivery = delivery.toString();
        job.deliveryStatus = delivery.path("status").asText();
        for (String platform : List.of("ios", "android", "web")) {
            int sent = delivery.path("platforms").path(platform).path("sent").asInt();
            if (sent > 0) {
                job.platforms.put(platform, sent);
            }
        }
        jdbi.useHandle(h -> h.createQuery("""
                        select extract(epoch from n.delivered_at - n.created_at) * 1000, extract(epoch from j.started_at - n.created_at) * 1000,
                               extract(epoch from j.finished_at - j.started_at) * 1000, extract(epoch from j.finished_at - n.created_at) * 1000
                        from notifications n join push_jobs j on j.seq = n.seq where n.seq = :s""")
                .bind("s", job.seq)
                .map((rs, ctx) -> {
                    job.deliveredMs = rs.getDouble(1);
                    job.startedMs = rs.getDouble(2);
                    job.jobMs = rs.getDouble(3);
                    job.finishedMs = rs.getDouble(4);
                    return 0;
                }).one());
        if (job.devices != expected) {
            throw new IllegalStateException("job " + label + " (notification " + job.notificationId + ", seq " + job.seq + ") counted "
                    + job.devices + " devices, expected " + expected + "; delivery status " + job.delivery);
        }
        log("job " + label + ": " + (job.complete ? "" : "INCOMPLETE ") + fmt(job.sent) + " of " + fmt(job.devices) + " sent in "
                + millis(job.wallNanos) + " (" + rate(job) + "); failed " + job.failed + ", retrying " + job.retrying
                + "; delivery status " + job.deliveryStatus);
        return job;
    }

    /**
     * The JDK HttpClient closes an HTTP/2 connection after 30 s without a request (jdk.httpclient.keepalive.timeout.h2), and
     * the waits above can be longer. So that every rate job starts as on a server that keeps pushing, the 3-device probe
     * experience gets a notification first (one request per provider, which reopens a closed connection alone). 1d measures
     * what happens without it.
     */
    private void keepConnectionsWarm() throws Exception {
        String title = "Push bench keep-alive " + tag + " #" + (++serial);
        call("POST", base + "/api/v1/notifications", appKey, Map.of("experience_id", experiences.get("probe"), "title", title,
                "content", "Keeps the provider connections open."), 200);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && !jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from notifications n join push_jobs j on j.seq = n.seq
                                       where n.title = :t and j.status = 'done')""")
                .bind("t", title).mapTo(Boolean.class).one())) {
            Thread.sleep(10);
        }
        waitIdle();
    }

    /** No push job open and the outbox empty: the previous job is entirely over. */
    private void waitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (jdbi.withHandle(h -> h.createQuery("""
                        select (select count(*) from push_jobs where status <> 'done') + (select count(*) from outbox)
                               + (select count(*) from push_attempts where state = 'retrying')""")
                .mapTo(Long.class).one()) > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("push jobs or the outbox did not drain within 2 minutes");
            }
            Thread.sleep(20);
        }
    }

    /** Waits until no other benchmark runs on this machine (they share its 2 cores), up to {@link #OTHERS_MAX_WAIT}. */
    private void waitForOthers(String before) throws InterruptedException {
        if (!WAIT_FOR_OTHERS) {
            return;
        }
        long t0 = System.nanoTime();
        boolean logged = false;
        while (true) {
            List<String> others = otherBenchmarks();
            if (others.isEmpty()) {
                break;
            }
            if (System.nanoTime() - t0 > OTHERS_MAX_WAIT.toNanos()) {
                waits.add(before + ": gave up after " + OTHERS_MAX_WAIT.toMinutes() + " min, measured while " + others + " ran");
                return;
            }
            if (!logged) {
                log("waiting for other benchmarks to finish before " + before + ": " + others);
                logged = true;
            }
            Thread.sleep(2000);
        }
        long waited = System.nanoTime() - t0;
        if (waited > Duration.ofSeconds(1).toNanos()) {
            waits.add(before + " (" + secondsSince(t0) + ")");
        }
    }

    /**
     * Waits until other processes use less than {@link #QUIET_OTHER_PERCENT} of the machine over a second, at most
     * {@link #QUIET_MAX_PER_JOB} per job and {@link #QUIET_BUDGET} in all; the CPU table reports what they used during the job.
     */
    private void waitForQuiet(String before) throws InterruptedException {
        long t0 = System.nanoTime();
        String last = "";
        while (true) {
            Cpu a = Cpu.now();
            Thread.sleep(1000);
            Cpu b = Cpu.now();
            double other = otherFraction(a, b) * 100;
            last = String.format(Locale.ROOT, "%.0f %%", other);
            if (other < QUIET_OTHER_PERCENT) {
                break;
            }
            long waited = System.nanoTime() - t0;
            if (waited > QUIET_MAX_PER_JOB.toNanos() || quietWaitedNanos + waited > QUIET_BUDGET.toNanos()) {
                quietWaits.add(before + ": still " + last + " after " + secondsSince(t0) + ", measured anyway");
                quietWaitedNanos += waited;
                return;
            }
            if (waited < 1_500_000_000L) {
                log("other processes use " + last + " of the machine; waiting up to " + QUIET_MAX_PER_JOB.toSeconds() + " s before " + before);
            }
        }
        long waited = System.nanoTime() - t0;
        quietWaitedNanos += waited;
        if (waited > 2_000_000_000L) {
            quietWaits.add(before + ": " + secondsSince(t0) + " until below " + (int) QUIET_OTHER_PERCENT + " % (" + last + ")");
        }
    }

    /** What {@code pgrep -f 'ChatBench|NotifyBench'} finds, as pid and name. */
    static List<String> otherBenchmarks() {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(OTHER_BENCHMARKS);
        long self = ProcessHandle.current().pid();
        List<String> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(ph -> {
            if (ph.pid() == self) {
                return;
            }
            String cmd;
            try {
                cmd = new String(Files.readAllBytes(Path.of("/proc/" + ph.pid() + "/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
            } catch (IOException | RuntimeException e) {
                return;
            }
            var m = p.matcher(cmd);
            if (m.find()) {
                out.add(m.group() + " (pid " + ph.pid() + ")");
            }
        });
        return out;
    }

    private static Thread pusherThread() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("pusher")) {
                return t;
            }
        }
        throw new IllegalStateException("no thread named pusher: has Herald's Pusher changed?");
    }

    // ------------------------------------------------------------------ 1d. a job after the provider connections went idle

    /**
     * The same 1,000-device job twice: right after other pushes (the provider connections open), and after
     * {@link #IDLE_SECONDS} s without any push, longer than the JDK HttpClient keeps an idle HTTP/2 connection.
     */
    private Job[] measureIdleReconnect() throws Exception {
        Job warm = push("1d warm", "small", null, false, true);
        log("1d: " + IDLE_SECONDS + " s without pushes (the JDK HttpClient, used for FCM, closes an HTTP/2 connection idle for 30 s)");
        Thread.sleep(IDLE_SECONDS * 1000L);
        Job cold = push("1d after " + IDLE_SECONDS + " s idle", "small", null, false, false);
        return new Job[] {warm, cold};
    }

    static final int IDLE_SECONDS = 35;

    private void reportIdle(Job[] idle) {
        for (Job j : idle) {
            long[] d = j.fakesDelta();
            row("1d " + fmt(j.devices) + " devices (" + mix(j) + ") " + (j == idle[0] ? "right after other pushes" : "after " + IDLE_SECONDS
                            + " s without pushes") + ": POST → last push recorded; new TLS connections the fakes accepted",
                    millis(j.wallNanos) + "; " + fmt(d[5]) + " to APNs, " + fmt(d[6]) + " to FCM", "", j.complete ? "" : "**incomplete**");
        }
    }

    // ------------------------------------------------------------------ 2. heap growth

    record HeapRuns(List<Job> smallBefore, Job big, List<Job> smallAfter, HeapSampler idle) {
    }

    /**
     * The small jobs run first, until they have given about as many samples as the big job is expected to give (from 1a's
     * time, slowed by the forced GCs), so the two maxima are taken over similar numbers of samples; then the big job; then a
     * few small jobs again, to see whether the big one left anything reachable.
     */
    private HeapRuns measureHeap(Job reference) throws Exception {
        waitForOthers("2 (heap)");
        waitIdle();
        Thread pusher = pusherThread();
        HeapSampler idle = new HeapSampler(null);
        idle.start();
        Thread.sleep(1500);
        idle.stop();
        // About one sample per gap + pause over the big job's time in 1a (the stops slow it, the machine's load varies: a guess).
        double cycleMillis = GC_GAP_MILLIS + Stats.of(idle.pauses).p50() / 1e6;
        long expected = Math.max(40, Math.round(reference.wallNanos / 1e6 / cycleMillis));
        log("heap: jobs of " + fmt(SMALL) + " devices until about " + expected + " samples (at most " + HEAP_SMALL_MAX.toSeconds()
                + " s), one job of " + fmt(BIG) + ", " + HEAP_SMALL_AFTER + " of " + fmt(SMALL) + "; a full GC forced " + HeapSampler.IN_BATCH_MILLIS
                + " ms into a batch, at most every " + GC_GAP_MILLIS + " ms");
        List<Job> before = new ArrayList<>();
        long t0 = System.nanoTime();
        int samples = 0;
        while (samples < expected && System.nanoTime() - t0 < HEAP_SMALL_MAX.toNanos() || before.size() < 3) {
            Job j = push("2 small " + (before.size() + 1), "small", new HeapSampler(pusher), false);
            before.add(j);
            samples += j.heap.used.size();
        }
        Job big = push("2 big", "big", new HeapSampler(pusher), false);
        List<Job> after = new ArrayList<>();
        for (int i = 0; i < HEAP_SMALL_AFTER; i++) {
            after.add(push("2 small after " + (i + 1), "small", new HeapSampler(pusher), false));
        }
        return new HeapRuns(before, big, after, idle);
    }

    /**
     * Forces a full GC (System.gc(): G1 collects and compacts the whole heap, stopping the world) a fixed time into a batch of
     * the pusher's (or, without a pusher to watch, at any time), then records the heap in use right after it, as the collector
     * reports it (its GcInfo, so nothing allocated after the collection counts), then waits {@link #GC_GAP_MILLIS}; over and
     * over until stopped. A sample is the live data at that instant.
     */
    static final class HeapSampler {
        final LongList used = new LongList();
        final LongList pauses = new LongList();
        private final Thread pusher; // null: sample every GC_GAP_MILLIS whatever Herald does (the idle baseline)
        private volatile boolean on;
        private Thread thread;

        HeapSampler(Thread pusher) {
            this.pusher = pusher;
        }

        void start() {
            on = true;
            thread = Thread.ofPlatform().name("bench-heap-sampler").daemon().start(() -> {
                try {
                    while (on) {
                        if (pusher == null || batchJustStarted()) {
                            sample();
                            Thread.sleep(GC_GAP_MILLIS);
                        }
                    }
                } catch (InterruptedException e) {
                    // stopped
                }
            });
        }

        void stop() throws InterruptedException {
            on = false;
            thread.interrupt();
            thread.join();
        }

        /**
         * Waits (polling the pusher's stack every millisecond) until the pusher starts waiting for a batch — not in
         * {@code Pusher.awaitAll}, then in it — and then {@link #IN_BATCH_MILLIS} more, so every sample is taken at the
         * same point of a batch, with its requests in flight. False if that did not happen within a second.
         */
        private boolean batchJustStarted() throws InterruptedException {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long deadline = System.nanoTime() + 1_000_000_000L;
            boolean outside = false;
            while (on && System.nanoTime() < deadline) {
                ThreadInfo info = mx.getThreadInfo(pusher.threadId(), 16);
                boolean inBatch = info != null && Arrays.stream(info.getStackTrace())
                        .anyMatch(f -> f.getClassName().equals("dev.herald.push.Pusher") && f.getMethodName().equals("awaitAll"));
                if (!inBatch) {
                    outside = true;
                } else if (outside) {
                    Thread.sleep(IN_BATCH_MILLIS);
                    return true;
                }
                Thread.sleep(1);
            }
            return false;
        }

        static final long IN_BATCH_MILLIS = 10;

        private void sample() {
            com.sun.management.GarbageCollectorMXBean full = fullCollector();
            long count = full == null ? -1 : full.getCollectionCount();
            long t0 = System.nanoTime();
            System.gc();
            long pause = System.nanoTime() - t0;
            long bytes = -1;
            if (full != null && full.getCollectionCount() > count && full.getLastGcInfo() != null) {
                bytes = 0;
                for (var e : full.getLastGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (HEAP_POOLS.contains(e.getKey())) {
                        bytes += e.getValue().getUsed();
                    }
                }
            }
            if (bytes < 0) {
                bytes = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            }
            synchronized (this) {
                used.add(bytes);
                pauses.add(pause);
            }
        }

        static final Set<String> HEAP_POOLS = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(java.util.stream.Collectors.toSet());

        /** The collector System.gc() runs: G1's "G1 Old Generation" (its full GCs), or whichever collects the old generation. */
        static com.sun.management.GarbageCollectorMXBean fullCollector() {
            com.sun.management.GarbageCollectorMXBean found = null;
            for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                String name = gc.getName();
                if (gc instanceof com.sun.management.GarbageCollectorMXBean sun
                        && (name.contains("Old") || name.contains("MarkSweek") || name.contains("MarkSweep") || name.contains("Full"))) {
                    found = sun;
                }
            }
            return found;
        }

        static LongList all(List<Job> jobs) {
            LongList out = new LongList();
            for (Job j : jobs) {
                out.addAll(j.heap.used);
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ the pusher's critical path

    /**
     * Samples the stack of Herald's "pusher" thread every 5 ms while a job runs. The pusher drives a job's work (read a
     * batch from the cursor, start its sends, wait for the previous batch's answers and record them), so where its time
     * goes is where the job's time goes. A sample is named by the innermost frame in Herald's code, marked when the PostgreSQL driver is
     * above it (waiting for or reading from the database).
     */
    static final class StackSampler {
        private final long threadId;
        private final Map<String, Long> counts = new TreeMap<>();
        private long total;
        private volatile boolean on;
        private Thread thread;

        StackSampler(Thread pusher) {
            this.threadId = pusher.threadId();
        }

        void start() {
            on = true;
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            thread = Thread.ofPlatform().name("bench-stack-sampler").daemon().start(() -> {
                while (on) {
                    ThreadInfo info = mx.getThreadInfo(threadId, 64);
                    if (info != null) {
                        counts.merge(classify(info), 1L, Long::sum);
                        total++;
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void stop() throws InterruptedException {
            on = false;
            thread.interrupt();
            thread.join();
        }

        static String classify(ThreadInfo info) {
            boolean inDriver = false;
            boolean inJdbi = false;
            for (StackTraceElement e : info.getStackTrace()) {
                String c = e.getClassName();
                if (c.startsWith("org.postgresql.")) {
                    inDriver = true;
                } else if (c.startsWith("org.jdbi.")) {
                    inJdbi = true;
                } else if (c.startsWith("dev.herald.")) {
                    String simple = c.substring(c.lastIndexOf('.') + 1);
                    String method = e.getMethodName();
                    if (method.startsWith("lambda$")) {
                        String[] parts = method.split("\\$");
                        method = (parts.length > 1 ? parts[1] : method) + " (lambda)";
                    }
                    String where = "`" + simple + "." + method + "`";
                    if (inDriver) {
                        return where + " in the PostgreSQL driver";
                    }
                    if (inJdbi) {
                        return where + " in JDBI";
                    }
                    return where + " (" + info.getThreadState().name().toLowerCase(Locale.ROOT) + ")";
                }
            }
            StackTraceElement[] st = info.getStackTrace();
            return "outside Herald's code (" + (st.length == 0 ? "no frames" : st[0].getClassName() + "." + st[0].getMethodName()) + ")";
        }

        /** Samples whose place contains the first text, the second text, and all samples. */
        long[] shares(String first, String second) {
            long a = 0;
            long b = 0;
            for (var e : counts.entrySet()) {
                if (e.getKey().contains(first)) {
                    a += e.getValue();
                } else if (e.getKey().contains(second)) {
                    b += e.getValue();
                }
            }
            return new long[] {a, b, total};
        }

        String table(long wallNanos) {
            StringBuilder out = new StringBuilder("| Where the pusher thread was | Share of samples | ≈ time |\n|---|---|---|\n");
            long shown = 0;
            for (var e : counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).toList()) {
                if (e.getValue() * 100 < total) {
                    continue;
                }
                shown += e.getValue();
                out.append(String.format(Locale.ROOT, "| %s | %.1f %% | %s |%n", e.getKey(), 100.0 * e.getValue() / total,
                        millis((long) ((double) wallNanos * e.getValue() / total))));
            }
            if (shown < total) {
                out.append(String.format(Locale.ROOT, "| (others, each < 1 %%) | %.1f %% | %s |%n", 100.0 * (total - shown) / total,
                        millis((long) ((double) wallNanos * (total - shown) / total))));
            }
            return out.append(String.format(Locale.ROOT, "%n%,d samples.%n%n", total)).toString();
        }
    }

    /**
     * Dumps every thread, virtual ones included ({@code HotSpotDiagnosticMXBean.dumpThreads}, JSON), 1 s into a job and then
     * every 2 s, and counts where the pusher's per-device virtual threads are: the innermost frame in Herald's code and the
     * innermost frame that is not parking machinery (a lock, I/O, the HTTP client waiting for its answer).
     */
    static final class VirtualThreads {
        private static final java.util.regex.Pattern MACHINERY = java.util.regex.Pattern.compile(
                "^(java\\.lang\\.VirtualThread|java\\.lang\\.System\\$|java\\.util\\.concurrent\\.locks\\.|jdk\\.internal\\.misc\\."
                        + "|java\\.util\\.concurrent\\.ForkJoinPool|java\\.util\\.concurrent\\.CompletableFuture|jdk\\.internal\\.vm\\.)");
        final Map<String, Long> counts = new TreeMap<>();
        long threads;
        int dumps;
        private volatile boolean on;
        private Thread thread;

        void start() {
            on = true;
            thread = Thread.ofPlatform().daemon().name("bench-thread-dumps").start(() -> {
                long next = System.nanoTime() + 1_000_000_000L;
                while (on) {
                    if (System.nanoTime() >= next) {
                        dump();
                        next = System.nanoTime() + 2_000_000_000L;
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void stop() throws InterruptedException {
            on = false;
            thread.join();
        }

        private void dump() {
            try {
                Path file = Files.createTempFile("herald-push-bench-threads", ".json");
                Files.delete(file);
                ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                        .dumpThreads(file.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
                JsonNode root = JSON.readTree(file.toFile());
                Files.deleteIfExists(file);
                dumps++;
                for (JsonNode container : root.path("threadDump").path("threadContainers")) {
                    for (JsonNode t : container.path("threads")) {
                        List<String> stack = new ArrayList<>();
                        t.path("stack").forEach(f -> stack.add(f.asText()));
                        String key = classify(t.path("name").asText(""), stack);
                        if (key != null) {
                            counts.merge(key, 1L, Long::sum);
                            threads++;
                        }
                    }
                }
            } catch (Exception e) {
                log("thread dump failed: " + e);
                on = false;
            }
        }

        static String classify(String name, List<String> stack) {
            if (stack.isEmpty()) {
                return name.isEmpty() ? "(no stack: a virtual thread started but not yet run by a carrier thread, or just ended)" : null;
            }
            if (stack.stream().noneMatch(f -> f.contains("dev.herald.push.Pusher.lambda$startPushes"))) {
                return null;
            }
            String top = null;
            for (String f : stack) {
                String method = f.replaceFirst("^[^/(]*/", "").replaceFirst("\\(.*$", "");
                if (method.startsWith("dev.herald.")) {
                    String herald = simple(method);
                    return top == null ? "`" + herald + "` (running)" : "`" + herald + "` → `" + top + "`";
                }
                if (top == null && !MACHINERY.matcher(method).find()) {
                    top = simple(method);
                }
            }
            return null;
        }

        /** {@code a.b.Class$Inner.method} → {@code Class$Inner.method}. */
        private static String simple(String method) {
            int dot = method.lastIndexOf('.');
            String cls = method.substring(0, dot);
            return cls.substring(cls.lastIndexOf('.') + 1) + method.substring(dot);
        }

        String table() {
            if (threads == 0) {
                return "(no thread dump caught the job's virtual threads)\n\n";
            }
            StringBuilder out = new StringBuilder("| Innermost Herald frame → innermost other frame (parking machinery skipped) | Threads | Share |\n|---|---|---|\n");
            long shown = 0;
            for (var e : counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).toList()) {
                if (e.getValue() * 50 < threads) {
                    continue;
                }
                shown += e.getValue();
                out.append(String.format(Locale.ROOT, "| %s | %,d | %.0f %% |%n", e.getKey(), e.getValue(), 100.0 * e.getValue() / threads));
            }
            if (shown < threads) {
                out.append(String.format(Locale.ROOT, "| (others, each < 2 %%) | %,d | %.0f %% |%n", threads - shown, 100.0 * (threads - shown) / threads));
            }
            return out.append(String.format(Locale.ROOT, "%n%d thread dumps, %,d of the pusher's virtual threads in them (a batch has at most 500).%n%n",
                    dumps, threads)).toString();
        }
    }

    /** The statements Herald's "pusher" thread executes (from JDBI), with their time from execute to return. */
    static final class PusherSql implements StatementCustomizer {
        record Captured(String sql, long nanos) {
        }

        private volatile boolean on;
        private ConcurrentLinkedQueue<Captured> seen = new ConcurrentLinkedQueue<>();
        private final Map<StatementContext, Long> started = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

        void start() {
            seen = new ConcurrentLinkedQueue<>();
            on = true;
        }

        List<Captured> stop() {
            on = false;
            return new ArrayList<>(seen);
        }

        @Override
        public void beforeExecution(PreparedStatement stmt, StatementContext ctx) {
            if (on && Thread.currentThread().getName().equals("pusher")) {
                started.put(ctx, System.nanoTime());
            }
        }

        @Override
        public void afterExecution(PreparedStatement stmt, StatementContext ctx) {
            Long t0 = started.remove(ctx);
            if (t0 != null) {
                seen.add(new Captured(ctx.getParsedSql().getSql(), System.nanoTime() - t0));
            }
        }

        static String table(List<Captured> seen, long wallNanos) {
            Map<String, LongList> by = new LinkedHashMap<>();
            for (Captured c : seen) {
                by.computeIfAbsent(c.sql(), k -> new LongList()).add(c.nanos());
            }
            StringBuilder out = new StringBuilder("| Statement | Calls | Total | Mean | Max |\n|---|---|---|---|---|\n");
            long all = 0;
            for (var e : by.entrySet()) {
                long[] s = e.getValue().sorted();
                long sum = Arrays.stream(s).sum();
                all += sum;
                out.append("| `").append(summary(e.getKey())).append("` | ").append(fmt(s.length)).append(" | ").append(millis(sum))
                        .append(" | ").append(millis(sum / s.length)).append(" | ").append(millis(s[s.length - 1])).append(" |\n");
            }
            return out.append(String.format(Locale.ROOT, "%nTime in these statements: %s of the job's %s (from execute to its return; the "
                    + "cursor's later fetches and the commits are not statements and are not in it).%n%n", millis(all), millis(wallNanos))).toString();
        }
    }

    // ------------------------------------------------------------------ report

    private final StringBuilder diagnosis = new StringBuilder();

    private void reportRates(List<Job> mobile, Job web, Job mixed) {
        boolean allPass = true;
        for (Job j : mobile) {
            boolean pass = j.complete && j.rate() >= TARGET_RATE;
            allPass &= pass;
            row("1a " + fmt(j.devices) + " devices (" + mix(j) + "), " + j.label.substring(3) + ": pushes/s, POST → last push recorded ("
                    + millis(j.wallNanos) + ")", rate(j), "≥ " + fmt((long) TARGET_RATE) + "/s", passFail(pass));
        }
        row("1b " + fmt(web.devices) + " devices (" + mix(web) + "): pushes/s (" + millis(web.wallNanos) + ")", rate(web),
                "— (the target is for 1a)", web.complete ? "" : "**incomplete**");
        row("1c " + fmt(mixed.devices) + " devices (" + mix(mixed) + "): pushes/s (" + millis(mixed.wallNanos) + ")", rate(mixed),
                "— (the target is for 1a)", mixed.complete ? "" : "**incomplete**");
        notes.add("1a: the target applies to each of the " + mobile.size() + " runs (PASS only if every one reaches it)"
                + (allPass ? "." : "; it was not reached."));
        List<Job> all = new ArrayList<>(mobile);
        all.add(web);
        all.add(mixed);
        int cores = Runtime.getRuntime().availableProcessors();
        StringBuilder cpu = new StringBuilder("CPU per push over each job (POST → last push recorded). JVM = this benchmark's JVM: Herald "
                + "(HTTP API, outbox workers, pusher, provider clients) and the benchmark's own samplers and 5 ms progress poll, from "
                + "`getProcessCpuTime`; of it JIT = the CPU of its JIT compiler threads (from /proc/self/task); PostgreSQL = the postmaster of "
                + "Herald's database and its children, from /proc; fakes = the fake providers' JVM, from /proc; machine = all cores' busy share; "
                + "other processes = busy time not spent by these three, as a share of all cores. Ceilings: " + cores + " cores ÷ CPU per push — "
                + "“all” with the fakes' CPU (this machine, where they share the cores), “Herald” without it (JVM + PostgreSQL: providers elsewhere, "
                + "the rate Herald's own CPU allows on " + cores + " cores).\n\n"
                + "| Job | Pushes | Rate | JVM CPU / push | of it JIT | PostgreSQL CPU / push | Fakes CPU / push | Ceiling, all | Ceiling, Herald | Machine busy | Other processes |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Job j : all) {
            double n = Math.max(1, j.sent);
            double jvm = (j.cpu1.jvmNanos() - j.cpu0.jvmNanos()) / n;
            long pgNanos = j.cpu1.pgSince(j.cpu0);
            long fakesNanos = j.cpu1.fakesSince(j.cpu0);
            double herald = jvm + Math.max(0, pgNanos) / n;
            double total = herald + Math.max(0, fakesNanos) / n;
            cpu.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f µs | %.0f µs | %s | %s | %,.0f/s | %,.0f/s | %s | %s |%n", j.label, fmt(j.sent), rate(j),
                    jvm / 1e3, j.jitNanos() / n / 1e3,
                    pgNanos < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f µs", pgNanos / n / 1e3),
                    fakesNanos < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f µs", fakesNanos / n / 1e3),
                    cores * 1e9 / total, cores * 1e9 / herald, busyShare(j.cpu0, j.cpu1), otherShare(j.cpu0, j.cpu1)));
        }
        diagnosis.append("### CPU\n\n").append(cpu).append('\n');
        StringBuilder timeline = new StringBuilder("Timeline of each job from the database's clock (`notifications.created_at`, `delivered_at`; "
                + "`push_jobs.started_at` when the pusher claimed it, `finished_at` after its last batch was recorded), and the pusher's own rate "
                + "(devices ÷ claimed → finished):\n\n"
                + "| Job | Created → delivered (outbox) | Created → push job claimed | Claimed → finished | Created → finished | Pusher's own rate "
                + "| Batches | Mean time per batch | Longest time without a batch recorded | Delivery status after |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Job j : all) {
            int batches = (j.devices + 499) / 500;
            timeline.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %,.0f/s | %d | %s | %s | %s |%n", j.label, fmtMs(j.deliveredMs),
                    fmtMs(j.startedMs), fmtMs(j.jobMs), fmtMs(j.finishedMs), j.devices * 1000.0 / j.jobMs, batches, fmtMs(j.jobMs / batches),
                    millis(j.longestStallNanos), j.deliveryStatus));
        }
        diagnosis.append("### Timeline\n\n").append(timeline).append('\n');
        diagnosis.append("### Where the pusher's time went\n\n")
                .append("Stack samples of Herald's `pusher` thread every 5 ms from the POST to the last push recorded. The pusher drives a job ")
                .append("— read 500 devices from the cursor, start one virtual thread per device, then join the previous batch's threads and ")
                .append("record that batch in one transaction, repeat (two batches overlap) — so its time is the job's time.\n\n");
        for (Job j : all) {
            diagnosis.append("**").append(j.label).append("** (").append(mix(j)).append("):\n\n").append(j.stacks.table(j.wallNanos));
        }
        Job first = mobile.getFirst();
        diagnosis.append("Statements the pusher thread ran during ").append(first.label).append(":\n\n")
                .append(PusherSql.table(first.sql, first.wallNanos));
        if (THREAD_DUMPS) {
            diagnosis.append("### Where the batches' virtual threads were\n\n")
                    .append("While the pusher waits in `Pusher.awaitAll`, its 500 virtual threads (one per device) build, encrypt and send the ")
                    .append("requests and wait for the answers. From full thread dumps during each job (`-Dbench.threadDumps=true`):\n\n");
            for (Job j : all) {
                diagnosis.append("**").append(j.label).append("**:\n\n").append(j.virtualThreads.table());
            }
        }
        diagnosis.append("### Threads of the benchmark's JVM\n\n")
                .append("CPU by thread over the job (from /proc/self/task; names as the kernel keeps them, 15 characters, digits as N). ")
                .append("`ForkJoinPool-N-` are the virtual threads' carriers (the pusher's per-device senders: request building, payload JSON, ")
                .append("Web Push encryption; and Herald's HTTP handlers); `HttpClient-N-Se` is a JDK HttpClient's selector thread (TLS and HTTP/2 ")
                .append("framing for every request on its connection: FCM and Web Push); `HttpClient-N-Wo` its worker pool (response handling); ")
                .append("`apns-N-N` the Netty event loop of pushy's APNs connections (TLS and HTTP/2 framing); `GC Thread#N`, `GN Conc#N`, ")
                .append("`VM Thread` the garbage collector and safepoints; `CN CompilerThre` the JIT.\n\n");
        for (Job j : all) {
            diagnosis.append("**").append(j.label).append("**:\n\n").append(JvmThreads.table(j.threads0, j.threads1, j.sent));
        }
        StringBuilder fakeCounts = new StringBuilder("Requests the fakes answered per job (APNs, FCM messages:send, FCM OAuth token, Web Push) and "
                + "new TLS connections they accepted (APNs, FCM, Web Push): ");
        for (Job j : all) {
            long[] d = j.fakesDelta();
            fakeCounts.append(j.label).append(": ").append(fmt(d[0])).append(", ").append(fmt(d[1])).append(", ").append(fmt(d[2]))
                    .append(", ").append(fmt(d[3])).append(d[4] > 0 ? " (" + d[4] + " rejected as malformed)" : "")
                    .append("; connections ").append(d[5]).append(", ").append(d[6]).append(", ").append(d[7]).append("; ");
        }
        notes.add(fakeCounts.substring(0, fakeCounts.length() - 2) + ".");
        for (Job j : all) {
            if (!j.complete || j.failed > 0 || j.retrying > 0) {
                notes.add("Job " + j.label + " did not send to every device: " + j.delivery);
            }
        }
    }

    private final List<String> summary = new ArrayList<>();

    /** Where the time and the CPU went, in a few sentences, from the measured figures (no conclusion is written in advance). */
    private void summarize(List<Job> mobile, Job web, Job[] idle) {
        Job best = mobile.stream().max(Comparator.comparingDouble(Job::rate)).orElseThrow();
        int cores = Runtime.getRuntime().availableProcessors();
        double n = best.sent;
        double jvm = (best.cpu1.jvmNanos() - best.cpu0.jvmNanos()) / n / 1e3;
        double jit = best.jitNanos() / n / 1e3;
        double pg = Math.max(0, best.cpu1.pgSince(best.cpu0)) / n / 1e3;
        double fakes = Math.max(0, best.cpu1.fakesSince(best.cpu0)) / n / 1e3;
        double budget = cores * 1e6 / TARGET_RATE;
        summary.add(String.format(Locale.ROOT, "1a (its faster run, %s): the machine was %s busy (other processes %s). Per push, Herald's JVM used "
                        + "%.0f µs of CPU (%.0f µs of it the JIT, still compiling), PostgreSQL %.0f µs and the fakes %.0f µs: %.0f µs in all, so %d cores "
                        + "allow at most %,.0f pushes/s here, %,.0f/s for Herald alone with the providers elsewhere. %,.0f pushes/s on %d cores leaves "
                        + "%.0f µs of CPU per push for everything.", rate(best), busyShare(best.cpu0, best.cpu1), otherShare(best.cpu0, best.cpu1),
                jvm, jit, pg, fakes, jvm + pg + fakes, cores, cores * 1e6 / (jvm + pg + fakes), cores * 1e6 / (jvm + pg), TARGET_RATE, cores, budget));
        Map<String, Long> threads = new TreeMap<>();
        best.threads1.forEach((k, v) -> threads.put(k, v - best.threads0.getOrDefault(k, 0L)));
        summary.add(String.format(Locale.ROOT, "Of the JVM's CPU per push in that run: %.0f µs on the virtual threads' carriers (building each request and "
                        + "its JSON, the HTTP client's send path, Herald's API), %.0f µs in the JDK HttpClients' worker pools (their default executor, "
                        + "completing each response), %.0f µs on their selector threads (TLS, HTTP/2 frames: FCM), %.0f µs on pushy's event loop "
                        + "(TLS, HTTP/2 frames: APNs), %.0f µs in GC threads, %.0f µs on the pusher thread (cursor rows, recording).",
                micros(threads, "ForkJoinPool", n), micros(threads, "HttpClient-N-Wo", n), micros(threads, "HttpClient-N-Se", n),
                micros(threads, "apns-N-N", n), micros(threads, "GC Thread", n) + micros(threads, "GN Conc", n) + micros(threads, "GN Refine", n),
                micros(threads, "pusher", n)));
        long[] waitShare = best.stacks.shares("awaitAll", "PostgreSQL driver");
        summary.add(String.format(Locale.ROOT, "The pusher works through a job in batches of 500, up to three under way at a time: in that run %.0f %% of its samples were in "
                        + "`Pusher.awaitAll` (waiting for a batch's answers while the next one's requests go out too) and %.0f %% in the PostgreSQL driver (reading the device cursor, recording "
                        + "batches); a batch took %s on average. %s",
                100.0 * waitShare[0] / Math.max(1, waitShare[2]), 100.0 * waitShare[1] / Math.max(1, waitShare[2]),
                fmtMs(best.jobMs / Math.max(1, (best.devices + 499) / 500)),
                busyFraction(best.cpu0, best.cpu1) >= 0.85
                        ? "The cores were busy throughout, so the batches' sends were limited by CPU (the fakes answer at once on loopback)."
                        : "The cores had idle time, so the job also waited on something other than CPU."));
        double webJvm = (web.cpu1.jvmNanos() - web.cpu0.jvmNanos()) / Math.max(1.0, web.sent) / 1e3;
        Map<String, Long> webThreads = new TreeMap<>();
        web.threads1.forEach((k, v) -> webThreads.put(k, v - web.threads0.getOrDefault(k, 0L)));
        summary.add(String.format(Locale.ROOT, "Web Push (1b): %.0f µs of JVM CPU per push (%.0f µs on the carriers, where each message is encrypted: a fresh "
                        + "P-256 key pair, ECDH, HKDF, AES-GCM), against %.0f µs for an APNs/FCM push in 1a: %,.0f pushes/s at most on %d cores for Web Push alone.",
                webJvm, micros(webThreads, "ForkJoinPool", Math.max(1, web.sent)), jvm, cores * 1e6 / webJvm, cores));
        long[] cold = idle[1].fakesDelta();
        summary.add(String.format(Locale.ROOT, "1d: the 1,000-device job took %s right after other pushes and %s after %d s without any; meanwhile the "
                        + "JDK HttpClient (FCM) had closed its idle HTTP/2 connection (pushy keeps the APNs one open with pings), and the fakes then "
                        + "accepted %d new TLS connections to APNs and %d to FCM "
                        + "for that one job%s.", millis(idle[0].wallNanos), millis(idle[1].wallNanos), IDLE_SECONDS, cold[5], cold[6],
                cold[5] + cold[6] > 2 ? " (one per provider would do: the requests of a batch that start before a connection is up each open their own)" : ""));
    }

    private static double micros(Map<String, Long> ticksByThread, String prefix, double pushes) {
        long ticks = 0;
        for (var e : ticksByThread.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                ticks += e.getValue();
            }
        }
        return ticks * Cpu.TICK_NANOS / pushes / 1e3;
    }

    private void reportHeap(HeapRuns heap) {
        Stats idle = Stats.of(heap.idle().used);
        Stats before = Stats.of(HeapSampler.all(heap.smallBefore()));
        Stats big = Stats.of(heap.big().heap.used);
        Stats after = Stats.of(HeapSampler.all(heap.smallAfter()));
        double growth = 100.0 * (big.max() - before.max()) / before.max();
        double medianGrowth = 100.0 * (big.p50() - before.p50()) / before.p50();
        double p90Growth = 100.0 * (big.p90() - before.p90()) / before.p90();
        row("2 heap in use after a full GC, max while " + heap.smallBefore().size() + " jobs of " + fmt(SMALL) + " devices ran (" + before.n() + " samples)",
                mib(before.max()), "", "");
        row("2 heap in use after a full GC, max while the job of " + fmt(heap.big().devices) + " devices ran (" + big.n() + " samples)",
                mib(big.max()), "", "");
        row("2 heap growth, " + fmt(SMALL) + " → " + fmt(heap.big().devices) + " devices, of the max (of the 90th percentile; of the median)",
                String.format(Locale.ROOT, "%+.1f %% (%+.1f %%; %+.1f %%)", growth, p90Growth, medianGrowth),
                "≤ " + (int) TARGET_HEAP_GROWTH_PERCENT + " %", passFail(growth <= TARGET_HEAP_GROWTH_PERCENT && heap.big().complete));
        row("2 (leak check) max after a full GC while " + HEAP_SMALL_AFTER + " more jobs of " + fmt(SMALL) + " devices ran, after the big one ("
                + after.n() + " samples)", mib(after.max()), "", "");
        StringBuilder t = new StringBuilder("Heap in use right after each forced full GC (MiB): \n\n"
                + "| When | Samples | min | median | 90th percentile | max | Full GC pause, median |\n|---|---|---|---|---|---|---|\n");
        t.append(heapRow("idle, before the jobs (1.5 s)", heap.idle().used, heap.idle().pauses));
        t.append(heapRow(heap.smallBefore().size() + " jobs of " + fmt(SMALL) + " devices", HeapSampler.all(heap.smallBefore()), pauses(heap.smallBefore())));
        t.append(heapRow("the job of " + fmt(heap.big().devices) + " devices", heap.big().heap.used, heap.big().heap.pauses));
        t.append(heapRow(HEAP_SMALL_AFTER + " jobs of " + fmt(SMALL) + " devices, after the big one", HeapSampler.all(heap.smallAfter()), pauses(heap.smallAfter())));
        diagnosis.append("### Heap\n\n").append(t).append('\n')
                .append(String.format(Locale.ROOT, "Samples are taken %d ms into a batch, at most every %d ms plus the GC's pause. With these forced "
                                + "GCs the %s-device job took %s (%s) and the %s-device jobs %s each (median; POST → last push recorded, most of it the "
                                + "outbox and the job's start). Idle: the heap after a full GC with nothing running (median %s).%n%n",
                        HeapSampler.IN_BATCH_MILLIS, GC_GAP_MILLIS, fmt(heap.big().devices), millis(heap.big().wallNanos), rate(heap.big()), fmt(SMALL),
                        millis(medianWall(heap.smallBefore())), mib(idle.p50())));
    }

    private static LongList pauses(List<Job> jobs) {
        LongList out = new LongList();
        jobs.forEach(j -> out.addAll(j.heap.pauses));
        return out;
    }

    private static long medianWall(List<Job> jobs) {
        long[] w = jobs.stream().mapToLong(j -> j.wallNanos).sorted().toArray();
        return w[w.length / 2];
    }

    private static String heapRow(String what, LongList used, LongList pauses) {
        Stats s = Stats.of(used);
        Stats p = Stats.of(pauses);
        return String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s |%n", what, s.n(), mib(s.min()), mib(s.p50()), mib(s.p90()), mib(s.max()),
                millis((long) p.p50()));
    }

    private static String mix(Job j) {
        List<String> parts = new ArrayList<>();
        j.platforms.forEach((platform, n) -> parts.add(fmt(n) + " " + switch (platform) {
            case "ios" -> "APNs";
            case "android" -> "FCM";
            default -> "Web Push";
        }));
        return String.join(" + ", parts);
    }

    private void report(List<Job> mobile, Job web, Job mixed, HeapRuns heap) throws IOException {
        StringBuilder table = new StringBuilder("| Metric | Value | Target | Result |\n|---|---|---|---|\n");
        for (String[] r : rows) {
            table.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        System.out.println();
        System.out.println(table);
        notes.forEach(n -> System.out.println("- " + n));
        System.out.println();
        summary.forEach(n -> System.out.println("- " + n));

        String pg = jdbi.withHandle(h -> h.createQuery("select version()").mapTo(String.class).one());
        var os = ManagementFactory.getOperatingSystemMXBean();
        long ramBytes = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : -1;
        String cpu = cpuModel();
        StringBuilder md = new StringBuilder();
        md.append("# Herald push benchmark (`bench/push`)\n\n")
                .append("Generated by `bench/push/run.sh`; this file is overwritten on every run.\n\n")
                .append("- Date: ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)).append('\n')
                .append("- Command: `").append(System.getProperty("bench.command", "bench/push/run.sh")).append("`, which runs `")
                .append(System.getProperty("bench.java", "java -Xmx4g -cp \"target/herald.jar:target/libs/*\" bench/push/PushBench.java"))
                .append("`, which starts the fakes as `java -Xmx1g -cp \"bench/push/lib/*\" bench/push/FakeProviders.java …`\n")
                .append("- Herald revision: `").append(System.getProperty("bench.revision", "unknown"))
                .append("` (`-dirty`: uncommitted changes were built)\n")
                .append("- JDK: ").append(System.getProperty("java.vm.vendor")).append(' ').append(System.getProperty("java.vm.name"))
                .append(' ').append(System.getProperty("java.runtime.version")).append(", max heap ")
                .append(Runtime.getRuntime().maxMemory() >> 20).append(" MiB, ")
                .append(ManagementFactory.getGarbageCollectorMXBeans().stream().map(g -> g.getName()).toList()).append('\n')
                .append("- Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores")
                .append(cpu == null ? "" : " (" + cpu + ")")
                .append(ramBytes > 0 ? ", " + Math.round(ramBytes / (1024.0 * 1024 * 1024)) + " GiB RAM" : "")
                .append(", ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append("; shared: the benchmark waits until no other benchmark (").append(OTHER_BENCHMARKS.replace("|", ", "))
                .append(") runs before each job, and reports the CPU other processes used during each\n")
                .append("- Database: ").append(externalDb ? "external (HERALD_BENCH_DATABASE_URL), " : "embedded (zonky), temporary data directory, ")
                .append(pg).append('\n')
                .append("- Herald: in the benchmark's JVM, started with `Main.start(new Config(\"127.0.0.1\", port, …, \"ha_bench_admin\", ")
                .append(HERALD_WORKERS).append(" workers, ").append(HERALD_POOL).append(" pooled connections (Herald's defaults), …, new Config.Push(")
                .append("fake APNs, fake APNs, fake FCM, the fakes' certificate as trustPem, allowPrivate = true, \"mailto:bench@herald.invalid\")))`; ")
                .append("APNs and FCM credentials put through the admin API (an EC P-256 key; a service account with an RSA 2048 key whose ")
                .append("token_uri is the fake's), VAPID keys made by Herald.\n")
                .append("- Fakes: a second JVM (`-Xmx1g`, `bench/push/FakeProviders.java`), three HTTP/2-over-TLS servers on 127.0.0.1 ")
                .append("(Netty ").append(System.getProperty("bench.netty", "4.2")).append(" HTTP/2 frame codec on one event-loop thread; ALPN h2; ")
                .append("TLS by BoringSSL from netty-tcnative-boringssl-static, or the JDK's where that native library does not load (the fakes ")
                .append("print which); a self-signed P-256 certificate made with keytool; TCP_NODELAY): ")
                .append("APNs (`POST /3/device/{token}` → 200 with an apns-id), FCM (`POST /token` → an access token for 3600 s; ")
                .append("`POST /v1/projects/…/messages:send` → 200 with a message name) and a Web Push service (`POST /push/{id}` → 201 with a Location; ")
                .append("the aes128gcm body read and dropped). Each checks the request carries its provider's authorization header ")
                .append("(else 400, counted), counts the TLS connections it accepts, and answers at once, flushing once per socket read. ")
                .append("(Until 2026-12-04 they were Helidon WebServers, which took 42 µs of CPU per push on these cores: more than a ")
                .append("third of what 2 cores allow per push at 20,000/s.)\n");
        if (BIG != 100_000 || WEB != 10_000 || RATE_REPEATS != 2 || !WAIT_FOR_OTHERS || THREAD_DUMPS) {
            md.append("- **Non-default settings (trial run, not the benchmark):** devices ").append(BIG).append(", web ").append(WEB)
                    .append(", 1a runs ").append(RATE_REPEATS).append(", wait for other benchmarks ").append(WAIT_FOR_OTHERS)
                    .append(", thread dumps during the rate jobs ").append(THREAD_DUMPS).append('\n');
        }
        md.append("\n## Results\n\n").append(table).append('\n');
        notes.forEach(n -> md.append("- ").append(n).append('\n'));
        md.append("\n## Summary (computed from this run's figures)\n\n");
        summary.forEach(n -> md.append("- ").append(n).append('\n'));
        md.append("\n## What is measured, and how\n\n")
                .append("- **Data.** ").append(fmt(BIG + WEB)).append(" users inserted with set-based SQL, each with one device: ").append(fmt(BIG / 2))
                .append(" iPhones (APNs, production, 64-hex tokens), ").append(fmt(BIG - BIG / 2)).append(" Android phones (FCM, 163-character tokens), ")
                .append(fmt(WEB)).append(" browsers (Web Push; each subscription its own P-256 key and auth secret, as a browser makes them). ")
                .append("Device ids are random-looking, like Herald's, so a job's id order mixes platforms. Each experience has its own product; ")
                .append("memberships (set-based SQL, before any notification) decide who is in it: *big* = the ").append(fmt(BIG)).append(" mobile users, ")
                .append("*web* = the ").append(fmt(WEB)).append(" browser users, *mixed* = ").append(fmt(BIG - WEB)).append(" mobile + ").append(fmt(WEB))
                .append(" browser users, *small* = ").append(fmt(SMALL)).append(" mobile users (half APNs, half FCM, like *big*), *warm* = ")
                .append(fmt(WARM_MOBILE)).append(" mobile + ").append(fmt(WARM_WEB)).append(" browser users.\n")
                .append("- **1. Rate.** One `POST /api/v1/notifications {experience_id, title, content}` with an app key; the clock runs from just before ")
                .append("the POST until a poll of `push_jobs`/`push_counts` every ").append(POLL_MILLIS).append(" ms (one dedicated JDBC connection) ")
                .append("sees the job done — Herald marks it so right after recording its last batch, having counted its devices batch by batch; ")
                .append("the rate is pushes sent ÷ that time, and sent must equal the devices counted. ")
                .append("It includes the outbox delivering the notification, the pusher claiming the job, and every batch's ")
                .append("reading, sending and recording. Afterwards `GET /api/v1/notifications/{id}/delivery` must say done, and the fakes' request counters ")
                .append("must match. Before each job: no push job open, the outbox empty, no other benchmark running, then one notification to a ")
                .append("3-device experience, so the provider connections are open as on a server that keeps pushing (the JDK HttpClient closes an ")
                .append("HTTP/2 connection idle for 30 s, and the waits can be longer). 1a runs ").append(RATE_REPEATS).append(" times; 1b and 1c once.\n")
                .append("- **1d. After an idle spell.** The *small* job right after the others, then again after ").append(IDLE_SECONDS)
                .append(" s without any push (no keep-alive notification first); the fakes count the TLS connections they accept.\n")
                .append("- **2. Heap.** The *small* (").append(fmt(SMALL)).append(" devices) and *big* (").append(fmt(BIG))
                .append(" devices) jobs — the same kind of job, same platforms — while a sampler thread in Herald's JVM, from just before the POST ")
                .append("until the last push is recorded, watches the pusher thread's stack (every millisecond) and, ").append(HeapSampler.IN_BATCH_MILLIS)
                .append(" ms after the pusher starts waiting for a batch (enters `Pusher.awaitAll`: 500 requests being built, sent and answered), ")
                .append("forces a full GC (`System.gc()`; G1 collects and compacts the whole heap), then waits ").append(GC_GAP_MILLIS)
                .append(" ms and watches for the next batch to start. Each sample is the heap in use right after that collection, as the ")
                .append("collector's `GcInfo` reports it (live data only: nothing allocated after the GC). Sampling at the same point of a batch ")
                .append("(rather than every so many ms) makes the samples of both job sizes comparable: a small job spends most of its time ")
                .append("outside its 2 batches, so samples at random times would compare a mostly idle heap with a busy one. The figure for a ")
                .append("job size is the largest sample while such jobs ran (the 90th percentile and the median are shown too). The small jobs run first, one after the ")
                .append("other, until they have given about as many samples as the big job is expected to (at most ").append(HEAP_SMALL_MAX.toSeconds())
                .append(" s of them), because the largest of many samples tends to be larger than the largest of few. ")
                .append("Growth = (max during the big job − max during the small jobs) ÷ max during the small jobs. ")
                .append("Then ").append(HEAP_SMALL_AFTER).append(" more small jobs show whether anything the big job left stays reachable. ")
                .append("These jobs run slower than in 1 (the forced GCs stop the world); their rates are not the rate figures.\n");
        md.append("\n## Diagnosis\n\n").append(diagnosis);
        md.append("\n## Setup\n\n| Step | Time |\n|---|---|\n");
        setupTimings.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        Path out = Path.of("bench/results/push.md");
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

    private static String rate(Job j) {
        return String.format(Locale.ROOT, "%,.0f pushes/s", j.rate());
    }

    // ------------------------------------------------------------------ HTTP helpers

    private JsonNode admin(String path, Object body) {
        return call("POST", base + path, ADMIN_TOKEN, body, 201);
    }

    private JsonNode call(String method, String url, String token, Object body, int expect) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json(body)))
                .build();
        return send(request, method + " " + url, expect);
    }

    private JsonNode get(String url, String token) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token).GET().build(),
                "GET " + url, 200);
    }

    private JsonNode send(HttpRequest request, String what, int expect) {
        try {
            HttpResponse<String> resp = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() != expect) {
                throw new IllegalStateException(what + " → " + resp.statusCode() + " " + resp.body());
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

    static String pem(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    // ------------------------------------------------------------------ the fake providers (a second JVM)

    /** The fakes' JVM as seen from the benchmark: its ports, request counters and CPU. */
    static final class FakesProcess implements AutoCloseable {
        final Process process;
        final int apnsPort;
        final int fcmPort;
        final int webPort;
        final int controlPort;
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        private FakesProcess(Process process, int[] ports) {
            this.process = process;
            this.apnsPort = ports[0];
            this.fcmPort = ports[1];
            this.webPort = ports[2];
            this.controlPort = ports[3];
        }

        static FakesProcess start(Path trustPem) throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String classpath = System.getProperty("bench.fakes.classpath", "bench/push/lib/*");
            String source = System.getProperty("bench.fakes.source", "bench/push/FakeProviders.java");
            log("starting the fake providers: " + java + " -Xmx1g -cp " + classpath + " " + source + " " + trustPem);
            Process process = new ProcessBuilder(java, "-Xmx1g", "-XX:ErrorFile=" + System.getProperty("java.io.tmpdir") + "/hs_err_pushbench_fakes_%p.log",
                    "--enable-native-access=ALL-UNNAMED", "-cp", classpath, source, trustPem.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<int[]> ready = CompletableFuture.supplyAsync(() -> {
                try {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("FAKES ")) {
                            return Arrays.stream(line.substring(6).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
                        }
                        System.err.println("[fakes] " + line);
                    }
                    throw new IllegalStateException("the fakes' JVM ended before it was ready (exit " + process.waitFor() + ")");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            int[] ports;
            try {
                ports = ready.get(180, TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
                throw new IllegalStateException("the fake providers did not start", e);
            }
            Thread.ofPlatform().daemon().name("fakes-stdout").start(() -> {
                try {
                    String line;
                    while ((line = out.readLine()) != null) {
                        System.err.println("[fakes] " + line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy)); // e.g. on Ctrl-C
            return new FakesProcess(process, ports);
        }

        long pid() {
            return process.pid();
        }

        /**
         * APNs pushes, FCM sends, FCM token requests, Web Push pushes, requests rejected as malformed; then the connections
         * the APNs, FCM and Web Push fakes have accepted so far.
         */
        long[] counts() {
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controlPort + "/counts")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                return Arrays.stream(r.body().trim().split(" ")).mapToLong(Long::parseLong).toArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            try {
                process.getOutputStream().close(); // the fakes stop when their standard input ends
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
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

        /** The groups that used at least 2 % of the JVM's CPU between the two snapshots, per push. */
        static String table(Map<String, Long> from, Map<String, Long> to, long pushes) {
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
            StringBuilder out = new StringBuilder("| Threads | Share of JVM CPU | CPU / push |\n|---|---|---|\n");
            long shown = 0;
            for (var e : diff.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).toList()) {
                if (e.getValue() * 50 < all) {
                    continue;
                }
                shown += e.getValue();
                out.append(String.format(Locale.ROOT, "| `%s` | %.0f %% | %.1f µs |%n", e.getKey(), 100.0 * e.getValue() / all,
                        e.getValue() * Cpu.TICK_NANOS / Math.max(1, pushes) / 1e3));
            }
            out.append(String.format(Locale.ROOT, "| (others, each < 2 %%) | %.0f %% | %.1f µs |%n", 100.0 * (all - shown) / all,
                    (all - shown) * Cpu.TICK_NANOS / Math.max(1, pushes) / 1e3));
            return out.append('\n').toString();
        }
    }

    /**
     * CPU counters: this JVM's CPU time; per postgres process (the postmaster of Herald's database and its children) its
     * CPU ticks; the fakes' JVM's ticks; the machine as a whole (ticks). Differences are taken per process over those alive
     * at the later snapshot.
     */
    record Cpu(long jvmNanos, Map<Integer, Long> pg, long fakesTicks, long machineBusyTicks, long machineTicks) {
        static final double TICK_NANOS = 1e9 / 100; // USER_HZ, 100 on Linux
        static volatile int postmaster = -1;
        static volatile long fakesPid = -1;

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

        long pgSince(Cpu from) {
            if (pg == null || from.pg == null) {
                return -1;
            }
            long ticks = 0;
            for (var e : pg.entrySet()) {
                ticks += e.getValue() - from.pg.getOrDefault(e.getKey(), 0L);
            }
            return (long) (ticks * TICK_NANOS);
        }

        long fakesSince(Cpu from) {
            return fakesTicks < 0 || from.fakesTicks < 0 ? -1 : (long) ((fakesTicks - from.fakesTicks) * TICK_NANOS);
        }

        static Cpu now() {
            long jvm = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                    ? os.getProcessCpuTime() : -1;
            Map<Integer, Long> pg = new HashMap<>();
            int master = postmaster;
            try (Stream<Path> procs = master < 0 ? Stream.empty() : Files.list(Path.of("/proc"))) {
                for (Path p : (Iterable<Path>) procs::iterator) {
                    if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        String stat = Files.readString(p.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        int pid = Integer.parseInt(p.getFileName().toString());
                        if (pid != master && Integer.parseInt(f[1]) != master) {
                            continue;
                        }
                        pg.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
                    } catch (IOException | RuntimeException e) {
                        // the process ended meanwhile
                    }
                }
            } catch (IOException e) {
                pg.clear();
            }
            long fakes = -1;
            if (fakesPid > 0) {
                try {
                    String stat = Files.readString(Path.of("/proc/" + fakesPid + "/stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    fakes = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                } catch (IOException | RuntimeException e) {
                    fakes = -1;
                }
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
            return new Cpu(jvm, pg.isEmpty() ? null : pg, fakes, busy, all);
        }
    }

    /** The machine's busy time not spent by this JVM, the postgres processes or the fakes, as a share of all cores. */
    private static String otherShare(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        if (total <= 0 || to.pgSince(from) < 0) {
            return "n/a";
        }
        double ownTicks = ((to.jvmNanos() - from.jvmNanos()) + to.pgSince(from) + Math.max(0, to.fakesSince(from))) / Cpu.TICK_NANOS;
        return String.format(Locale.ROOT, "%.0f %%", Math.max(0, 100.0 * ((to.machineBusyTicks() - from.machineBusyTicks()) - ownTicks) / total));
    }

    /** The same as a fraction of all cores (0 when unknown). */
    private static double otherFraction(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        if (total <= 0) {
            return 0;
        }
        double ownTicks = ((to.jvmNanos() - from.jvmNanos()) + Math.max(0, to.pgSince(from)) + Math.max(0, to.fakesSince(from))) / Cpu.TICK_NANOS;
        return Math.max(0, ((to.machineBusyTicks() - from.machineBusyTicks()) - ownTicks) / total);
    }

    private static double busyFraction(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        return total <= 0 ? 0 : (double) (to.machineBusyTicks() - from.machineBusyTicks()) / total;
    }

    private static String busyShare(Cpu from, Cpu to) {
        long total = to.machineTicks() - from.machineTicks();
        return total <= 0 ? "n/a" : String.format(Locale.ROOT, "%.0f %%", 100.0 * (to.machineBusyTicks() - from.machineBusyTicks()) / total);
    }

    // ------------------------------------------------------------------ statistics and formatting

    static final class LongList {
        private long[] values = new long[64];
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

    /** Nearest-rank statistics of raw values. */
    record Stats(int n, double min, double p50, double p90, double max) {
        static Stats of(LongList list) {
            long[] s = list.sorted();
            if (s.length == 0) {
                return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Stats(s.length, s[0], rank(s, 0.5), rank(s, 0.9), s[s.length - 1]);
        }

        private static long rank(long[] sorted, double q) {
            return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
        }
    }

    static String mib(double bytes) {
        return Double.isNaN(bytes) ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    static String summary(String sql) {
        String flat = sql.replaceAll("\\s+", " ").strip();
        return (flat.length() > 100 ? flat.substring(0, 100) + " …" : flat).replace("|", "\\|");
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

    static String fmt(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String secondsSince(long t0) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    static void log(String message) {
        System.err.println("[bench " + java.time.LocalTime.now().withNano(0) + "] " + message);
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
