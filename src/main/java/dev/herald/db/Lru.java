package dev.herald.db;

import java.util.LinkedHashMap;
import java.util.Map;

/** A small least-recently-used map for caches of database reads; reads and writes are short, so one lock serves. */
public final class Lru<K, V> {
    private final LinkedHashMap<K, V> map;

    public Lru(int max) {
        this.map = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    public synchronized V get(K key) {
        return map.get(key);
    }

    public synchronized void put(K key, V value) {
        map.put(key, value);
    }
}
