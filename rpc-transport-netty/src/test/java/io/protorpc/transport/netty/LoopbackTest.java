package io.protorpc.transport.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the transport's own tests share: a transport, listeners and connections over loopback that
 * are closed after each test (last opened first), a thread pool, bounded waits, and a check that
 * each test starts with no event-loop thread alive (those of earlier tests end as they close).
 */
@ExtendWith(NettyLeakCheck.class)
abstract class LoopbackTest {
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  static final Duration WAIT = Duration.ofSeconds(10);
  static final TransportOptions OPTIONS = TransportOptions.builder()
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  final NettyTransport transport = new NettyTransport();
  final ExecutorService pool = Executors.newCachedThreadPool();
  private final List<AutoCloseable> opened = new ArrayList<>();

  @BeforeEach
  void noLoopThreadsLeft() throws Exception {
    assertTrue(waitUntil(() -> liveLoopThreads().isEmpty()),
        () -> "threads left by an earlier test: " + liveLoopThreads());
  }

  @AfterEach
  void closeEverything() throws Exception {
    pool.shutdownNow();
    closeAll();
  }

  /** Closes everything opened so far, last first. */
  synchronized void closeAll() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
    opened.clear();
  }

  /** Closes {@code c} after the test; returns it. */
  synchronized <T extends AutoCloseable> T closeLater(T c) {
    opened.add(c);
    return c;
  }

  Listener listen(Transport t, TransportOptions options, Transport.Acceptor acceptor)
      throws IOException {
    return closeLater(t.listen(new InetSocketAddress(LOOPBACK, 0), options, acceptor));
  }

  NettyConnection connect(Transport t, java.net.SocketAddress to, TransportOptions options,
      ConnectionHandler handler) throws IOException {
    Connection c = t.connect(to, options, handler);
    closeLater(c::close);
    return (NettyConnection) c;
  }

  /** A connection to a new listener that gives every connection it accepts to {@code server}. */
  NettyConnection connectTo(Inbox server, TransportOptions options) throws IOException {
    Listener listener = listen(transport, options, conn -> server);
    return connect(transport, listener.localAddress(), options, new Inbox());
  }

  /** Polls {@code condition} until it holds or {@link #WAIT} has passed; true if it held. */
  static boolean waitUntil(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
    return true;
  }

  /** Names of the live event-loop threads of every NettyTransport. */
  static List<String> liveLoopThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("protorpc-netty-"))
        .map(Thread::getName)
        .sorted()
        .collect(Collectors.toList());
  }

  static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(UTF_8));
  }
}
