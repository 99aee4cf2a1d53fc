package dev.herald.webhook;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One webhook POST, over a connection to an address {@link Destinations} checked. The JDK's
 * {@code HttpClient} resolves names itself and cannot be told to connect to an address picked
 * beforehand while still sending SNI and verifying the certificate for the name, so this speaks the
 * little HTTP/1.1 a webhook needs: one request with {@code Connection: close}, redirects never
 * followed (a 3xx is just an answer), no proxy, and one deadline for the whole exchange (connect,
 * TLS, write, read) enforced by closing the socket.
 */
final class WebhookHttp {
    static final Duration TIMEOUT = Duration.ofSeconds(15);
    static final int SNIPPET_BYTES = 1024;
    private static final int MAX_HEAD_BYTES = 32 * 1024;

    /** An attempt's outcome: an HTTP status, or 0 and an error when no answer came. */
    record Result(Instant startedAt, int status, String retryAfter, String snippet, String error, long durationMs) {
        boolean succeeded() {
            return status >= 200 && status < 300;
        }

        String describe() {
            return error != null ? error : "HTTP " + status;
        }
    }

    private final Destinations destinations;
    private final Duration timeout;
    private final SSLSocketFactory tls = (SSLSocketFactory) SSLSocketFactory.getDefault();

    WebhookHttp(Destinations destinations, Duration timeout) {
        this.destinations = destinations;
        this.timeout = timeout;
    }

    Result post(String url, Map<String, String> headers, byte[] body) {
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        AtomicReference<Socket> current = new AtomicReference<>();
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
                timedOut.set(true);
                closeQuietly(current.get());
            } catch (InterruptedException finished) {
                // The exchange ended in time.
            }
        });
        try {
            URI uri = new URI(url);
            boolean https = "https".equalsIgnoreCase(uri.getScheme());
            String host = unbracketed(uri.getHost());
            if (host == null) {
                throw new URISyntaxException(url, "no host");
            }
            int port = uri.getPort() != -1 ? uri.getPort() : https ? 443 : 80;
            Socket socket = connect(destinations.resolve(host), port, start, current, timedOut);
            if (https) {
                socket = secure(socket, host, port);
                current.set(socket);
            }
            write(socket.getOutputStream(), uri, headers, body);
            Response response = read(new BufferedInputStream(socket.getInputStream()));
            return new Result(startedAt, response.status(), response.retryAfter(), response.snippet(), null, elapsedMs(start));
        } catch (Destinations.Refused e) {
            return failure(startedAt, start, "refused: " + e.getMessage());
        } catch (UnknownHostException e) {
            return failure(startedAt, start, "could not resolve " + e.getMessage());
        } catch (URISyntaxException e) {
            return failure(startedAt, start, "invalid URL: " + e.getMessage());
        } catch (IOException e) {
            // The watchdog and the socket's own read timeout race at the deadline; either means the same.
            return failure(startedAt, start, timedOut.get() || e instanceof java.net.SocketTimeoutException
                    ? "timed out after " + timeout.toMillis() + " ms"
                    : e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            watchdog.interrupt();
            closeQuietly(current.get());
        }
    }

    /** Connects to the first checked address that answers, within what is left of the deadline. */
    private Socket connect(List<InetAddress> addresses, int port, long start, AtomicReference<Socket> current,
                           AtomicBoolean timedOut) throws IOException {
        IOException last = null;
        for (InetAddress address : addresses) {
            long left = timeout.toMillis() - elapsedMs(start);
            if (left <= 0 || timedOut.get()) {
                break;
            }
            Socket socket = new Socket(Proxy.NO_PROXY);
            current.set(socket);
            if (timedOut.get()) {
                // The watchdog fired before it could see this socket.
                closeQuietly(socket);
                break;
            }
            try {
                // A read timeout as well, as a backstop to the watchdog.
                socket.setSoTimeout((int) timeout.toMillis());
                socket.connect(new InetSocketAddress(address, port), (int) left);
                socket.setTcpNoDelay(true);
                return socket;
            } catch (IOException e) {
                closeQuietly(socket);
                last = e;
            }
        }
        throw last != null ? last : new IOException("no address to connect to");
    }

    /** TLS over the connected socket, for the URL's name: SNI and certificate checked against it, not against the address. */
    private Socket secure(Socket socket, String host, int port) throws IOException {
        SSLSocket ssl = (SSLSocket) tls.createSocket(socket, host, port, true);
        SSLParameters parameters = ssl.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (!isAddressLiteral(host)) {
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        ssl.setSSLParameters(parameters);
        ssl.startHandshake();
        return ssl;
    }

    private static void write(OutputStream out, URI uri, Map<String, String> headers, byte[] body) throws IOException {
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder head = new StringBuilder()
                .append("POST ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getRawAuthority()).append("\r\n")
                .append("User-Agent: Herald-Webhooks/1\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Connection: close\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private record Response(int status, String retryAfter, String snippet) {
    }

    /** The final status and headers, and the first bytes of the body; interim (1xx) answers are skipped. */
    private static Response read(InputStream in) throws IOException {
        int[] budget = {MAX_HEAD_BYTES};
        for (;;) {
            String statusLine = line(in, budget);
            if (statusLine == null) {
                throw new EOFException("the connection closed before a response");
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("\\d{3}")) {
                throw new IOException("not an HTTP response: " + abbreviate(statusLine));
            }
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = new HashMap<>();
            for (String header = line(in, budget); header != null && !header.isEmpty(); header = line(in, budget)) {
                int colon = header.indexOf(':');
                if (colon > 0) {
                    headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
                }
            }
            if (status < 200) {
                continue;
            }
            return new Response(status, headers.get("retry-after"), snippet(in, status, headers));
        }
    }

    /**
     * Up to {@link #SNIPPET_BYTES} of the body, for the attempt log. The status is what counts: a body
     * that stalls or breaks off is cut where it stopped.
     */
    private static String snippet(InputStream in, int status, Map<String, String> headers) {
        if (status == 204 || status == 304) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
                int[] budget = {MAX_HEAD_BYTES};
                for (;;) {
                    String sizeLine = line(in, budget);
                    int size = sizeLine == null ? 0 : Integer.parseInt(sizeLine.split(";", 2)[0].trim(), 16);
                    if (size == 0 || !copy(in, out, size)) {
                        break;
                    }
                    line(in, budget);
                }
            } else {
                String length = headers.get("content-length");
                copy(in, out, length == null ? SNIPPET_BYTES : (int) Math.min(SNIPPET_BYTES, Long.parseLong(length.trim())));
            }
        } catch (IOException | NumberFormatException e) {
            // Keep what arrived.
        }
        return out.size() == 0 ? null : new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    /** Copies up to {@code n} bytes, stopping at the snippet limit; false once the limit is reached or the body ended. */
    private static boolean copy(InputStream in, ByteArrayOutputStream out, int n) throws IOException {
        int wanted = Math.min(n, SNIPPET_BYTES - out.size());
        byte[] bytes = in.readNBytes(wanted);
        out.write(bytes);
        return bytes.length == n && out.size() < SNIPPET_BYTES;
    }

    /** One CRLF- (or LF-) terminated line in ISO-8859-1, or null at the end of the stream. */
    private static String line(InputStream in, int[] budget) throws IOException {
        StringBuilder line = new StringBuilder();
        for (;;) {
            int b = in.read();
            if (b == -1) {
                return line.isEmpty() ? null : line.toString();
            }
            if (--budget[0] < 0) {
                throw new IOException("response head larger than " + MAX_HEAD_BYTES + " bytes");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
    }

    private static Result failure(Instant startedAt, long start, String error) {
        return new Result(startedAt, 0, null, null, error, elapsedMs(start));
    }

    private static long elapsedMs(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static String unbracketed(String host) {
        return host != null && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static boolean isAddressLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("[0-9.]+");
    }

    private static String abbreviate(String text) {
        return text.length() > 100 ? text.substring(0, 100) + "…" : text;
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is best effort.
            }
        }
    }
}
