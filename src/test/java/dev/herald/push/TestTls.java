package dev.herald.push;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1, made once per test run with the JDK's keytool (the JDK
 * has no public API to issue certificates), and a client SSLContext that trusts only it.
 */
record TestTls(PrivateKey key, X509Certificate certificate) {
    private static final char[] PASSWORD = "fake-apns".toCharArray();
    private static TestTls instance;

    static synchronized TestTls get() {
        if (instance == null) {
            instance = generate();
        }
        return instance;
    }

    SSLContext clientContext() {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("fake", certificate);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static TestTls generate() {
        try {
            Path dir = Files.createTempDirectory("herald-push-tls");
            Path store = dir.resolve("fake.p12");
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "fake",
                    "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                    "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
                    "-keystore", store.toString(), "-storetype", "PKCS12",
                    "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, PASSWORD);
            }
            TestTls tls = new TestTls((PrivateKey) keyStore.getKey("fake", PASSWORD), (X509Certificate) keyStore.getCertificate("fake"));
            Files.delete(store);
            Files.delete(dir);
            return tls;
        } catch (Exception e) {
            throw new IllegalStateException("could not make a test certificate", e);
        }
    }
}
