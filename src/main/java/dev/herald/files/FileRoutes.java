package dev.herald.files;

import dev.herald.auth.Authenticator;
import dev.herald.auth.Credential;
import dev.herald.web.Http;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code /api/v1/files}: create a file, PUT its bytes to the upload URL (authorised by the URL's
 * token, not a bearer credential), read its record and its content.
 */
public final class FileRoutes implements HttpService {
    private static final String RFC5987_SAFE = "!#$&+-.^_`|~";

    private final Authenticator auth;
    private final FileService files;

    public FileRoutes(Authenticator auth, FileService files) {
        this.auth = auth;
        this.files = files;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/files", (req, res) -> Http.json(res, 201, files.create(auth.authenticate(req), Http.body(req))))
                .put("/files/{id}/upload", this::upload)
                .get("/files/{id}/content", this::content)
                .get("/files/{id}", (req, res) -> Http.ok(res, files.retrieve(auth.authenticate(req), Http.pathParam(req, "id"))));
    }

    private void upload(ServerRequest req, ServerResponse res) throws IOException {
        try (InputStream bytes = req.content().hasEntity() ? req.content().inputStream() : InputStream.nullInputStream()) {
            Http.ok(res, files.upload(Http.pathParam(req, "id"), Http.query(req, "token"), Http.header(req, "Content-Type"),
                    req.headers().contentLength(), bytes));
        }
    }

    /** Public files need no credential; a credential that is sent must be valid, as everywhere. */
    private void content(ServerRequest req, ServerResponse res) throws IOException {
        Optional<Credential> caller = Http.header(req, "Authorization") == null
                ? Optional.empty() : Optional.of(auth.authenticate(req));
        FileService.Download download = files.content(caller, Http.pathParam(req, "id"));
        try (InputStream in = download.bytes()) {
            res.headers().contentType(HttpMediaType.create(download.contentType()));
            res.headers().contentLength(download.size());
            res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
            res.header(HeaderNames.CACHE_CONTROL, download.isPublic() ? "public, max-age=31536000, immutable" : "private, no-store");
            if (!download.inline()) {
                res.header(HeaderNames.CONTENT_DISPOSITION, attachment(download.filename()));
            }
            try (OutputStream out = res.outputStream()) {
                in.transferTo(out);
            }
        }
    }

    /** {@code attachment} with an ASCII fallback name and the exact name in RFC 5987 form. */
    private static String attachment(String filename) {
        StringBuilder fallback = new StringBuilder();
        StringBuilder encoded = new StringBuilder();
        filename.codePoints().forEach(c -> fallback.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char) c : '_'));
        for (byte b : filename.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || RFC5987_SAFE.indexOf(c) >= 0) {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
    }
}
