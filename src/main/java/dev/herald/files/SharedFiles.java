package dev.herald.files;

import dev.herald.auth.Credential;

/** Where a private file was shared (attached to a chat message): who besides its owner may download it. */
@FunctionalInterface
public interface SharedFiles {
    boolean canRead(Credential caller, String fileId);
}
