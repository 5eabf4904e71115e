package io.protorpc.benchmarks;

import io.protorpc.codec.compress.GzipCompressor;
import io.protorpc.codec.compress.ZstdCompressor;
import io.protorpc.codec.compress.ZstdDictionary;
import io.protorpc.spi.Compressor;

/** The compressor configurations the benchmarks compare, by a short label. */
public final class Compressors {
  /** Every label, in the order tables list them. */
  public static final String[] LABELS = {"zstd-1", "zstd-3", "zstd-9", "gzip-6", "zstd-3+dict"};
  /** Size of the dictionary trained for {@code zstd-3+dict}. */
  public static final int DICTIONARY_SIZE = 16 * 1024;

  private static ZstdDictionary dictionary;

  private Compressors() {}

  /** A compressor for a label such as {@code zstd-3}, {@code gzip-6} or {@code zstd-3+dict}. */
  public static Compressor forLabel(String label) {
    boolean withDictionary = label.endsWith("+dict");
    String base = withDictionary ? label.substring(0, label.length() - 5) : label;
    int dash = base.lastIndexOf('-');
    String name = base.substring(0, dash);
    int level = Integer.parseInt(base.substring(dash + 1));
    return switch (name) {
      case "zstd" -> new ZstdCompressor(level, withDictionary ? dictionary() : null);
      case "gzip" -> {
        if (withDictionary) {
          throw new IllegalArgumentException("gzip has no dictionary option: " + label);
        }
        yield new GzipCompressor(level);
      }
      default -> throw new IllegalArgumentException("unknown compressor label " + label);
    };
  }

  /** The dictionary, trained once per JVM from 2,000 orders unlike the measured ones. */
  public static synchronized ZstdDictionary dictionary() {
    if (dictionary == null) {
      dictionary = ZstdDictionary.train(Payloads.trainingSamples(2000), DICTIONARY_SIZE);
    }
    return dictionary;
  }
}
