package dev.herald.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Files on the local disk, one per key in a single directory ({@code <data dir>/files}). An upload
 * is written to {@code <key>.part} beside its target and moved into place atomically, so a reader
 * never sees a partial file and an aborted upload leaves nothing under the key.
 */
public final class LocalDiskStorage implements FileStorage {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final String PARTIAL_SUFFIX = ".part";

    private final Path root;

    public LocalDiskStorage(Path root) {
        try {
            this.root = Files.createDirectories(root).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the file storage directory " + root, e);
        }
    }

    @Override
    public Stored write(String key, InputStream in, long maxBytes) throws IOException {
        Path target = path(key);
        Path partial = target.resolveSibling(target.getFileName() + PARTIAL_SUFFIX);
        MessageDigest sha256 = sha256();
        long size = 0;
        boolean moved = false;
        try {
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) != -1) {
                    size += n;
                    if (size > maxBytes) {
                        throw new LimitExceededException(maxBytes);
                    }
                    sha256.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
            return new Stored(size, HexFormat.of().formatHex(sha256.digest()));
        } finally {
            if (!moved) {
                Files.deleteIfExists(partial);
            }
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        return Files.newInputStream(path(key));
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(path(key));
    }

    private Path path(String key) {
        if (!KEY.matcher(key).matches() || key.endsWith(PARTIAL_SUFFIX)) {
            throw new IllegalArgumentException("Invalid storage key: " + key);
        }
        return root.resolve(key);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
