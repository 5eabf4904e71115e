package io.protorpc.benchmarks;

import io.protorpc.benchmarks.rpc.EchoPayloads;
import io.protorpc.benchmarks.rpc.RawSocketPeer;
import io.protorpc.benchmarks.rpc.Window;
import java.io.IOException;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * The floor: a blocking-socket, length-prefixed ping-pong of the same payload bytes (see {@link
 * RawSocketPeer}). Latency: one caller, send and wait for the echo. Throughput: {@code callers}
 * messages pipelined on ONE socket (the benchmark thread writes while a reader thread takes the
 * echoes and frees window slots), the same closed loop as the RPC throughput benchmarks.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class RawSocketEchoBenchmark {

  /** One caller. */
  @State(Scope.Benchmark)
  public static class OneCaller {
    @Param({"16", "1024", "65536", "1048576"})
    public int payload;

    RawSocketPeer peer;
    byte[] message;
    byte[] into;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      peer = new RawSocketPeer();
      message = EchoPayloads.bytes(payload);
      into = new byte[payload];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      peer.close();
    }
  }

  /** N pipelined messages on one socket. */
  @State(Scope.Benchmark)
  public static class ManyCallers {
    @Param({"16", "1024", "65536", "1048576"})
    public int payload;

    @Param({"64"})
    public int callers;

    RawSocketPeer peer;
    byte[] message;
    Window window;
    Thread reader;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      peer = new RawSocketPeer();
      message = EchoPayloads.bytes(payload);
      window = new Window(callers);
      byte[] into = new byte[payload];
      reader = new Thread(() -> {
        try {
          while (true) {
            peer.receiveInto(into);
            window.release(true);
          }
        } catch (IOException closed) {
          // socket closed at tear-down
        }
      }, "raw-echo-reader");
      reader.setDaemon(true);
      reader.start();
    }

    @TearDown(Level.Iteration)
    public void checkCalls() {
      window.checkNoFailures(); // the window stays full between iterations: see Window
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException, InterruptedException {
      window.drain();
      peer.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int latency(OneCaller s) throws IOException {
    return s.peer.pingPong(s.message, s.into);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public void throughput(ManyCallers s) throws InterruptedException, IOException {
    s.window.acquire();
    s.peer.sendAndFlush(s.message);
  }
}
