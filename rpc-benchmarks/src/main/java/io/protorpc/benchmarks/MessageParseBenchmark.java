package io.protorpc.benchmarks;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.protorpc.benchmarks.proto.EchoRequest;
import io.protorpc.benchmarks.rpc.EchoPayloads;
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
 * Evidence for a hot-path change in the core, measured here rather than made there: parsing a
 * received message from its frame buffer the way the core does now ({@code
 * parser.parseFrom(ByteBuffer)}, which copies every bytes field) vs with aliasing (the frame
 * wrapped with {@link UnsafeByteOperations#unsafeWrap} and {@link
 * CodedInputStream#enableAliasing}: bytes fields share the frame buffer, which the frame decoder
 * hands over and never touches again). Compare time and {@code gc.alloc.rate.norm}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class MessageParseBenchmark {
  @Param({"1024", "65536", "1048576"})
  public int payload;

  private ByteBuffer frame;

  @Setup(Level.Trial)
  public void setUp() {
    frame = ByteBuffer.wrap(EchoPayloads.request(payload).toByteArray());
  }

  @Benchmark
  public EchoRequest parseCopying() throws IOException {
    return EchoRequest.parser().parseFrom(frame.duplicate());
  }

  @Benchmark
  public EchoRequest parseAliasing() throws IOException {
    // Aliasing applies only to input protobuf knows is immutable: wrap it as a ByteString.
    CodedInputStream in = UnsafeByteOperations.unsafeWrap(frame.duplicate()).newCodedInput();
    in.enableAliasing(true);
    EchoRequest r = EchoRequest.parser().parseFrom(in);
    in.checkLastTagWas(0);
    return r;
  }
}
