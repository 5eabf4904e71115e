package io.protorpc.transport.netty;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Writes made on one event loop to a connection of another (a proxy relaying from upstream to
 * downstream): when the downstream peer reads slowly, the upstream connection stops reading,
 * instead of the downstream connection buffering everything upstream sends.
 */
class NettyForeignLoopWriteTest extends LoopbackTest {
  private static final int SENT = 32 << 20;

  @Test
  void aWriteFromAnotherEventLoopPausesTheReadingThatProducedIt() throws Exception {
    TransportOptions small = TransportOptions.builder().connectTimeout(Duration.ofSeconds(5))
        .writeBufferBytes(64 * 1024).build();
    NettyTransport downstreamTransport = new NettyTransport(); // its own loops: a foreign loop
    try (ServerSocket slowReader = new ServerSocket()) {
      slowReader.setReceiveBufferSize(64 * 1024);
      slowReader.bind(new InetSocketAddress(LOOPBACK, 0), 1);
      NettyConnection downstream = connect(downstreamTransport,
          (InetSocketAddress) slowReader.getLocalSocketAddress(), small, new Inbox());
      Socket held = slowReader.accept(); // accepted, never read
      closeLater(held);
      ConnectionHandler relay = new ConnectionHandler() {
        @Override
        public void onRead(ByteBuffer data) {
          try {
            downstream.write(data);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }

        @Override
        public void onClosed(Throwable cause) { }
      };
      Listener upstreamListener = listen(transport, small, conn -> relay);
      Socket producer = new Socket(LOOPBACK,
          ((java.net.InetSocketAddress) upstreamListener.localAddress()).getPort());
      closeLater(producer);
      AtomicLong written = new AtomicLong();
      Future<?> produce = pool.submit(() -> {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = producer.getOutputStream()) {
          while (written.get() < SENT) {
            out.write(chunk);
            written.addAndGet(chunk.length);
          }
        } catch (IOException closedByTest) {
          // the test is over
        }
      });
      // Until the producer stalls (its writes stop for 2 s: backpressure reached it) or has sent
      // everything, which it can only do if the relay read without bound.
      long most = 0;
      long lastWritten = -1;
      long stableSince = System.nanoTime();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < until && written.get() < SENT) {
        most = Math.max(most, downstream.pendingOutboundBytes());
        if (written.get() != lastWritten) {
          lastWritten = written.get();
          stableSince = System.nanoTime();
        } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(2)) {
          break;
        }
        Thread.sleep(10);
      }
      most = Math.max(most, downstream.pendingOutboundBytes());
      assertTrue(written.get() < SENT, "the upstream peer was never slowed: it sent all "
          + SENT + " bytes while downstream read nothing");
      assertTrue(most < 8 << 20, "downstream buffered " + most + " bytes");
      producer.close();
      produce.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }
}
