package io.protorpc.benchmarks;

import io.protorpc.Metadata;
import io.protorpc.PluginRegistry;
import io.protorpc.benchmarks.rpc.EchoPayloads;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.ProtocolException;
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
 * The envelope codec (built-in {@code protobuf}): encode a request envelope (service, method,
 * deadline, no metadata, payload passed through) and decode one from a frame.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class EnvelopeCodecBenchmark {
  @Param({"16", "1024", "65536"})
  public int payload;

  private Codec codec;
  private ByteBuffer body;
  private ByteBuffer frame;

  @Setup(Level.Trial)
  public void setUp() {
    codec = PluginRegistry.defaultFor(Codec.class);
    body = ByteBuffer.wrap(EchoPayloads.bytes(payload));
    ByteBuffer[] parts = codec.encode(request());
    int n = 0;
    for (ByteBuffer b : parts) {
      n += b.remaining();
    }
    frame = ByteBuffer.allocate(n);
    for (ByteBuffer b : parts) {
      frame.put(b.duplicate());
    }
    frame.flip();
  }

  private Envelope request() {
    return Envelope.request(42, "protorpc.bench.BenchService", "Echo", 5_000_000,
        Metadata.empty(), "", body);
  }

  @Benchmark
  public ByteBuffer[] encode() {
    return codec.encode(request());
  }

  @Benchmark
  public Envelope decode() throws ProtocolException {
    return codec.decode(frame.duplicate(), 64 * 1024);
  }
}
