package io.protorpc.benchmarks;

import io.protorpc.PluginRegistry;
import io.protorpc.benchmarks.rpc.EchoPayloads;
import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
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
 * Framing cost, length prefix vs COBS delimiter, per frame of {@code payload} bytes of protobuf
 * (the report turns frames/s into MB/s of payload). Encode: frame the payload and gather the
 * parts into one reused buffer, as a transport's write does. Decode: feed one encoded frame to a
 * decoder and take the frame out; decodeChunked feeds it in 64 KiB reads, as the socket
 * transport's reader does (a large frame then grows its buffer as it arrives).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class FramingBenchmark {
  @Param({"length", "delimiter"})
  public String framing;

  @Param({"1024", "65536", "1048576"})
  public int payload;

  private static final int CHUNK = 64 * 1024;

  private Framing codec;
  private ByteBuffer input;
  private ByteBuffer out;
  private ByteBuffer encoded;
  private FrameDecoder decoder;
  private ByteBuffer lastFrame;

  @Setup(Level.Trial)
  public void setUp() {
    codec = PluginRegistry.find(Framing.class, framing);
    input = ByteBuffer.wrap(EchoPayloads.bytes(payload));
    out = ByteBuffer.allocate(payload * 2 + 64);
    gather(codec.encode(input));
    encoded = ByteBuffer.allocate(out.position());
    encoded.put(out.flip()).flip();
    decoder = codec.newDecoder(payload * 2 + 64);
  }

  private void gather(ByteBuffer[] parts) {
    out.clear();
    for (ByteBuffer b : parts) {
      out.put(b);
    }
  }

  @Benchmark
  public int encode() {
    gather(codec.encode(input));
    return out.position();
  }

  @Benchmark
  public ByteBuffer decodeChunked() throws ProtocolException {
    lastFrame = null;
    ByteBuffer all = encoded.duplicate();
    while (all.hasRemaining()) {
      ByteBuffer chunk = all.slice();
      chunk.limit(Math.min(CHUNK, chunk.remaining()));
      all.position(all.position() + chunk.limit());
      decoder.decode(chunk, f -> lastFrame = f);
    }
    if (lastFrame == null || lastFrame.remaining() != payload) {
      throw new IllegalStateException("decoder returned no whole frame");
    }
    return lastFrame;
  }

  @Benchmark
  public ByteBuffer decode() throws ProtocolException {
    lastFrame = null;
    decoder.decode(encoded.duplicate(), f -> lastFrame = f);
    if (lastFrame == null || lastFrame.remaining() != payload) {
      throw new IllegalStateException("decoder returned no whole frame");
    }
    return lastFrame;
  }
}
