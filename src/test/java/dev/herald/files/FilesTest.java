package dev.herald.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import dev.herald.auth.Credential;
import dev.herald.web.ApiException;
import dev.herald.web.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static dev.herald.World.created;
import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Create → PUT the bytes to the upload URL → ready; limits, tokens, visibility and attachment checks. */
class FilesTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build(); // see Api: no h2c upgrade in tests
    static World world;
    static String alice;
    static String bob;

    @BeforeAll
    static void setUp() {
        world = new World();
        alice = world.user("alice");
        bob = world.user("bob");
    }

    @Test
    void uploadMakesTheFileReadyAndItsBytesRoundTrip() throws Exception {
        JsonNode file = create(alice, "photo.png", null);
        String id = file.get("id").asText();
        assertTrue(id.matches("file_[0-9A-Za-z]{14}"), id);
        assertEquals("image/png", file.get("content_type").asText());
        assertEquals("photo.png", file.get("filename").asText());
        assertTrue(file.get("size").isNull());
        assertEquals(Map.of("Content-Type", "image/png"), Json.MAPPER.convertValue(file.get("upload_headers"), Map.class));
        assertEquals("pending", file.get("upload_status").asText());
        assertTrue(file.get("upload_url").asText().startsWith(TestServer.config().publicUrl() + "/api/v1/files/" + id + "/upload?token="));
        assertTrue(file.get("url").isNull());
        assertEquals("private", file.get("visibility").asText());
        assertEquals("pending", ok(world.as(alice).get("/api/v1/files/" + id)).get("upload_status").asText());

        byte[] bytes = randomBytes(100_000);
        HttpResponse<byte[]> put = put(file.get("upload_url").asText(), "image/png", bytes);
        assertEquals(200, put.statusCode(), () -> new String(put.body()));
        assertEquals("ready", Json.MAPPER.readTree(put.body()).get("upload_status").asText());

        JsonNode ready = ok(world.as(alice).get("/api/v1/files/" + id));
        assertEquals("ready", ready.get("upload_status").asText());
        assertEquals("100000", ready.get("size").asText());
        assertEquals(TestServer.config().publicUrl() + "/api/v1/files/" + id + "/content", ready.get("url").asText());
        List<String> fields = new ArrayList<>();
        ready.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("content_type", "filename", "id", "size", "upload_status", "url", "visibility"), fields.stream().sorted().toList());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
                TestServer.get().database().jdbi().withHandle(h -> h.createQuery("select sha256 from files where id = :id")
                        .bind("id", id).mapTo(String.class).one()));

        HttpResponse<byte[]> content = get(ready.get("url").asText(), world.as(alice).token());
        assertEquals(200, content.statusCode());
        assertArrayEquals(bytes, content.body());
        assertEquals("image/png", content.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("100000", content.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("nosniff", content.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertTrue(content.headers().firstValue("Content-Disposition").isEmpty(), "images render inline");
        assertEquals("private, no-store", content.headers().firstValue("Cache-Control").orElseThrow());
    }

    @Test
    void theUploadUrlsTokenIsTheOnlyWayIn() {
        JsonNode file = create(alice, "notes.txt", null);
        String url = file.get("upload_url").asText();
        String bare = url.substring(0, url.indexOf('?'));
        byte[] bytes = "hello".getBytes();

        HttpResponse<byte[]> none = put(bare, "text/plain", bytes);
        assertEquals(401, none.statusCode());
        assertEquals("unauthorized", error(none).get("code").asText());
        assertEquals(401, send(HttpRequest.newBuilder(URI.create(bare)).header("Content-Type", "text/plain")
                .header("Authorization", "Bearer " + world.as(alice).token()).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))).statusCode(),
                "the owner's bearer token does not replace the upload token");
        HttpResponse<byte[]> wrong = put(bare + "?token=not-the-token", "text/plain", bytes);
        assertEquals(403, wrong.statusCode());
        assertEquals("forbidden", error(wrong).get("code").asText());
        assertEquals(404, put(TestServer.baseUrl() + "/api/v1/files/file_doesnotexist00/upload?token=x", "text/plain", bytes).statusCode());
        assertEquals("pending", status(alice, file));

        assertEquals(200, put(url, "text/plain; charset=utf-8", bytes).statusCode(), "media type parameters are allowed");
        HttpResponse<byte[]> again = put(url, "text/plain", "other".getBytes());
        assertEquals(409, again.statusCode());
        assertEquals("file_already_uploaded", error(again).get("code").asText());
        assertArrayEquals(bytes, get(contentUrl(file), world.as(alice).token()).body(), "the first upload stays");
    }

    @Test
    void tooLargeUploadsAreRefusedAndLeaveNothingBehind() throws IOException {
        JsonNode file = create(alice, "movie.mp4", null);
        String url = file.get("upload_url").asText();
        byte[] tooLarge = new byte[(int) FileService.MAX_UPLOAD_BYTES + 1];

        HttpResponse<byte[]> declared = put(url, "video/mp4", tooLarge);
        assertEquals(413, declared.statusCode());
        assertEquals("payload_too_large", error(declared).get("code").asText());
        assertTrue(error(declared).get("message").asText().contains("25 MiB"), () -> new String(declared.body()));

        HttpResponse<byte[]> streamed = send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "video/mp4")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooLarge))));
        assertEquals(413, streamed.statusCode(), "without Content-Length the limit holds while streaming");
        assertEquals("payload_too_large", error(streamed).get("code").asText());

        assertEquals("pending", status(alice, file));
        assertEquals(List.of(), stored(file.get("id").asText()));

        byte[] fits = randomBytes(1000);
        assertEquals(200, put(url, "video/mp4", fits).statusCode(), "a refused upload can be retried");
        assertEquals(1, stored(file.get("id").asText()).size());
    }

    @Test
    void theBodyMustBeTheDeclaredTypeAndNotEmpty() {
        JsonNode file = create(alice, "scan.pdf", null);
        HttpResponse<byte[]> wrongType = put(file.get("upload_url").asText(), "text/html", "<script>".getBytes());
        assertEquals(400, wrongType.statusCode());
        assertEquals("parameter_invalid", error(wrongType).get("code").asText());
        assertEquals("Content-Type", error(wrongType).get("param").asText());
        assertEquals(400, put(file.get("upload_url").asText(), "application/pdf", new byte[0]).statusCode());
        assertEquals("pending", status(alice, file));
    }

    @Test
    void onlyAllowedFilenamesAndVisibilitiesAreAccepted() {
        for (String name : List.of("page.html", "logo.svg", "script.js", "README", "archive.png.exe")) {
            Api.Response r = world.as(alice).post("/api/v1/files", Map.of("filename", name));
            assertEquals(400, r.status(), name);
            assertEquals("parameter_invalid", r.errorCode());
            assertEquals("filename", r.errorParam());
            assertTrue(r.json().path("error").path("message").asText().contains("image/png"), r::toString);
        }
        for (String name : List.of("../etc/passwd.png", "dir\\photo.png", "tab\tname.png")) {
            assertEquals(400, world.as(alice).post("/api/v1/files", Map.of("filename", name)).status(), name);
        }
        assertEquals("parameter_missing", world.as(alice).post("/api/v1/files", Map.of()).errorCode());
        assertEquals(400, world.as(alice).post("/api/v1/files", Map.of("filename", "a".repeat(252) + ".png")).status());
        assertEquals("visibility", world.as(alice).post("/api/v1/files", Map.of("filename", "a.png", "visibility", "secret")).errorParam());
        assertEquals("image/jpeg", create(alice, "Holiday Photo.JPG", null).get("content_type").asText());
        assertEquals(401, TestServer.as(null).post("/api/v1/files", Map.of("filename", "a.png")).status());
    }

    @Test
    void privateFilesAreTheOwnersAndPublicContentIsOpen() {
        JsonNode secret = uploaded(alice, "secret.png", "private", "image/png");
        String id = secret.get("id").asText();
        assertEquals(404, world.as(bob).get("/api/v1/files/" + id).status());
        assertEquals(404, TestServer.as(world.companyKey("chat:read")).get("/api/v1/files/" + id).status());
        assertEquals("ready", ok(world.admin.get("/api/v1/files/" + id)).get("upload_status").asText());
        assertEquals(401, TestServer.as(null).get("/api/v1/files/" + id).status());
        assertEquals(404, get(contentUrl(secret), null).statusCode(), "private content needs a credential");
        assertEquals(404, get(contentUrl(secret), world.as(bob).token()).statusCode());
        assertEquals(401, get(contentUrl(secret), "hu_not_a_token").statusCode());
        assertEquals(200, get(contentUrl(secret), TestServer.ADMIN_TOKEN).statusCode());

        JsonNode open = uploaded(alice, "report.pdf", "public", "application/pdf");
        HttpResponse<byte[]> anonymous = get(contentUrl(open), null);
        assertEquals(200, anonymous.statusCode());
        assertEquals("application/pdf", anonymous.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf",
                anonymous.headers().firstValue("Content-Disposition").orElseThrow(), "documents never render inline");
        assertTrue(anonymous.headers().firstValue("Cache-Control").orElseThrow().startsWith("public"));
        assertEquals(200, get(contentUrl(open), world.as(bob).token()).statusCode());
        assertEquals(404, world.as(bob).get("/api/v1/files/" + open.get("id").asText()).status(), "the record stays the owner's");
        assertEquals(404, get(TestServer.baseUrl() + "/api/v1/files/file_doesnotexist00/content", null).statusCode());

        JsonNode pendingPublic = create(alice, "later.png", "public");
        assertEquals(404, get(contentUrl(pendingPublic), null).statusCode(), "no content before the upload");
    }

    @Test
    void keysOwnFilesForTheirCompanyOrApp() {
        Api key = TestServer.as(world.appKey());
        String id = created(key.post("/api/v1/files", Map.of("filename", "icon.webp"))).get("id").asText();
        assertEquals(200, TestServer.as(world.appKey("chat:read")).get("/api/v1/files/" + id).status(), "another key of the same app");
        assertEquals(404, TestServer.as(world.companyKey("chat:read")).get("/api/v1/files/" + id).status());
    }

    @Test
    void expiredUploadUrlsAreRefusedAndTheFileReadsAsFailed() {
        JsonNode file = create(alice, "late.gif", null);
        TestServer.get().database().jdbi().useHandle(h -> h.createUpdate(
                        "update files set upload_expires_at = now() - interval '1 second' where id = :id")
                .bind("id", file.get("id").asText()).execute());
        assertEquals("failed", status(alice, file));
        HttpResponse<byte[]> late = put(file.get("upload_url").asText(), "image/gif", "GIF89a".getBytes());
        assertEquals(403, late.statusCode());
        assertTrue(error(late).get("message").asText().contains("expired"));
    }

    @Test
    void attachmentsMustBeTheCallersReadyFiles() {
        FileService files = TestServer.get().services().files();
        Credential asAlice = new Credential.User("utok_test", alice);
        JsonNode mine = uploaded(alice, "mine.png", "private", "image/png");
        JsonNode bobs = uploaded(bob, "bobs.png", "public", "image/png");
        JsonNode pending = create(alice, "pending.png", null);

        List<FileService.FileRef> refs = files.requireUsable(asAlice, List.of(mine.get("id").asText()));
        assertEquals(1, refs.size());
        assertEquals(mine.get("id").asText(), refs.getFirst().id());
        assertEquals("mine.png", refs.getFirst().filename());
        assertEquals("image/png", refs.getFirst().contentType());
        assertEquals("5", refs.getFirst().size());
        assertEquals(contentUrl(mine), refs.getFirst().url());

        ApiException foreign = assertThrows(ApiException.class,
                () -> files.requireUsable(asAlice, List.of(mine.get("id").asText(), bobs.get("id").asText())));
        assertEquals(404, foreign.status());
        assertEquals("attachments", foreign.param());
        assertEquals(404, assertThrows(ApiException.class, () -> files.requireUsable(asAlice, List.of("file_doesnotexist00"))).status());
        assertEquals(bobs.get("id").asText(), files.requireUsable(new Credential.Admin(), List.of(bobs.get("id").asText())).getFirst().id());
        ApiException notReady = assertThrows(ApiException.class, () -> files.requireUsable(asAlice, List.of(pending.get("id").asText())));
        assertEquals(400, notReady.status());
        assertEquals("attachments", notReady.param());
    }

    // --- helpers

    static JsonNode create(String userId, String filename, String visibility) {
        return created(world.as(userId).post("/api/v1/files",
                visibility == null ? Map.of("filename", filename) : Map.of("filename", filename, "visibility", visibility)));
    }

    /** A file of five bytes, uploaded and ready. */
    static JsonNode uploaded(String userId, String filename, String visibility, String contentType) {
        JsonNode file = create(userId, filename, visibility);
        assertEquals(200, put(file.get("upload_url").asText(), contentType, "bytes".getBytes()).statusCode());
        return file;
    }

    static String status(String userId, JsonNode file) {
        return ok(world.as(userId).get("/api/v1/files/" + file.get("id").asText())).get("upload_status").asText();
    }

    static String contentUrl(JsonNode file) {
        return TestServer.baseUrl() + "/api/v1/files/" + file.get("id").asText() + "/content";
    }

    /** Everything under the storage directory that belongs to this file, partial uploads included. */
    static List<String> stored(String fileId) throws IOException {
        try (Stream<Path> entries = Files.list(TestServer.config().dataDir().resolve("files"))) {
            return entries.map(p -> p.getFileName().toString()).filter(name -> name.startsWith(fileId)).toList();
        }
    }

    static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    static HttpResponse<byte[]> put(String url, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    static HttpResponse<byte[]> get(String url, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).GET();
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return send(builder);
    }

    static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return CLIENT.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode error(HttpResponse<byte[]> response) {
        try {
            return Json.MAPPER.readTree(response.body()).get("error");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
