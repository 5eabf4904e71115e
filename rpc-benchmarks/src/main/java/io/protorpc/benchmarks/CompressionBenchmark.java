package io.protorpc.benchmarks;

import io.protorpc.spi.Compressor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Time to compress and to decompress one message, per compressor configuration and payload size
 * (payloads from {@link Payloads}: protobuf orders). Compression ratios are deterministic, so
 * {@link CompressionRatios} prints them instead of JMH; each trial also logs its own ratio.
 *
 * <pre>
 * java -jar rpc-benchmarks/target/benchmarks.jar CompressionBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class CompressionBenchmark {
  /** Payload sizes: one order (about 200 bytes), then lists of orders of about these sizes. */
  public static final String[] PAYLOADS = {"200", "512", "1024", "16384", "262144"};

  @Param({"zstd-1", "zstd-3", "zstd-9", "gzip-6", "zstd-3+dict"})
  public String compressor;

  @Param({"200", "512", "1024", "16384", "262144"})
  public int payload;

  private Compressor codec;
  private ByteBuffer input;
  private ByteBuffer compressed;
  private int size;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    codec = Compressors.forLabel(compressor);
    byte[] bytes = Payloads.orders(payload, 1);
    size = bytes.length;
    input = ByteBuffer.wrap(bytes);
    compressed = codec.compress(input);
    System.out.printf("%n[%s, %d-byte payload: %d compressed bytes, ratio %.2f]%n",
        compressor, size, compressed.remaining(), (double) size / compressed.remaining());
  }

  @Benchmark
  public ByteBuffer compress() throws IOException {
    return codec.compress(input);
  }

  @Benchmark
  public ByteBuffer decompress() throws IOException {
    return codec.decompress(compressed, size);
  }
}
