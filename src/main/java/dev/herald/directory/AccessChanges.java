package dev.herald.directory;

/**
 * Told, right after commit, when who can see what changed, so caches on this node reflect the
 * caller's own writes at once (other nodes learn through the database's change notices).
 */
public interface AccessChanges {
    void userChanged(String userId);

    void everyoneChanged();

    /** Tells each of {@code targets}. */
    static AccessChanges all(AccessChanges... targets) {
        return new AccessChanges() {
            @Override
            public void userChanged(String userId) {
                for (AccessChanges target : targets) {
                    target.userChanged(userId);
                }
            }

            @Override
            public void everyoneChanged() {
                for (AccessChanges target : targets) {
                    target.everyoneChanged();
                }
            }
        };
    }
}
