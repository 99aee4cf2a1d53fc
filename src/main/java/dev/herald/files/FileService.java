package dev.herald.files;

import dev.herald.auth.Credential;
import dev.herald.auth.Secrets;
import dev.herald.web.ApiException;
import dev.herald.web.Body;
import dev.herald.web.Ids;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The rules for files: what may be uploaded (an allow-list of types, at most {@link #MAX_UPLOAD_BYTES}),
 * who owns a file, who may read it and attach it. A file is created first and its bytes are PUT to a
 * one-hour upload URL whose secret token authorises the upload on its own, like a presigned URL.
 */
public final class FileService {
    /** Largest upload accepted; documented in the README, enforced both up front and while streaming. */
    public static final long MAX_UPLOAD_BYTES = 25L << 20;
    static final Duration UPLOAD_WINDOW = Duration.ofHours(1);
    private static final int MAX_FILENAME = 255;

    /** Extension → content type. Nothing that a browser would run (HTML, SVG, scripts) is accepted. */
    private static final Map<String, String> TYPES = types(
            "png", "image/png", "jpg", "image/jpeg", "jpeg", "image/jpeg", "gif", "image/gif", "webp", "image/webp",
            "mp4", "video/mp4", "webm", "video/webm", "mov", "video/quicktime",
            "mp3", "audio/mpeg", "ogg", "audio/ogg", "wav", "audio/wav",
            "pdf", "application/pdf", "txt", "text/plain");

    private final FileStore store;
    private final FileStorage storage;
    private final String publicUrl;
    private final SharedFiles shared;

    public FileService(FileStore store, FileStorage storage, String publicUrl, SharedFiles shared) {
        this.store = store;
        this.storage = storage;
        this.publicUrl = publicUrl;
        this.shared = shared;
    }

    /** The SDK's FileRetrieveResponse. {@code size} is a string, as the SDK types it. */
    public record FileView(String id, String contentType, String filename, String size, String uploadStatus, String url,
                           String visibility) {
    }

    /** The SDK's FileCreateResponse: the file plus where and how to PUT its bytes. */
    public record CreatedFile(String id, String contentType, String filename, String size, Map<String, String> uploadHeaders,
                              String uploadStatus, String uploadUrl, String url, String visibility) {
    }

    /** A ready file a message may carry as an attachment. */
    public record FileRef(String id, String filename, String contentType, String size, String url) {
    }

    /** The bytes of a ready file and what a response needs to serve them safely. */
    public record Download(String contentType, long size, String filename, boolean isPublic, InputStream bytes) {
        /** Only media may render in the browser; anything else (PDF, text) is offered as a download. */
        public boolean inline() {
            return contentType.startsWith("image/") || contentType.startsWith("video/") || contentType.startsWith("audio/");
        }
    }

    public CreatedFile create(Credential caller, Body body) {
        String filename = body.requiredNonBlank("filename", MAX_FILENAME);
        String contentType = contentTypeOf(filename);
        String visibility = body.optionalString("visibility", 16);
        if (visibility == null) {
            visibility = "private";
        } else if (!visibility.equals("public") && !visibility.equals("private")) {
            throw ApiException.invalid("visibility", "Parameter visibility must be public or private.");
        }
        String id = Ids.next("file");
        String token = Ids.random(43);
        store.insert(id, ownerOf(caller), filename, contentType, visibility, Secrets.hash(token), UPLOAD_WINDOW.toSeconds());
        return new CreatedFile(id, contentType, filename, null, Map.of("Content-Type", contentType), "pending",
                publicUrl + "/api/v1/files/" + id + "/upload?token=" + token, null, visibility);
    }

    /**
     * Stores the bytes of a pending file. The token is the whole authorisation (the SDK's helper sends
     * no credential), so it is checked before anything about the file is revealed beyond its existence.
     */
    public FileView upload(String id, String token, String contentType, OptionalLong contentLength, InputStream bytes) {
        if (token == null || token.isEmpty()) {
            throw ApiException.unauthorized("Missing upload token; PUT the bytes to the upload_url returned when the file was created.");
        }
        FileStore.Row file = store.find(id).orElseThrow(FileService::notFound);
        if (!MessageDigest.isEqual(Secrets.hash(token), file.uploadTokenHash())) {
            throw ApiException.forbidden("Invalid upload token.");
        }
        if (file.status().equals("ready")) {
            throw alreadyUploaded();
        }
        if (file.status().equals("failed")) {
            throw ApiException.forbidden("This upload URL has expired; create the file again.");
        }
        if (contentType == null || !mediaType(contentType).equals(file.contentType())) {
            throw ApiException.invalid("Content-Type", "The Content-Type header must be " + file.contentType()
                    + ", as declared in upload_headers.");
        }
        if (contentLength.isPresent() && contentLength.getAsLong() > MAX_UPLOAD_BYTES) {
            throw tooLarge();
        }
        String key = id + "." + Ids.random(12);
        FileStorage.Stored stored = write(key, bytes);
        if (stored.size() == 0) {
            discard(key);
            throw ApiException.invalid(null, "The upload is empty.");
        }
        if (!store.markReady(id, key, stored.size(), stored.sha256())) {
            discard(key);
            throw alreadyUploaded();
        }
        return view(store.find(id).orElseThrow());
    }

    /** The file's record, for its owner and the admin; anyone else gets a 404, as if it did not exist. */
    public FileView retrieve(Credential caller, String id) {
        return view(store.find(id).filter(file -> mayRead(caller, file)).orElseThrow(FileService::notFound));
    }

    /**
     * The bytes of a ready file: public files for anyone; private ones for their owner, the admin and
     * whoever can read a message the file is attached to.
     */
    public Download content(Optional<Credential> caller, String id) {
        FileStore.Row file = store.find(id)
                .filter(f -> f.visibility().equals("public")
                        || caller.map(c -> mayRead(c, f) || shared.canRead(c, f.id())).orElse(false))
                .orElseThrow(FileService::notFound);
        if (!file.status().equals("ready")) {
            throw ApiException.notFound("This file has no content yet.", "id");
        }
        try {
            return new Download(file.contentType(), file.size(), file.filename(), file.visibility().equals("public"),
                    storage.open(file.storageKey()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the stored bytes of " + id, e);
        }
    }

    /**
     * The files a message may attach: each must exist, be the caller's (or the caller is the admin)
     * and be ready. Answered in the order given.
     */
    public List<FileRef> requireUsable(Credential caller, List<String> fileIds) {
        Map<String, FileStore.Row> found = store.findAll(fileIds).stream()
                .collect(Collectors.toMap(FileStore.Row::id, Function.identity()));
        return fileIds.stream().map(id -> {
            FileStore.Row file = found.get(id);
            if (file == null || !mayRead(caller, file)) {
                throw ApiException.notFound("File " + id + " not found.", "attachments");
            }
            if (!file.status().equals("ready")) {
                throw ApiException.invalid("attachments", "File " + id + " has not finished uploading.");
            }
            FileView view = view(file);
            return new FileRef(view.id(), view.filename(), view.contentType(), view.size(), view.url());
        }).toList();
    }

    private FileView view(FileStore.Row file) {
        boolean ready = file.status().equals("ready");
        return new FileView(file.id(), file.contentType(), file.filename(), ready ? String.valueOf(file.size()) : null,
                file.status(), ready ? publicUrl + "/api/v1/files/" + file.id() + "/content" : null, file.visibility());
    }

    private FileStorage.Stored write(String key, InputStream bytes) {
        try {
            return storage.write(key, bytes, MAX_UPLOAD_BYTES);
        } catch (FileStorage.LimitExceededException e) {
            throw tooLarge();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot store the upload " + key, e);
        }
    }

    private void discard(String key) {
        try {
            storage.delete(key);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the stored upload " + key, e);
        }
    }

    private static ApiException notFound() {
        return ApiException.notFound("File not found.", "id");
    }

    private static ApiException alreadyUploaded() {
        return ApiException.conflict("file_already_uploaded", "This file has already been uploaded.");
    }

    private static ApiException tooLarge() {
        return ApiException.payloadTooLarge("Files may be at most " + (MAX_UPLOAD_BYTES >> 20) + " MiB ("
                + MAX_UPLOAD_BYTES + " bytes).");
    }

    private static boolean mayRead(Credential caller, FileStore.Row file) {
        return caller.isAdmin() || ownerOf(caller).equals(file.ownerKey());
    }

    /** Files belong to whom the credential acts for, so every key of one company (or app) shares them. */
    private static String ownerOf(Credential caller) {
        return switch (caller) {
            case Credential.Admin admin -> admin.ownerKey();
            case Credential.CompanyKey key -> key.companyId();
            case Credential.AppKey key -> key.appId();
            case Credential.User user -> user.userId();
        };
    }

    private static String contentTypeOf(String filename) {
        for (int i = 0; i < filename.length(); i++) {
            char c = filename.charAt(i);
            if (c == '/' || c == '\\' || Character.isISOControl(c)) {
                throw ApiException.invalid("filename", "Parameter filename must not contain path separators or control characters.");
            }
        }
        int dot = filename.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(filename.substring(dot + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            throw ApiException.invalid("filename", "Files of this type are not accepted. Allowed: "
                    + TYPES.entrySet().stream().map(e -> "." + e.getKey() + " (" + e.getValue() + ")")
                    .collect(Collectors.joining(", ")) + ".");
        }
        return type;
    }

    /** The media type of a Content-Type header, without parameters such as {@code charset}. */
    private static String mediaType(String header) {
        int semicolon = header.indexOf(';');
        return (semicolon < 0 ? header : header.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static Map<String, String> types(String... pairs) {
        Map<String, String> types = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            types.put(pairs[i], pairs[i + 1]);
        }
        return types;
    }
}
