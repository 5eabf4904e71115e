package io.protorpc.codec.compress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A zstd dictionary: its bytes and the id written in them. Both sides of a connection load the same
 * dictionary ({@code new ZstdCompressor(level, dictionary)}); every frame compressed with it
 * carries its id, so a receiver with another dictionary, or none, refuses the frame instead of
 * decoding garbage.
 *
 * <p>Only real zstd dictionaries are accepted (magic number {@code 0xEC30A437} and a non-zero id),
 * such as those {@link #train} and the {@link TrainDictionary} command make: a raw-content
 * dictionary has no id, so a mismatch could not be detected.
 *
 * <p>Immutable; equal when the bytes are equal.
 */
public final class ZstdDictionary {
  static final int MAGIC = 0xEC30A437;
  private static final int HEADER_BYTES = 8;

  private final byte[] bytes;
  private final long id;

  private ZstdDictionary(byte[] bytes, long id) {
    this.bytes = bytes;
    this.id = id;
  }

  /**
   * A dictionary from its bytes (copied).
   *
   * @throws IllegalArgumentException if they are not a zstd dictionary with an id
   */
  public static ZstdDictionary of(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length < HEADER_BYTES) {
      throw new IllegalArgumentException("not a zstd dictionary: " + bytes.length
          + " bytes is shorter than a dictionary header");
    }
    ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int magic = header.getInt(0);
    if (magic != MAGIC) {
      throw new IllegalArgumentException(String.format("not a zstd dictionary: magic number"
          + " 0x%08X, expected 0x%08X (raw-content dictionaries carry no id and are not"
          + " accepted; train one with TrainDictionary)", magic, MAGIC));
    }
    long id = Integer.toUnsignedLong(header.getInt(4));
    if (id == 0) {
      throw new IllegalArgumentException("zstd dictionary has id 0, which frames cannot carry;"
          + " train one with TrainDictionary");
    }
    return new ZstdDictionary(bytes.clone(), id);
  }

  /**
   * Reads a dictionary file, e.g. one written by {@link TrainDictionary}.
   *
   * @throws IOException if the file cannot be read or is not a zstd dictionary with an id
   */
  public static ZstdDictionary load(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      return of(bytes);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Trains a dictionary of at most {@code maxSize} bytes from sample messages with zstd's trainer.
   * Give it many samples (hundreds or more) that look like the traffic: a dictionary pays off on
   * small messages that share field names, enum values and common strings.
   *
   * @throws IllegalArgumentException if zstd cannot train from these samples (typically too few
   *     or too small); the message says why
   * @throws IllegalStateException if the zstd native library is unavailable here
   */
  public static ZstdDictionary train(List<byte[]> samples, int maxSize) {
    Objects.requireNonNull(samples, "samples");
    if (maxSize < 256) {
      throw new IllegalArgumentException("maxSize must be at least 256 bytes, got " + maxSize);
    }
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("no samples to train a zstd dictionary from");
    }
    ZstdCompressor.requireNative();
    byte[][] array = samples.toArray(new byte[0][]);
    long total = 0;
    for (byte[] s : array) {
      total += Objects.requireNonNull(s, "sample").length;
    }
    try {
      return of(ZstdContexts.train(array, maxSize, ZstdCompressor.DEFAULT_LEVEL));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("zstd cannot train a dictionary of up to " + maxSize
          + " bytes from " + array.length + " samples (" + total + " bytes): " + e.getMessage()
          + "; give it more samples, or more bytes of them (about 100 times the dictionary size"
          + " is a good start), or ask for a smaller dictionary", e);
    }
  }

  /** Writes the dictionary's bytes to {@code file}, replacing it. */
  public void save(Path file) throws IOException {
    Files.write(file, bytes);
  }

  /** The dictionary id: an unsigned 32-bit number, never 0. */
  public long id() {
    return id;
  }

  /** Size in bytes. */
  public int size() {
    return bytes.length;
  }

  /** A copy of the bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The bytes themselves, for this package's zstd calls (never modified). */
  byte[] bytesShared() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZstdDictionary d && id == d.id && Arrays.equals(bytes, d.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "ZstdDictionary[id=" + id + ", " + bytes.length + " bytes]";
  }
}
