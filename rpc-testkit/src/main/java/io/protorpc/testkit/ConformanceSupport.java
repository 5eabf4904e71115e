package io.protorpc.testkit;

import com.google.protobuf.BlockingService;
import com.google.protobuf.ByteString;
import com.google.protobuf.Service;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcServer;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Transport;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What the suites share: the transport under test, and servers and clients that are closed after
 * each test. Extend {@link TransportConformanceSuite}, which includes every suite.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ConformanceSupport extends RequiresJUnitPlatform {
  static final long WAIT_SECONDS = 20;

  private final Resources resources = new Resources();

  /** The transport the suite's servers listen with. */
  protected abstract Transport serverTransport();

  /** The transport the suite's clients connect with; the server's by default. */
  protected Transport clientTransport() {
    return serverTransport();
  }

  /** Framings every test runs with; override to add yours. */
  protected List<String> framings() {
    return List.of("length", "delimiter");
  }

  /**
   * Where a suite's server listens when the test does not care: a fresh address each time. By
   * default the loopback address with port 0; a transport for other kinds of address (the
   * in-process one, say) returns one of its own.
   */
  protected SocketAddress listenAddress() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  /**
   * An address free now, on which a test may start a server, stop it, and start another one
   * again (reconnection tests). By default a free loopback port.
   */
  protected SocketAddress reusableAddress() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
    }
  }

  /**
   * Whether the transport carries TLS. A transport that does not (the in-process one: its bytes
   * never leave the JVM) says so here, and the suite's TLS tests then prove instead that asking
   * it for TLS fails clearly, on both builders, rather than falling back to plaintext.
   */
  protected boolean carriesTls() {
    return true;
  }

  /** A raw peer connected to {@code server} (see {@link RawConnection#connect}). */
  protected RawConnection raw(RpcServer server) throws IOException {
    return RawConnection.connect(clientTransport(), server.localAddress(), 10_000);
  }

  /** The codec the suite uses. */
  protected String codec() {
    return "protobuf";
  }

  @AfterEach
  void closeResources() throws Exception {
    resources.closeAll();
  }

  /**
   * Starts a server on loopback serving {@code impl} (as a blocking or an async service), closed
   * after the test.
   */
  protected RpcServer startServer(TestServiceImpl impl, boolean blocking,
      Consumer<RpcServer.Builder> customize) throws IOException {
    if (blocking) {
      BlockingService service = impl.asBlockingService();
      return start(b -> b.addService(service), customize);
    }
    return startServer(impl.asService(), customize);
  }

  /** Starts a server on loopback serving {@code service}, closed after the test. */
  protected RpcServer startServer(Service service, Consumer<RpcServer.Builder> customize)
      throws IOException {
    return start(b -> b.addService(service), customize);
  }

  private RpcServer start(Consumer<RpcServer.Builder> addService,
      Consumer<RpcServer.Builder> customize) throws IOException {
    RpcServer.Builder b = RpcServer.builder().address(listenAddress())
        .transport(serverTransport()).codecs(codec());
    addService.accept(b);
    customize.accept(b);
    RpcServer server = b.start();
    resources.add(server);
    return server;
  }

  /** Connects a client with {@code framing}, closed after the test. */
  protected RpcClient connect(RpcServer server, String framing, Consumer<RpcClient.Builder> customize)
      throws IOException {
    RpcClient.Builder b = RpcClient.builder().address(server.localAddress())
        .transport(clientTransport()).framing(framing).codec(codec());
    customize.accept(b);
    RpcClient client = b.connect();
    resources.add(client);
    return client;
  }

  RpcServer server(TestServiceImpl impl) throws IOException {
    return startServer(impl, false, b -> { });
  }

  RpcClient client(RpcServer server, String framing) throws IOException {
    return connect(server, framing, b -> { });
  }

  static EchoRequest echo(String text, int payloadBytes) {
    byte[] payload = new byte[payloadBytes];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 31 + text.length()); // every byte value occurs, 0x00 included
    }
    return EchoRequest.newBuilder().setText(text).setPayload(ByteString.copyFrom(payload)).build();
  }

  /** Makes an async call and waits (bounded) for its callback. */
  static EchoResponse asyncEcho(RpcClient client, ClientController c, EchoRequest r)
      throws Exception {
    CompletableFuture<EchoResponse> f = new CompletableFuture<>();
    TestService.newStub(client).echo(c, r, f::complete);
    return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** Polls {@code condition} for up to {@link #WAIT_SECONDS}; true once it holds. */
  protected static boolean waitUntil(BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(10);
    }
    return condition.getAsBoolean();
  }


  /**
   * How far the live heap may end above its baseline after a fault: well above the noise of a
   * collection (a few MiB), well below what the scenarios that check it would leave behind if
   * their connections, calls or buffers were kept (tens of MiB each).
   */
  static final long HEAP_SLACK_BYTES = 16L << 20;

  /** The heap still in use after a full collection (the least of three, to skip stragglers). */
  static long liveHeapBytes() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
      Thread.sleep(10);
    }
    return least;
  }

  /**
   * Waits (bounded) for the live heap to come back within {@link #HEAP_SLACK_BYTES} of {@code
   * baseline}, and fails with both figures if it does not.
   */
  static void assertHeapBackToBaseline(long baseline, String after) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    long live = liveHeapBytes();
    while (live - baseline > HEAP_SLACK_BYTES && System.nanoTime() < deadline) {
      Thread.sleep(100);
      live = liveHeapBytes();
    }
    long grown = live - baseline;
    if (grown > HEAP_SLACK_BYTES) {
      throw new AssertionError(String.format("after %s the live heap stayed %,d bytes above its "
          + "baseline of %,d bytes (allowed: %,d)", after, grown, baseline, HEAP_SLACK_BYTES));
    }
  }

  /**
   * A compressor named {@code testkit-counting} that counts the payloads it is asked to compress
   * and leaves them as they are (never smaller, so they travel uncompressed).
   */
  static Compressor countingCompressor(AtomicInteger compressions) {
    Compressor identity = PluginRegistry.find(Compressor.class, "identity");
    return new Compressor() {
      @Override
      public String name() {
        return "testkit-counting";
      }

      @Override
      public ByteBuffer compress(ByteBuffer input) throws IOException {
        compressions.incrementAndGet();
        return identity.compress(input);
      }

      @Override
      public ByteBuffer decompress(ByteBuffer input, int max) throws IOException {
        return identity.decompress(input, max);
      }
    };
  }

  /** Registers something to close after the test. */
  protected <T extends AutoCloseable> T closeAfterTest(T resource) {
    return resources.add(resource);
  }
}
