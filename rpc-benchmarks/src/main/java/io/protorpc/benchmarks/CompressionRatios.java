package io.protorpc.benchmarks;

import io.protorpc.spi.Compressor;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Prints the compressed size and ratio of every {@link CompressionBenchmark} payload with every
 * compressor configuration, as a Markdown table:
 *
 * <pre>
 * java -cp rpc-benchmarks/target/benchmarks.jar io.protorpc.benchmarks.CompressionRatios
 * </pre>
 *
 * <p>Also prints the mean over 1,000 different single orders, since one order says little.
 */
public final class CompressionRatios {
  private CompressionRatios() {}

  public static void main(String[] args) throws IOException {
    Compressor[] compressors = new Compressor[Compressors.LABELS.length];
    StringBuilder header = new StringBuilder("| payload (bytes) |");
    StringBuilder rule = new StringBuilder("|---:|");
    for (int i = 0; i < compressors.length; i++) {
      compressors[i] = Compressors.forLabel(Compressors.LABELS[i]);
      header.append(' ').append(Compressors.LABELS[i]).append(" |");
      rule.append("---:|");
    }
    System.out.println(header);
    System.out.println(rule);
    for (String payload : CompressionBenchmark.PAYLOADS) {
      byte[] bytes = Payloads.orders(Integer.parseInt(payload), 1);
      StringBuilder row = new StringBuilder("| " + bytes.length + " |");
      for (Compressor c : compressors) {
        int out = c.compress(ByteBuffer.wrap(bytes)).remaining();
        row.append(String.format(" %d (%.2f×) |", out, (double) bytes.length / out));
      }
      System.out.println(row);
    }
    StringBuilder mean = new StringBuilder("| 1,000 single orders, mean |");
    long in = 0;
    long[] out = new long[compressors.length];
    java.util.Random random = new java.util.Random(7);
    for (int n = 0; n < 1000; n++) {
      byte[] order = Payloads.order(random);
      in += order.length;
      for (int i = 0; i < compressors.length; i++) {
        out[i] += compressors[i].compress(ByteBuffer.wrap(order)).remaining();
      }
    }
    for (long o : out) {
      mean.append(String.format(" %.0f of %.0f (%.2f×) |", o / 1000.0, in / 1000.0,
          (double) in / o));
    }
    System.out.println(mean);
    System.out.println();
    System.out.println("dictionary: " + Compressors.dictionary());
  }
}
