package dev.herald.push;

import dev.herald.Config;
import dev.herald.web.Json;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The provider senders, built from stored credentials: an app's own when it has them, else the
 * instance's. Built once and reused (each holds its HTTP/2 connection and token caches); rebuilt
 * when credentials change, here or (seen through {@link PushStore#credentialsVersion}) on another node.
 */
final class Senders implements AutoCloseable {
    /** Where each platform's pushes go. */
    enum Provider {
        APNS("apns"), FCM("fcm"), VAPID("vapid");

        final String wire;

        Provider(String wire) {
            this.wire = wire;
        }

        static Provider of(String platform) {
            return switch (platform) {
                case "ios" -> APNS;
                case "android" -> FCM;
                default -> VAPID;
            };
        }
    }

    private record Key(String appId, Provider provider) {
    }

    private final PushStore store;
    private final Config.Push config;
    private final Vapid vapid;
    /** The certificates to trust, or null for the JDK's default roots. */
    private final List<X509Certificate> trusted;
    private final HttpClient http;
    /** APNs connections (pushy, on Netty): one event loop thread is plenty for a few multiplexed connections. */
    private final EventLoopGroup apnsLoop = new NioEventLoopGroup(1, new DefaultThreadFactory("apns", true));
    private final Map<Key, Optional<PushSender>> built = new ConcurrentHashMap<>();
    private volatile String version = "";

    Senders(PushStore store, Config.Push config, Vapid vapid) {
        this.store = store;
        this.config = config;
        this.vapid = vapid;
        this.trusted = trustedCertificates(config);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(sslContext(trusted))
                // Responses complete on virtual threads, not handed to a pool of platform threads: -20 % CPU per push.
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Drops senders built from credentials that changed since; cheap, call before each job. */
    void refresh() {
        String now = store.credentialsVersion();
        if (!now.equals(version)) {
            version = now;
            List<Optional<PushSender>> old = new ArrayList<>(built.values());
            built.clear();
            old.forEach(Senders::close);
        }
    }

    PushOutcome send(PushStore.DeviceRow device, PushMessage message) {
        Provider provider = Provider.of(device.platform());
        Optional<PushSender> sender = sender(device.appId(), provider);
        if (sender.isEmpty()) {
            return new PushOutcome.Failed("No " + provider.wire + " credentials are configured for "
                    + (device.appId() == null ? "this instance" : "app " + device.appId() + " or this instance") + ".");
        }
        return sender.get().send(device.device(), message);
    }

    private Optional<PushSender> sender(String appId, Provider provider) {
        Optional<PushSender> own = appId == null ? Optional.empty() : built.computeIfAbsent(new Key(appId, provider), this::build);
        return own.isPresent() ? own : built.computeIfAbsent(new Key(null, provider), this::build);
    }

    private Optional<PushSender> build(Key key) {
        if (key.provider() == Provider.VAPID) {
            return Optional.of(new WebPushSender(vapid.keys(key.appId()), config.vapidSubject(), http, config.allowPrivate()));
        }
        return store.findCredentials(key.appId(), key.provider().wire).map(row -> switch (key.provider()) {
            case APNS -> new ApnsSender(ApnsCredentials.parse((String) row.config().get("private_key"),
                    (String) row.config().get("key_id"), (String) row.config().get("team_id")),
                    config.apnsUrl(), config.apnsSandboxUrl(), trusted, apnsLoop);
            case FCM -> new FcmSender(FcmCredentials.parse(Json.string(row.config().get("service_account"))), config.fcmUrl(), http);
            case VAPID -> throw new IllegalStateException("handled above");
        });
    }

    /** The JDK's trusted roots plus the operator's extra certificates (HERALD_PUSH_TRUST_PEM); null when there are none. */
    private static List<X509Certificate> trustedCertificates(Config.Push config) {
        if (config.trustPem() == null) {
            return null;
        }
        try {
            List<X509Certificate> trusted = new ArrayList<>();
            try (InputStream in = Files.newInputStream(config.trustPem())) {
                for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trusted.add((X509Certificate) cert);
                }
            }
            TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            defaults.init((KeyStore) null);
            for (var manager : defaults.getTrustManagers()) {
                if (manager instanceof javax.net.ssl.X509TrustManager x509) {
                    trusted.addAll(List.of(x509.getAcceptedIssuers()));
                }
            }
            return List.copyOf(trusted);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Could not load HERALD_PUSH_TRUST_PEM " + config.trustPem() + ": " + e.getMessage(), e);
        }
    }

    private static SSLContext sslContext(List<X509Certificate> trusted) {
        try {
            if (trusted == null) {
                return SSLContext.getDefault();
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                trust.setCertificateEntry("trusted-" + i, trusted.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Could not set up TLS for the push providers: " + e.getMessage(), e);
        }
    }

    /** Only APNs senders hold connections of their own; the others share {@link #http}. */
    private static void close(Optional<PushSender> sender) {
        if (sender.isPresent() && sender.get() instanceof ApnsSender apns) {
            apns.close();
        }
    }

    @Override
    public void close() {
        built.values().forEach(Senders::close);
        built.clear();
        apnsLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
