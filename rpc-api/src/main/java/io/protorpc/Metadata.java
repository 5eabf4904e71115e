package io.protorpc;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Per-call key/value pairs sent with a request or a response. Keys are non-empty lower-case ASCII
 * ({@code a-z 0-9 - _ .}); values are bytes, with string accessors for UTF-8 text. One value per
 * key; a later put replaces an earlier one.
 *
 * <p>Not thread-safe: fill it before the call starts and read it after the call completes.
 */
public final class Metadata {
  private static final Metadata EMPTY = new Metadata(Collections.emptyMap());

  private final Map<String, byte[]> entries;

  /** A new, empty, mutable metadata. */
  public Metadata() {
    this(new LinkedHashMap<>());
  }

  private Metadata(Map<String, byte[]> entries) {
    this.entries = entries;
  }

  /** A shared, empty, immutable instance. */
  public static Metadata empty() {
    return EMPTY;
  }

  /** Sets a text value. */
  public Metadata put(String key, String value) {
    return putBytes(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Sets a binary value (copied). */
  public Metadata putBytes(String key, byte[] value) {
    if (entries == Collections.<String, byte[]>emptyMap()) {
      throw new UnsupportedOperationException("Metadata.empty() is immutable");
    }
    entries.put(checkKey(key), value.clone());
    return this;
  }

  /** The value as UTF-8 text, or null when absent. */
  public String get(String key) {
    byte[] v = entries.get(key);
    return v == null ? null : new String(v, StandardCharsets.UTF_8);
  }

  /** A copy of the value's bytes, or null when absent. */
  public byte[] getBytes(String key) {
    byte[] v = entries.get(key);
    return v == null ? null : v.clone();
  }

  public boolean containsKey(String key) {
    return entries.containsKey(key);
  }

  public Metadata remove(String key) {
    entries.remove(key);
    return this;
  }

  /** The keys, in insertion order (unmodifiable view). */
  public Set<String> keys() {
    return Collections.unmodifiableSet(entries.keySet());
  }

  public int size() {
    return entries.size();
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Total bytes of keys and values: what {@code maxMetadataSize} limits. */
  public int byteSize() {
    int n = 0;
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      n += e.getKey().length() + e.getValue().length;
    }
    return n;
  }

  /** A mutable deep copy. */
  public Metadata copy() {
    Metadata m = new Metadata();
    entries.forEach((k, v) -> m.entries.put(k, v.clone()));
    return m;
  }

  private static String checkKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("metadata key must be non-empty");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          || c == '.';
      if (!ok) {
        throw new IllegalArgumentException(
            "metadata key '" + key + "' may hold only a-z 0-9 - _ . (lower case)");
      }
    }
    return key;
  }

  /** Equal when both hold the same keys with the same value bytes (order does not matter). */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Metadata other) || other.entries.size() != entries.size()) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), other.entries.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      h += e.getKey().hashCode() ^ java.util.Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    entries.forEach((k, v) -> {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(k).append('=').append(v.length).append("B");
    });
    return sb.append('}').toString();
  }
}
