package io.protorpc.transport.inproc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.InProcessAddress;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.TestService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The in-process transport at the SPI: names, refusals, ordering, backpressure and closing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InProcessTransportTest {
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final TransportOptions OPTIONS = TransportOptions.defaults();
  private final Transport transport = new InProcessTransport();

  private static InProcessAddress fresh() {
    return new InProcessAddress("unit-" + NAMES.incrementAndGet());
  }

  /** Collects what arrives; blocks in onRead while {@code gate} is closed (a peer not reading). */
  private static class Collecting implements ConnectionHandler {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final CompletableFuture<Throwable> closed = new CompletableFuture<>();
    final CountDownLatch gate;

    Collecting(boolean reading) {
      gate = new CountDownLatch(reading ? 0 : 1);
    }

    @Override
    public void onRead(ByteBuffer data) {
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (bytes) {
        while (data.hasRemaining()) {
          bytes.write(data.get());
        }
      }
    }

    @Override
    public void onClosed(Throwable cause) {
      closed.complete(cause);
    }

    int size() {
      synchronized (bytes) {
        return bytes.size();
      }
    }
  }

  @Test
  void installedUnderItsNameAndChosenForInProcessAddressesOnly() {
    assertInstanceOf(InProcessTransport.class, PluginRegistry.find(Transport.class, "inproc"));
    assertInstanceOf(InProcessTransport.class, PluginRegistry.transportFor(fresh()));
    assertFalse(transport.supports(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        transport.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1), OPTIONS,
            new Collecting(true)));
    assertTrue(e.getMessage().contains("in-process addresses only"), e.getMessage());
  }

  @Test
  void aNameIsTakenByOneListenerAtATimeAndFreedByClosing() throws Exception {
    InProcessAddress name = fresh();
    Listener first = transport.listen(name, OPTIONS, c -> new Collecting(true));
    BindException taken = assertThrows(BindException.class,
        () -> transport.listen(name, OPTIONS, c -> new Collecting(true)));
    assertTrue(taken.getMessage().contains(name.toString()), taken.getMessage());
    first.close();
    ConnectException none = assertThrows(ConnectException.class,
        () -> transport.connect(name, OPTIONS, new Collecting(true)));
    assertTrue(none.getMessage().contains("no in-process server"), none.getMessage());
    transport.listen(name, OPTIONS, c -> new Collecting(true)).close();
  }

  @Test
  void bytesArriveInOrderAndAnOrderlyCloseDeliversTheRestFirst() throws Exception {
    InProcessAddress name = fresh();
    CompletableFuture<Collecting> server = new CompletableFuture<>();
    try (Listener l = transport.listen(name, OPTIONS, c -> {
      Collecting h = new Collecting(true);
      server.complete(h);
      return h;
    })) {
      Collecting client = new Collecting(true);
      Connection c = transport.connect(name, OPTIONS, client);
      byte[] sent = new byte[300_000]; // several rings' worth, split across writes
      for (int i = 0; i < sent.length; i++) {
        sent[i] = (byte) (i * 7);
      }
      for (int off = 0; off < sent.length; off += 100_000) {
        c.write(ByteBuffer.wrap(sent, off, 50_000), ByteBuffer.wrap(sent, off + 50_000, 50_000));
      }
      c.close();
      Collecting s = server.get(10, TimeUnit.SECONDS);
      assertNull(s.closed.get(10, TimeUnit.SECONDS), "an orderly close has no cause");
      assertArrayEquals(sent, s.bytes.toByteArray());
      assertNull(client.closed.get(10, TimeUnit.SECONDS));
      assertThrows(IOException.class, () -> c.write(ByteBuffer.wrap(new byte[1])));
    }
  }

  @Test
  void aWriterBlocksWhileThePeerDoesNotReadAndFailsWhenItCloses() throws Exception {
    InProcessAddress name = fresh();
    CompletableFuture<Connection> accepted = new CompletableFuture<>();
    Collecting stalled = new Collecting(false);
    TransportOptions small = TransportOptions.builder().writeBufferBytes(4096).build();
    try (Listener l = transport.listen(name, small, c -> {
      accepted.complete(c);
      return new Collecting(true);
    })) {
      Connection client = transport.connect(name, small, stalled);
      Connection server = accepted.get(10, TimeUnit.SECONDS);
      Future<?> writer = CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < 100; i++) {
            server.write(ByteBuffer.wrap(new byte[4096]));
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      Thread.sleep(300); // the scenario: the client reads nothing for a while
      assertFalse(writer.isDone(), "400 KiB went into a peer that reads nothing");
      // bounded: the client's ring (4 KiB), the byte array its stalled reader holds (at most
      // 4 KiB) and nothing more
      client.close();
      java.util.concurrent.ExecutionException e = assertThrows(
          java.util.concurrent.ExecutionException.class, () -> writer.get(10, TimeUnit.SECONDS));
      assertInstanceOf(java.io.UncheckedIOException.class, e.getCause());
      stalled.gate.countDown();
      assertTrue(stalled.size() <= 2 * 4096, "held " + stalled.size() + " bytes");
    }
  }

  @Test
  void aThrowingHandlerEndsOnlyItsConnection() throws Exception {
    InProcessAddress name = fresh();
    AtomicInteger accepts = new AtomicInteger();
    try (Listener l = transport.listen(name, OPTIONS, c -> accepts.incrementAndGet() == 1
        ? new Collecting(true) {
          @Override
          public void onRead(ByteBuffer data) {
            throw new IllegalStateException("boom");
          }
        }
        : new Collecting(true))) {
      Collecting first = new Collecting(true);
      Connection bad = transport.connect(name, OPTIONS, first);
      bad.write(ByteBuffer.wrap(new byte[] {1}));
      assertNull(first.closed.get(10, TimeUnit.SECONDS), "the peer sees an orderly end");
      Collecting second = new Collecting(true);
      Connection good = transport.connect(name, OPTIONS, second);
      good.write(ByteBuffer.wrap(new byte[] {2}));
      assertTrue(good.isOpen());
      good.close();
    }
  }

  @Test
  void aServerAndClientFindEachOtherByNameWithoutNamingTheTransport() throws Exception {
    InProcessAddress name = fresh();
    try (RpcServer server = RpcServer.builder().address(name)
            .addService(new TestServiceImpl().asService()).start();
        RpcClient client = RpcClient.builder().address(name).connect()) {
      assertEquals(name, server.localAddress());
      assertEquals("inproc", client.transportName());
      assertEquals("hi", TestService.newBlockingStub(client).echo(
          new io.protorpc.ClientController(), EchoRequest.newBuilder().setText("hi").build())
          .getText());
      IllegalStateException noPort = assertThrows(IllegalStateException.class, server::port);
      assertTrue(noPort.getMessage().contains(name.toString()), noPort.getMessage());
    }
  }

  @Test
  void namesAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> new InProcessAddress(""));
    assertThrows(IllegalArgumentException.class, () -> new InProcessAddress("a b"));
    assertThrows(IllegalArgumentException.class, () -> new InProcessAddress("a/b"));
    assertThrows(IllegalArgumentException.class, () -> new InProcessAddress("x".repeat(256)));
    assertEquals("inproc://calc", new InProcessAddress("calc").toString());
  }
}
