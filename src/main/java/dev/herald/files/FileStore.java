package dev.herald.files;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Optional;

/** SQL for file records. The bytes are elsewhere ({@link FileStorage}). */
public final class FileStore {
    /**
     * A pending file whose upload window has passed reads as {@code failed}: its URL is dead and the
     * SDK's upload helper stops polling on that status, so no sweeper has to rewrite the row.
     */
    private static final String SELECT = """
            select id, owner_key, filename, content_type, visibility, size, storage_key, upload_token_hash,
                   case when upload_status = 'pending' and upload_expires_at <= now() then 'failed'
                        else upload_status end as status
            from files""";
    private static final RowMapper<Row> ROW = (rs, ctx) -> new Row(rs.getString("id"), rs.getString("owner_key"),
            rs.getString("filename"), rs.getString("content_type"), rs.getString("visibility"), rs.getString("status"),
            rs.getObject("size", Long.class), rs.getString("storage_key"), rs.getBytes("upload_token_hash"));

    private final Jdbi jdbi;

    public FileStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** A file record; {@code size} and {@code storageKey} are set once it is ready. */
    public record Row(String id, String ownerKey, String filename, String contentType, String visibility, String status,
                      Long size, String storageKey, byte[] uploadTokenHash) {
    }

    public void insert(String id, String ownerKey, String filename, String contentType, String visibility,
                       byte[] uploadTokenHash, long uploadWindowSeconds) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into files (id, owner_key, filename, content_type, visibility, upload_status,
                                           upload_token_hash, upload_expires_at)
                        values (:id, :owner, :filename, :type, :visibility, 'pending',
                                :hash, now() + :window * interval '1 second')""")
                .bind("id", id).bind("owner", ownerKey).bind("filename", filename).bind("type", contentType)
                .bind("visibility", visibility).bind("hash", uploadTokenHash).bind("window", uploadWindowSeconds)
                .execute());
    }

    public Optional<Row> find(String id) {
        return jdbi.withHandle(h -> h.createQuery(SELECT + " where id = :id").bind("id", id).map(ROW).findOne());
    }

    public List<Row> findAll(List<String> ids) {
        return jdbi.withHandle(h -> h.createQuery(SELECT + " where id = any(:ids)")
                .bind("ids", ids.toArray(new String[0])).map(ROW).list());
    }

    /** Records the stored bytes; false when the file was no longer pending (another upload won). */
    public boolean markReady(String id, String storageKey, long size, String sha256) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        update files set upload_status = 'ready', storage_key = :key, size = :size, sha256 = :sha256,
                                         ready_at = now()
                        where id = :id and upload_status = 'pending'""")
                .bind("id", id).bind("key", storageKey).bind("size", size).bind("sha256", sha256)
                .execute()) == 1;
    }
}
