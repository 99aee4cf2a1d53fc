package dev.herald;

import dev.herald.auth.AdminToken;
import dev.herald.auth.AuthStore;
import dev.herald.auth.Authenticator;
import dev.herald.auth.KeyRoutes;
import dev.herald.auth.KeyService;
import dev.herald.chat.ChannelService;
import dev.herald.chat.ChatAccess;
import dev.herald.chat.ChatCache;
import dev.herald.chat.ChatRoutes;
import dev.herald.chat.ChatStore;
import dev.herald.chat.DmRoutes;
import dev.herald.chat.DmService;
import dev.herald.chat.DmStore;
import dev.herald.chat.MessageService;
import dev.herald.chat.MessageWriter;
import dev.herald.chat.ReactionRoutes;
import dev.herald.chat.ReactionService;
import dev.herald.chat.ReactionStore;
import dev.herald.chat.SupportRoutes;
import dev.herald.chat.SupportService;
import dev.herald.chat.SupportStore;
import dev.herald.db.Database;
import dev.herald.db.EmbeddedDatabase;
import dev.herald.db.PgListener;
import dev.herald.demo.DemoSeed;
import dev.herald.directory.DirectoryRoutes;
import dev.herald.events.Events;
import dev.herald.directory.AccessChanges;
import dev.herald.directory.DirectoryService;
import dev.herald.directory.DirectoryStore;
import dev.herald.files.FileRoutes;
import dev.herald.files.FileService;
import dev.herald.files.FileStore;
import dev.herald.files.LocalDiskStorage;
import dev.herald.notify.FeedCache;
import dev.herald.push.PushRoutes;
import dev.herald.push.PushService;
import dev.herald.push.PushStore;
import dev.herald.push.Pusher;
import dev.herald.notify.FeedService;
import dev.herald.notify.FeedStore;
import dev.herald.notify.LegacyRoutes;
import dev.herald.notify.NotificationDelivery;
import dev.herald.notify.NotificationRoutes;
import dev.herald.notify.NotificationService;
import dev.herald.notify.NotificationStore;
import dev.herald.ops.OpsRoutes;
import dev.herald.ops.RequestMetrics;
import dev.herald.realtime.ChannelEvents;
import dev.herald.realtime.Gateway;
import dev.herald.realtime.RealtimeHub;
import dev.herald.realtime.RealtimeRoutes;
import dev.herald.realtime.RealtimeStore;
import dev.herald.web.ApiException;
import dev.herald.web.Http;
import dev.herald.webhook.WebhookFanout;
import dev.herald.webhook.WebhookRoutes;
import dev.herald.webhook.WebhookSender;
import dev.herald.webhook.WebhookService;
import dev.herald.webhook.WebhookStore;
import dev.herald.work.OutboxWorkers;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Herald's entry point and its only wiring: plain constructors, no container. */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        configureLogging();
        Config config;
        try {
            config = Config.from(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("herald: " + e.getMessage());
            System.exit(2);
            return;
        }
        Running herald = start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(herald::close, "herald-shutdown"));
        // The embedded PostgreSQL registers a shutdown hook of its own, which the JVM would run at the same time as ours:
        // the database went away under the workers still finishing their batches. On SIGTERM and SIGINT Herald stops
        // first, in order, and only then lets the JVM exit (and run the hooks, which find everything stopped).
        for (String name : List.of("TERM", "INT")) {
            // On a thread of its own that is not a daemon (the signal's is) and that exits the JVM itself: once the
            // server's threads had ended, the JVM would otherwise begin its own exit (status 0) while Herald was still
            // stopping. A second signal exits at once: the hooks then stop the database.
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> Thread.ofPlatform().name("herald-stop").daemon(false).start(() -> {
                herald.close();
                System.exit(128 + signal.getNumber());
            }));
        }
        System.out.println("Herald is listening on http://" + config.host() + ":" + herald.port()
                + "  (API base: " + config.publicUrl() + "/api/v1)");
        System.out.println("Realtime WebSocket: ws://" + config.host() + ":" + herald.realtimePort() + "/api/v1/realtime");
        if (herald.adminToken().generated()) {
            System.out.println("Generated an admin token (kept in " + herald.adminToken().file() + "): " + herald.adminToken().token());
        } else if (herald.adminToken().file() != null) {
            System.out.println("Admin token: kept in " + herald.adminToken().file());
        }
        if (config.demo()) {
            System.out.println(DemoSeed.ensure(herald.services(), config).describe(config.publicUrl()));
        }
    }

    private static void configureLogging() {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        try (var in = Main.class.getResourceAsStream("/logging.properties")) {
            java.util.logging.LogManager.getLogManager().readConfiguration(in);
        } catch (java.io.IOException e) {
            System.err.println("herald: could not read logging.properties: " + e.getMessage());
        }
    }

    /** Everything a request handler may call, built once. */
    public record Services(
            Authenticator auth,
            DirectoryService directory,
            KeyService keys,
            NotificationService notifications,
            FeedService feed,
            FileService files,
            ChannelService channels,
            MessageService messages,
            SupportService support,
            DmService dms,
            ReactionService reactions,
            WebhookService webhooks,
            PushService push,
            RealtimeHub realtime,
            Database database,
            PrometheusMeterRegistry metrics,
            AtomicBoolean draining) {
    }

    /** Starts the database, the workers and the HTTP server; {@link Running#close()} stops them in reverse. */
    public static Running start(Config config) {
        EmbeddedDatabase embedded = config.databaseUrl() == null ? EmbeddedDatabase.start(config.dataDir()) : null;
        Database database = Database.connect(
                embedded != null ? embedded.target() : Database.JdbcTarget.parse(config.databaseUrl()), config.dbPoolSize());
        AdminToken.Resolved adminToken = AdminToken.resolve(config.adminToken(), config.dataDir());

        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);

        var jdbi = database.jdbi();
        DirectoryStore directoryStore = new DirectoryStore(jdbi);
        AuthStore authStore = new AuthStore(jdbi);
        Authenticator auth = new Authenticator(authStore, adminToken.token());
        NotificationStore notificationStore = new NotificationStore();
        // Subscribed in this order, so a change reaches the caches before the realtime hub that reads through them.
        PgListener listener = new PgListener(database);
        FeedCache feedCache = new FeedCache(listener, metrics);
        ChatStore chatStore = new ChatStore(jdbi);
        ChatCache chatCache = new ChatCache(listener, chatStore, directoryStore);
        DirectoryService directory = new DirectoryService(directoryStore, AccessChanges.all(feedCache, chatCache));
        NotificationService notifications = new NotificationService(jdbi, directoryStore, notificationStore, metrics);
        ChatAccess chatAccess = new ChatAccess(directoryStore, chatStore, chatCache);
        FileService files = new FileService(new FileStore(jdbi), new LocalDiskStorage(config.dataDir().resolve("files")),
                config.publicUrl(), chatAccess::canReadAttachment);
        WebhookStore webhookStore = new WebhookStore(jdbi);
        FeedStore feedStore = new FeedStore(jdbi);
        FeedService feed = new FeedService(feedStore, feedCache, config.publicUrl());
        PushStore pushStore = new PushStore(jdbi);
        RealtimeHub realtime = new RealtimeHub(listener, new RealtimeStore(jdbi), auth, chatAccess, feed, metrics);
        // Chat events go straight to these listeners in the change's transaction; directory events come through the outbox.
        Events events = new Events(List.of(new ChannelEvents(realtime), new WebhookFanout(webhookStore)));
        MessageWriter messageWriter = new MessageWriter(chatStore, notifications, events);
        Services services = new Services(
                auth,
                directory,
                new KeyService(authStore, directoryStore),
                notifications,
                feed,
                files,
                new ChannelService(chatStore, chatAccess, chatCache, directory),
                new MessageService(chatStore, chatAccess, files::requireUsable, messageWriter, events),
                new SupportService(new SupportStore(jdbi), chatAccess, directory),
                new DmService(new DmStore(jdbi), chatAccess, directory),
                new ReactionService(new ReactionStore(jdbi), chatStore, chatAccess, events),
                new WebhookService(webhookStore, directory, config.webhooksAllowPrivate()),
                new PushService(pushStore, feedStore, config.push().allowPrivate(), appId -> directoryStore.findApp(appId).isPresent(), feedCache),
                realtime,
                database,
                metrics,
                new AtomicBoolean(false));

        Pusher pusher = new Pusher(pushStore, feedStore, config, metrics);
        OutboxWorkers workers = new OutboxWorkers(database,
                Map.of(NotificationDelivery.KIND, new NotificationDelivery(notificationStore, metrics, pusher::enqueue),
                        Events.OUTBOX_KIND, events),
                config.workers(), metrics);
        workers.start();
        WebhookSender webhookSender = new WebhookSender(listener, webhookStore, config.webhooksAllowPrivate(), metrics);
        listener.start();
        webhookSender.start();
        realtime.start();
        pusher.start();

        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false)
                .maxPayloadSize(FileService.MAX_UPLOAD_BYTES * 2L)
                .routing(routing -> routing(routing, services))
                .build()
                .start();
        Gateway gateway = new Gateway(realtime, config.host(), config.realtimePort(), Runtime.getRuntime().availableProcessors(),
                Gateway.HEARTBEAT).start();
        return new Running(server, gateway,
                List.of(gateway, messageWriter, workers, listener, webhookSender, pusher, realtime),
                database, embedded, adminToken, services);
    }

    /** The whole HTTP surface; tests build the same routing. */
    public static void routing(HttpRouting.Builder routing, Services s) {
        routing.addFilter(new RequestMetrics(s.metrics()))
                .register(new OpsRoutes(s.database(), s.metrics(), s.draining()::get))
                .register("/api/v1", new KeyRoutes(s.auth(), s.keys()))
                .register("/api/v1", new DirectoryRoutes(s.auth(), s.directory()))
                .register("/api/v1", new RealtimeRoutes(s.realtime(), s.feed()))
                .register("/api/v1", new NotificationRoutes(s.auth(), s.notifications(), s.feed()))
                .register("/api/v1", new FileRoutes(s.auth(), s.files()))
                .register("/api/v1", new ChatRoutes(s.auth(), s.channels(), s.messages()))
                .register("/api/v1", new SupportRoutes(s.auth(), s.support()))
                .register("/api/v1", new DmRoutes(s.auth(), s.dms()))
                .register("/api/v1", new ReactionRoutes(s.auth(), s.reactions()))
                .register("/api/v1", new WebhookRoutes(s.auth(), s.webhooks()))
                .register("/api/v1", new PushRoutes(s.auth(), s.push()))
                .register("/api/v2", new LegacyRoutes(s.auth(), s.notifications()))
                .any((req, res) -> {
                    throw ApiException.notFound("No such endpoint: " + req.prologue().method().text() + " " + req.path().path(), null);
                })
                .error(ApiException.class, (req, res, e) -> Http.error(res, e))
                .error(Exception.class, (req, res, e) -> {
                    LOG.log(Level.SEVERE, "Unhandled error on " + req.prologue().method().text() + " " + req.path().path(), e);
                    Http.json(res, 500, Map.of("error", Map.of("type", "internal_server_error",
                            "code", "internal_server_error", "message", "An unexpected error occurred")));
                });
    }

    /** A started Herald. */
    public record Running(WebServer server, Gateway gateway, List<AutoCloseable> background, Database database, EmbeddedDatabase embedded,
                          AdminToken.Resolved adminToken, Services services) implements AutoCloseable {
        public int port() {
            return server.port();
        }

        /** The WebSocket gateway's port. */
        public int realtimePort() {
            return gateway.port();
        }

        /**
         * Graceful stop: refuse new work, let in-flight requests finish, then stop the background parts in
         * order (workers finish the batch they hold), then release the database.
         */
        @Override
        public void close() {
            if (services.draining().getAndSet(true)) {
                return; // stopped already (a signal, then the shutdown hook)
            }
            server.stop();
            for (AutoCloseable part : background) {
                try {
                    part.close();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "Could not stop " + part.getClass().getSimpleName(), e);
                }
            }
            database.close();
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
