package dev.herald.files;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where file bytes live, by key. Small on purpose so a store other than the local disk (an
 * S3-compatible bucket, say) can be added without touching the rules in {@link FileService}.
 */
public interface FileStorage {
    /** What was stored: the exact byte count and the lower-case hex SHA-256 of the bytes. */
    record Stored(long size, String sha256) {
    }

    /** More bytes arrived than the caller allowed; nothing was kept. */
    final class LimitExceededException extends IOException {
        public LimitExceededException(long maxBytes) {
            super("More than " + maxBytes + " bytes");
        }
    }

    /**
     * Streams {@code in} to {@code key}. The key becomes readable only once every byte is stored;
     * when more than {@code maxBytes} arrive, or the stream fails, nothing is kept under it.
     */
    Stored write(String key, InputStream in, long maxBytes) throws IOException;

    InputStream open(String key) throws IOException;

    /** Removes the key; a key that is not there is not an error. */
    void delete(String key) throws IOException;
}
