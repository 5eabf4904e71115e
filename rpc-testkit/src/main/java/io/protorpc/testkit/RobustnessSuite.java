package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.ServiceException;
import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.RpcException;
import io.protorpc.ServerInterceptor;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS and mutual TLS, and what a hostile or broken peer can do: kill a call mid-way, stop reading,
 * trickle bytes, open and drop a thousand connections. After each, the server is healthy and has
 * nothing left over. Part of {@link TransportConformanceSuite}.
 */
public abstract class RobustnessSuite extends LoadBalancingSuite {

  // ---------------------------------------------------------------- TLS
  // A transport that carries no TLS (carriesTls() false) must refuse it clearly instead: each TLS
  // test then proves that refusal, so nothing here is skipped for any transport.

  /**
   * Asking a transport without TLS for it fails at once, on both builders, saying so. Any context
   * will do (the JDK's default: no certificates need making), since none may be used.
   */
  private void assertTlsIsRefused() throws Exception {
    SSLContext any = SSLContext.getDefault();
    IllegalArgumentException server = assertThrows(IllegalArgumentException.class,
        () -> startServer(new TestServiceImpl(), false, b -> b.tls(any, false)));
    assertTrue(server.getMessage().contains("TLS"), server.getMessage());
    RpcServer plain = server(new TestServiceImpl());
    // the transport's IllegalArgumentException, or the client's IOException reporting it
    Exception client = assertThrows(Exception.class,
        () -> tlsClient(plain, framings().get(0), any));
    assertTrue(client instanceof IllegalArgumentException || client instanceof IOException,
        client::toString);
    assertTrue(client.getMessage().contains("TLS"), client.getMessage());
  }

  /**
   * The test certificates are made here, outside any test's time limit: keytool starts a JVM per
   * step, which on a busy machine can take longer than a test may.
   */
  @BeforeAll
  void makeTestCertificates() throws IOException {
    TestCertificates.get();
  }

  private RpcServer tlsServer(boolean requireClientAuth, ServerInterceptor interceptor)
      throws IOException {
    SSLContext ctx = TestCertificates.get().serverContext();
    return startServer(new TestServiceImpl(), false, b -> {
      b.tls(ctx, requireClientAuth);
      if (interceptor != null) {
        b.intercept(interceptor);
      }
    });
  }

  private RpcClient tlsClient(RpcServer server, String framing, SSLContext ctx)
      throws IOException {
    return connect(server, framing, b -> b.tls(ctx));
  }

  @ParameterizedTest
  @MethodSource("framings")
  void tlsCallsWork(String framing) throws Exception {
    if (!carriesTls()) {
      assertTlsIsRefused();
      return;
    }
    ServerInterceptor report = (c, request, next, done) -> {
      c.responseMetadata().put("tls", c.sslSession().map(s -> s.getProtocol()).orElse("none"));
      c.responseMetadata().put("peer", c.peerPrincipal().map(Principal::getName).orElse("none"));
      next.handle(c, request, done);
    };
    RpcServer server = tlsServer(false, report);
    RpcClient client = tlsClient(server, framing,
        TestCertificates.get().clientContextWithoutCertificate());
    ClientController c = new ClientController();
    EchoResponse r = TestService.newBlockingStub(client).echo(c, echo("secret", 70_000));
    assertEquals("secret", r.getText());
    assertEquals(70_000, r.getPayload().size());
    assertTrue(c.responseMetadata().get("tls").startsWith("TLS"), c.responseMetadata().get("tls"));
    assertEquals("none", c.responseMetadata().get("peer"));
  }

  @ParameterizedTest
  @MethodSource("framings")
  void mutualTlsGivesInterceptorsTheClientsIdentity(String framing) throws Exception {
    if (!carriesTls()) {
      assertTlsIsRefused();
      return;
    }
    ServerInterceptor authorize = (c, request, next, done) -> {
      String peer = c.peerPrincipal().map(Principal::getName).orElse("");
      if (!peer.equals(TestCertificates.clientSubject())) {
        c.setFailed(Status.of(StatusCode.PERMISSION_DENIED, "not allowed: " + peer));
        done.run(null);
        return;
      }
      c.responseMetadata().put("peer", peer);
      next.handle(c, request, done);
    };
    RpcServer server = tlsServer(true, authorize);
    RpcClient client = tlsClient(server, framing, TestCertificates.get().clientContext());
    ClientController c = new ClientController();
    assertEquals("mtls", TestService.newBlockingStub(client).echo(c, echo("mtls", 1)).getText());
    assertEquals(TestCertificates.clientSubject(), c.responseMetadata().get("peer"));
  }

  @Test
  void aClientThatDoesNotTrustTheServerFailsTheHandshakeClearly() throws Exception {
    if (!carriesTls()) {
      assertTlsIsRefused();
      return;
    }
    RpcServer server = tlsServer(false, null);
    IOException e = assertThrows(IOException.class, () -> tlsClient(server, framings().get(0),
        TestCertificates.get().untrustingClientContext()));
    assertTrue(mentionsCertificates(e), () -> "unclear error: " + describe(e));
    // the server is fine for trusted clients
    RpcClient ok = tlsClient(server, framings().get(0),
        TestCertificates.get().clientContextWithoutCertificate());
    assertEquals("ok", TestService.newBlockingStub(ok).echo(new ClientController(),
        echo("ok", 1)).getText());
  }

  @Test
  void aServerRequiringClientCertificatesRefusesAClientWithout() throws Exception {
    if (!carriesTls()) {
      assertTlsIsRefused();
      return;
    }
    RpcServer server = tlsServer(true, null);
    IOException e = assertThrows(IOException.class, () -> tlsClient(server, framings().get(0),
        TestCertificates.get().clientContextWithoutCertificate()));
    assertTrue(mentionsCertificates(e), () -> "unclear error: " + describe(e));
  }

  /**
   * A TLS client on a plaintext port and a plaintext client on a TLS port: each client's error and
   * the server's log say which side uses TLS. (A transport's TLS server answers a plaintext client
   * with a TLS alert, and its TLS client names a plaintext answer; see {@code TlsMismatch}.)
   */
  @Test
  void aTlsMismatchIsNamedOnBothSides() throws Exception {
    if (!carriesTls()) {
      assertTlsIsRefused();
      return;
    }
    String framing = framings().get(0);
    RpcServer plain = startServer(new TestServiceImpl(), false, b -> { });
    try (LogCapture log = new LogCapture(RpcServer.class.getName())) {
      IOException e = assertThrows(IOException.class, () -> tlsClient(plain, framing,
          TestCertificates.get().clientContextWithoutCertificate()));
      assertTrue(e.getMessage().contains("answered plaintext to a TLS handshake (is the server"
          + " using TLS?)"), () -> "unclear error: " + describe(e));
      awaitWarning(log, "sent a TLS handshake to this plaintext port");
    }
    RpcServer tls = tlsServer(false, null);
    try (LogCapture log = new LogCapture(RpcServer.class.getName())) {
      IOException e = assertThrows(IOException.class, () -> connect(tls, framing, b -> { }));
      assertTrue(e.getMessage().contains("speaks TLS: it answered this plaintext connection with"
          + " a TLS record"), () -> "unclear error: " + describe(e));
      awaitWarning(log, "sent plaintext, not a TLS handshake, to this TLS port");
    }
    // each server still serves its own kind of client
    assertEquals("p", TestService.newBlockingStub(client(plain, framing))
        .echo(new ClientController(), echo("p", 1)).getText());
    assertEquals("t", TestService.newBlockingStub(tlsClient(tls, framing,
        TestCertificates.get().clientContextWithoutCertificate()))
        .echo(new ClientController(), echo("t", 1)).getText());
  }

  /** Waits (bounded) for the server to log a warning containing {@code text}. */
  private static void awaitWarning(LogCapture log, String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (log.matching(Level.WARNING, text).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertFalse(log.matching(Level.WARNING, text).isEmpty(),
        () -> "the server logged no warning containing '" + text + "'");
  }

  private static boolean mentionsCertificates(Throwable e) {
    return describe(e).toLowerCase(Locale.ROOT).contains("certificat");
  }

  private static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null && sb.length() < 4000; t = t.getCause()) {
      sb.append(t).append(" <- ");
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- broken and hostile peers

  @ParameterizedTest
  @MethodSource("framings")
  void aClientKilledMidCallLeavesNothingOnTheServer(String framing) throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    RpcServer server = startServer(impl, false, b -> { });
    long baseline = liveHeapBytes();
    RpcClient client = connect(server, framing, b -> { });
    // 20 calls holding 1 MiB each on the server: kept after the client dies, that is 20 MiB
    EchoRequest big = echo("h", 1 << 20);
    for (int i = 0; i < 20; i++) {
      TestService.newStub(client).hang(new ClientController(), big, r -> { });
    }
    assertTrue(impl.awaitHangsStarted(20, WAIT_SECONDS, TimeUnit.SECONDS));
    client.close();
    assertTrue(impl.awaitCancellations(20, WAIT_SECONDS, TimeUnit.SECONDS));
    assertTrue(waitUntil(() -> server.callsInFlight() == 0 && server.connectionCount() == 0),
        () -> server.callsInFlight() + " calls, " + server.connectionCount() + " connections left");
    big = null; // the test's own copy is not the server's to free
    assertHeapBackToBaseline(baseline, "a client died with 20 calls of 1 MiB in flight");
  }

  @Test
  void aClientThatStopsReadingIsCutOffAndOthersCarryOn() throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.writeTimeout(Duration.ofMillis(300)));
    RpcClient healthy = connect(server, framings().get(0), b -> { });
    long baseline = liveHeapBytes();
    String framing = framings().get(0);
    try (RawConnection raw = raw(server)) {
      raw.handshake(PluginRegistry.find(Framing.class, framing),
          PluginRegistry.find(Codec.class, codec()));
      // ask for far more response bytes than the socket buffers hold, and never read them
      EchoRequest big = EchoRequest.newBuilder()
          .setPayload(ByteString.copyFrom(new byte[256 * 1024])).build();
      for (int i = 1; i <= 400; i++) {
        try {
          raw.send(Envelope.request(i, TestService.getDescriptor().getFullName(), "Echo", 0,
              null, "", ByteBuffer.wrap(big.toByteArray())));
        } catch (IOException e) {
          break; // the server closed the connection on us
        }
      }
      // Still not reading (reading would let the server's writes progress again): the server
      // must give up on this connection by itself.
      assertTrue(waitUntil(() -> server.connectionCount() == 1),
          "the server kept a non-reading client");
    }
    assertTrue(waitUntil(() -> server.connectionCount() == 1 && server.callsInFlight() == 0),
        () -> server.connectionCount() + " connections, " + server.callsInFlight() + " calls");
    assertEquals("fine", TestService.newBlockingStub(healthy)
        .echo(new ClientController(), echo("fine", 1)).getText());
    // up to 100 MiB of requests and their answers went to a peer that never read
    assertHeapBackToBaseline(baseline, "a client that stopped reading was cut off");
  }

  @Test
  void aSlowlorisPeerIsClosedByTheHandshakeTimeout() throws Exception {
    // long enough for a healthy client's whole handshake on a loaded machine (300 ms was not:
    // the healthy connect below once failed so), far shorter than the trickle's 8 s
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.handshakeTimeout(Duration.ofSeconds(1)));
    byte[] preface = RawConnection.preface(1,
        RawConnection.clientFields(framings().get(0), codec()));
    long start = System.nanoTime();
    boolean closed = false;
    try (RawConnection raw = raw(server)) {
      raw.setReadTimeout(100);
      // one byte every 100 ms, for at most the whole preface
      for (int i = 0; i < preface.length && !closed; i++) {
        try {
          raw.write(new byte[] {preface[i]});
          closed = raw.closedByServer(); // false after 100 ms of nothing: go on trickling
        } catch (IOException e) {
          closed = true;
        }
      }
    }
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(closed, "the server waited for the whole trickled preface");
    assertTrue(elapsedMillis < 5000, "closed only after " + elapsedMillis + " ms");
    RpcClient healthy = connect(server, framings().get(0), b -> { });
    assertEquals("fine", TestService.newBlockingStub(healthy)
        .echo(new ClientController(), echo("fine", 1)).getText());
  }

  @Test
  void aThousandConnectionsOpenedAndDroppedLeaveNothingBehind() throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false, b -> { });
    int baselineThreads = Thread.activeCount();
    long baselineHeap = liveHeapBytes();
    byte[] preface = RawConnection.preface(1,
        RawConnection.clientFields(framings().get(0), codec()));
    for (int batch = 0; batch < 10; batch++) {
      List<RawConnection> open = new ArrayList<>();
      try {
        for (int i = 0; i < 100; i++) {
          RawConnection c = raw(server);
          open.add(c);
          switch (i % 3) {
            case 0 -> { } // connect and drop
            case 1 -> c.write(java.util.Arrays.copyOf(preface, 5)); // half a preface
            default -> c.write(preface); // a whole one, then gone
          }
        }
      } finally {
        for (RawConnection c : open) {
          c.close();
        }
      }
    }
    assertTrue(waitUntil(() -> server.connectionCount() == 0),
        () -> server.connectionCount() + " connections left");
    RpcClient healthy = connect(server, framings().get(0), b -> { });
    assertEquals("fine", TestService.newBlockingStub(healthy)
        .echo(new ClientController(), echo("fine", 1)).getText());
    assertTrue(waitUntil(() -> Thread.activeCount() <= baselineThreads + 16),
        () -> "threads: " + Thread.activeCount() + ", before: " + baselineThreads);
    // a connection kept would hold its session and, on the socket transport, its reader's
    // 64 KiB buffer: 1,000 of them, tens of MiB (Netty's pooled buffers are the leak detector's)
    assertHeapBackToBaseline(baselineHeap, "1,000 connections were opened and dropped");
  }

  @Test
  void connectionsBeyondTheLimitAreRefusedWithAReason() throws Exception {
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.maxConnections(2));
    connect(server, framings().get(0), b -> { });
    connect(server, framings().get(0), b -> { });
    try (RawConnection raw = raw(server)) {
      try {
        raw.write(RawConnection.preface(1,
            RawConnection.clientFields(framings().get(0), codec())));
      } catch (IOException refusedFirst) {
        // the server may refuse on accept, before reading: its refusal is still there to read
      }
      Map<String, String> reply = raw.readPreface();
      assertEquals("refused", reply.get("status"));
      assertTrue(reply.get("reason").contains("too many connections"), reply.toString());
    }
    assertFalse(server.connectionCount() > 2);
  }

  // ---------------------------------------------------------------- the memory budget

  /**
   * Two peers park nearly whole frames until a small budget is spent: new calls are refused with
   * RESOURCE_EXHAUSTED, the connection holding the most is closed with a go-away saying why, and
   * the server serves again, by itself.
   */
  @Test
  void aSpentMemoryBudgetRefusesCallsThenClosesTheBiggestHolderAndRecovers() throws Exception {
    int maxMessage = 1 << 20;
    long budget = 2L << 20; // less than two whole frames of 1 MiB + 64 KiB
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.maxMessageSize(maxMessage).memoryBudget(budget));
    RpcClient normal = connect(server, framings().get(0), b -> { });
    assertEquals("ok", TestService.newBlockingStub(normal)
        .echo(new ClientController(), echo("ok", 10)).getText());
    int frame = maxMessage + 64 * 1024;
    List<RawConnection> parkers = new ArrayList<>();
    List<Thread> writers = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        RawConnection raw = closeAfterTest(raw(server));
        parkers.add(raw);
        assertEquals("ok", raw.handshake(PluginRegistry.find(Framing.class, "length"),
            PluginRegistry.find(Codec.class, codec())).get("status"));
        Thread w = new Thread(() -> {
          try {
            raw.write(ByteBuffer.allocate(4).putInt(frame).array());
            raw.write(new byte[frame - 1]); // all but the last byte: the frame never ends
          } catch (IOException e) {
            // closed by the server to free memory, or by the test
          }
        }, "parker-" + i);
        w.setDaemon(true);
        writers.add(w);
        w.start();
      }
      assertTrue(waitUntil(() -> server.memoryInUse() >= budget),
          () -> "the budget was not spent: " + server.memoryInUse() + " bytes in use");
      // new calls are refused while it is spent, with the reason. The server closes the biggest
      // holder half a second after the budget was spent: a call slower than that (a loaded
      // machine) may arrive after the relief, and is then served; anything else is a failure.
      try {
        TestService.newBlockingStub(normal).echo(new ClientController(), echo("no room", 10));
        assertTrue(waitUntil(() -> server.connectionCount() == 2),
            () -> "a call was served while the budget was spent and no holder was closed: "
                + server.memoryInUse() + " bytes in use, " + server.connectionCount()
                + " connections");
      } catch (RpcException refused) {
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, refused.code(), refused::getMessage);
        assertTrue(refused.getMessage().contains("memory budget"), refused.getMessage());
      }
      // half a second later the biggest holder is told why and closed, and the server recovers
      assertTrue(waitUntil(() -> server.connectionCount() == 2),
          () -> server.connectionCount() + " connections; the biggest holder was not closed");
      RawConnection closed = null;
      for (RawConnection raw : parkers) {
        if (raw.closedByServerWithin(100)) {
          closed = raw;
        }
      }
      assertTrue(closed != null, "no parker saw its connection closed");
      assertTrue(waitUntil(() -> server.memoryInUse() < budget));
      assertEquals("back", TestService.newBlockingStub(normal)
          .echo(new ClientController(), echo("back", 10)).getText());
    } finally {
      for (RawConnection raw : parkers) {
        raw.close();
      }
      for (Thread w : writers) {
        w.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      }
    }
    assertTrue(waitUntil(() -> server.memoryInUse() == 0 && server.connectionCount() == 1),
        () -> server.memoryInUse() + " bytes still counted, " + server.connectionCount()
            + " connections");
  }

  /**
   * A server whose budget is three max-size frames, so that a connection's share is two: a
   * connection holds a call of 50,000 bytes while a nearly whole max-size frame arrives in two
   * parts, then the held call is answered, and the frame's last byte comes: it must be read, and
   * both calls answered. Two bugs kept that connection paused for good. The server counted the
   * frame's bytes on top of the buffer it had already counted for them (up to twice the frame),
   * so it paused at its share. And the answer, held while written, spends the budget for a moment,
   * which pauses a connection holding anything; once it is written the connection reads again
   * only at half its share, one max-size frame, which one unfinished frame plus its framing's
   * overhead on the wire (COBS code bytes: the delimiter framing) exceeds.
   */
  @ParameterizedTest
  @MethodSource("framings")
  void aNearlyWholeFrameArrivingInPartsUnderASmallBudgetIsReadToItsEnd(String framingName)
      throws Exception {
    int maxMessage = 64 * 1024;
    int maxHeader = 64; // the least, so that a message can nearly fill a frame
    int frame = maxMessage + maxHeader;
    java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    List<Runnable> held = new CopyOnWriteArrayList<>();
    ServerInterceptor holdOne = (c, request, next, done) -> {
      if (((EchoRequest) request).getText().equals("held")) {
        held.add(() -> next.handle(c, request, done));
        holding.countDown();
      } else {
        next.handle(c, request, done);
      }
    };
    RpcServer server = startServer(new TestServiceImpl(), false, b -> b.maxMessageSize(maxMessage)
        .maxHeaderSize(maxHeader).memoryBudget(3L * frame).intercept(holdOne));
    RawConnection raw = closeAfterTest(raw(server));
    assertEquals("ok", raw.handshake(PluginRegistry.find(Framing.class, framingName),
        PluginRegistry.find(Codec.class, codec())).get("status"));
    String service = TestService.getDescriptor().getFullName();
    raw.send(Envelope.request(1, service, "Echo", 0, null, "",
        echo("held", 50_000).toByteString().asReadOnlyByteBuffer()));
    assertTrue(holding.await(WAIT_SECONDS, TimeUnit.SECONDS), "the held call never arrived");
    byte[] noZeros = new byte[maxMessage - 20]; // COBS adds a byte per 254 non-zero ones
    java.util.Arrays.fill(noZeros, (byte) 7);
    EchoRequest bigRequest = EchoRequest.newBuilder().setText("big")
        .setPayload(ByteString.copyFrom(noZeros)).build();
    byte[] big = raw.encode(Envelope.request(3, service, "Echo", 0, null, "",
        bigRequest.toByteString().asReadOnlyByteBuffer()));
    assertTrue(bigRequest.getSerializedSize() <= maxMessage && big.length > frame - 100,
        big.length + " bytes");
    long before = server.memoryInUse();
    int first = 40_000;
    raw.write(java.util.Arrays.copyOfRange(big, 0, first));
    assertTrue(waitUntil(() -> server.memoryInUse() >= before + first),
        () -> "the frame's first part was not read: " + server.memoryInUse() + " bytes in use");
    // all but the last two bytes; a transport may still read once after a pause (a read it had
    // already started), so the last two come one at a time, each waited for
    raw.write(java.util.Arrays.copyOfRange(big, first, big.length - 2));
    assertTrue(waitUntil(() -> server.memoryInUse() >= before + big.length - 2),
        () -> "the frame's second part was not read: " + server.memoryInUse() + " bytes in use");
    long partial = server.memoryInUse() - before;
    held.forEach(Runnable::run);
    assertTrue(waitUntil(() -> server.memoryInUse() == partial),
        () -> "the held call's bytes were not let go: " + server.memoryInUse() + " bytes in use");
    raw.write(new byte[] {big[big.length - 2]});
    assertTrue(waitUntil(() -> server.memoryInUse() == partial + 1),
        () -> "the server stopped reading: " + server.memoryInUse() + " bytes in use");
    raw.write(new byte[] {big[big.length - 1]});
    java.util.Set<Long> answered = new java.util.HashSet<>();
    for (int i = 0; i < 2; i++) {
      Envelope e;
      try {
        e = raw.receive();
      } catch (java.net.SocketTimeoutException stillPaused) {
        throw new AssertionError("the server stopped reading before the frame's last byte ("
            + server.memoryInUse() + " bytes in use; answered: " + answered + ")", stillPaused);
      }
      assertEquals(Envelope.Kind.RESPONSE, e.kind());
      assertEquals(StatusCode.OK, e.status().code(), e.status().toString());
      answered.add(e.callId());
    }
    assertEquals(java.util.Set.of(1L, 3L), answered);
  }

  /**
   * A client's budget spent by requests the server holds: a new call is refused at once, locally
   * (the server never sees it), with the reason; once the held calls end, calls go through again.
   */
  @Test
  void aSpentClientBudgetRefusesNewCallsLocallyAndRecovers() throws Exception {
    TestServiceImpl impl = new TestServiceImpl();
    EchoResponse grown = EchoResponse.newBuilder()
        .setPayload(ByteString.copyFrom(new byte[2 << 20])).build();
    RpcServer server = startServer(impl, false, b -> b.intercept((c, request, next, done) -> {
      if (request instanceof EchoRequest e && e.getText().equals("grow")) {
        done.run(grown); // a small request, a large answer
      } else {
        next.handle(c, request, done);
      }
    }));
    long budget = 6L << 20; // holds five requests of 1 MiB, not six
    assertThrows(IllegalArgumentException.class, () -> connect(server, framings().get(0),
        b -> b.memoryBudget(1 << 20)), "a budget smaller than one max-size frame");
    RpcClient client = connect(server, framings().get(0), b -> b.memoryBudget(budget));
    List<ClientController> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ClientController c = new ClientController();
      held.add(c);
      TestService.newStub(client).hang(c, echo("held", 1 << 20), r -> { });
    }
    assertTrue(impl.awaitHangsStarted(5, WAIT_SECONDS, TimeUnit.SECONDS), "hangs not started");
    assertTrue(client.memoryInUse() >= 5L << 20, () -> client.memoryInUse() + " bytes counted");
    RpcException refused = assertThrows(RpcException.class, () -> TestService
        .newBlockingStub(client).echo(new ClientController(), echo("no room", 1 << 20)));
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, refused.code());
    assertTrue(refused.getMessage().contains("client memory budget of " + budget + " bytes"),
        refused.getMessage());
    assertEquals(0, impl.echoCount(), "the refused call reached the server");
    // a small request still fits, and its 2 MiB answer is read although it overruns the budget:
    // reading stops only until responses are parsed, never for requests, which only it can end
    ClientController grow = new ClientController();
    grow.setTimeout(Duration.ofSeconds(WAIT_SECONDS)); // a client that stopped reading: DEADLINE
    assertEquals(2 << 20, TestService.newBlockingStub(client)
        .echo(grow, echo("grow", 16)).getPayload().size());
    for (ClientController c : held) {
      c.startCancel();
    }
    assertTrue(waitUntil(() -> client.memoryInUse() == 0),
        () -> client.memoryInUse() + " bytes still counted after the calls ended");
    assertEquals(1 << 20, TestService.newBlockingStub(client)
        .echo(new ClientController(), echo("room", 1 << 20)).getPayload().size());
  }

  /**
   * Responses arrive faster than the client parses them (its callback executor is stuck): once
   * they have spent its budget the client stops reading, so what it holds stays near the budget
   * while the server keeps the rest; when callbacks run again every call completes and the count
   * returns to zero.
   */
  @Test
  void aClientWhoseResponsesWaitToBeParsedStopsReading() throws Exception {
    EchoResponse big = EchoResponse.newBuilder().setText("big")
        .setPayload(ByteString.copyFrom(new byte[1 << 20])).build();
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.intercept((c, request, next, done) -> done.run(big)));
    java.util.concurrent.ExecutorService callbacks =
        java.util.concurrent.Executors.newSingleThreadExecutor();
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    long budget = 8L << 20;
    int calls = 32; // 32 MiB of responses, four times the budget
    try {
      callbacks.execute(() -> {
        try {
          gate.await(2 * WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      RpcClient client = connect(server, framings().get(0),
          b -> b.memoryBudget(budget).callbackExecutor(callbacks));
      AtomicInteger complete = new AtomicInteger();
      List<String> wrong = new CopyOnWriteArrayList<>();
      for (int i = 0; i < calls; i++) {
        ClientController c = new ClientController();
        TestService.newStub(client).echo(c, echo("small", 16), r -> {
          if (r == null || r.getPayload().size() != 1 << 20) {
            wrong.add(c.failed() ? c.errorText() : "payload of " + r.getPayload().size());
          }
          complete.incrementAndGet();
        });
      }
      // reading stops when the count reaches the budget (a frame just read counts twice for a
      // moment: as the frame and as the response) and resumes only below seven eighths of it
      assertTrue(waitUntil(() -> client.memoryInUse() >= budget - budget / 8),
          () -> "responses did not spend the budget: " + client.memoryInUse() + " bytes");
      long most = 0;
      for (int i = 0; i < 100; i++) { // a second: reading would have taken all 32 MiB by then
        most = Math.max(most, client.memoryInUse());
        Thread.sleep(10);
      }
      // what was in flight when reading stopped: the frame being read, a transport's read burst
      long slack = 3L << 20;
      long seen = most;
      assertTrue(seen <= budget + slack, () -> "the client held " + seen + " bytes; budget "
          + budget);
      assertTrue(server.memoryInUse() > 0, "the server holds no unwritten responses");
      assertEquals(0, complete.get(), "callbacks ran behind the stuck one");
      gate.countDown();
      assertTrue(waitUntil(() -> complete.get() == calls),
          () -> complete.get() + " of " + calls + " calls completed");
      assertTrue(wrong.isEmpty(), () -> "calls ended wrongly: " + wrong);
      assertTrue(waitUntil(() -> client.memoryInUse() == 0 && server.memoryInUse() == 0),
          () -> client.memoryInUse() + " bytes still counted by the client, "
              + server.memoryInUse() + " by the server");
    } finally {
      gate.countDown();
      callbacks.shutdown();
    }
  }

  // ---------------------------------------------------------------- a capped heap under attack

  /*
   * The probes below attack a server in a JVM of its own (ForkedServer) with a 256 MiB heap and
   * every setting at its default, while a well-behaved client in this JVM keeps calling. After
   * each: the fork is alive (an OutOfMemoryError would have ended it), every call the normal
   * client made was answered (OK, or RESOURCE_EXHAUSTED where the memory budget documents it),
   * calls after the probe succeed, and the fork's live heap and threads are back near where they
   * started. One fork serves all the probes of a test class.
   */

  /** The heap the probed server gets. */
  static final String PROBE_HEAP = "256m";
  /** How far the fork's thread count may end above its baseline after a probe. */
  static final int THREAD_SLACK = 16;

  private ForkedServer probed;
  private RpcClient probeClient;
  private ForkedServer.Stats probeBaseline;

  /**
   * Whether this suite runs the forked-server probes. They exercise the server transport alone,
   * so a suite that pairs another client transport with a server transport already probed in its
   * own suite may return false; every transport's own suite must run them.
   */
  protected boolean runsServerProbes() {
    return true;
  }

  /** The compressor the bomb probe uses; it must be installed where the suite runs. */
  protected String bombCompressor() {
    return "zstd";
  }

  /**
   * The forked server, started by the first probe of the class; each probe gets a normal client
   * of its own, closed after the test like every other client here.
   */
  private ForkedServer probedServer() throws Exception {
    if (probed == null) {
      probed = new ForkedServer(serverTransport().name(), PROBE_HEAP);
      // the count of OutOfMemoryErrors must see one made on purpose, or it proves nothing
      probed.constructOneOutOfMemoryError();
      assertEquals(1, probed.outOfMemoryErrors(), "the fork's OutOfMemoryError count");
    }
    probed.assertAlive();
    probeClient = closeAfterTest(RpcClient.builder().address(probed.address())
        .transport(clientTransport()).framing(framings().get(0)).codec(codec()).connect());
    for (int i = 0; i < 200; i++) { // warm up, so the baseline holds what serving costs
      TestService.newBlockingStub(probeClient).echo(new ClientController(), echo("w", 1024));
    }
    if (probeBaseline == null) {
      probeBaseline = probed.stats();
    }
    return probed;
  }

  @AfterAll
  void stopProbedServer() throws Exception {
    if (probed != null) {
      try {
        // besides the self-test's (the count takes seconds to read: once, after every probe);
        // one the JVM raised would have ended the fork, which close() reports
        if (probed.isAlive()) {
          assertEquals(1, probed.outOfMemoryErrors(),
              "OutOfMemoryErrors were constructed in the fork during the probes");
        }
      } finally {
        probed.close(); // fails if it ended by itself (an OutOfMemoryError) or cannot exit
      }
    }
  }

  /**
   * Calls the probed server in a loop on a thread of its own while a probe runs, recording how
   * each call ended; every call has a deadline, so a call left unanswered shows as a failure.
   */
  private final class NormalClient implements AutoCloseable {
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger exhausted = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private volatile boolean stop;
    private final Thread thread = new Thread(this::callUntilStopped, "normal-client");

    NormalClient() {
      thread.setDaemon(true);
      thread.start();
    }

    private void callUntilStopped() {
      while (!stop && failures.size() < 20) {
        ClientController c = new ClientController();
        c.setTimeout(Duration.ofSeconds(10));
        try {
          TestService.newBlockingStub(probeClient).echo(c, echo("n", 1024));
          ok.incrementAndGet();
        } catch (RpcException e) {
          if (e.code() == StatusCode.RESOURCE_EXHAUSTED) {
            exhausted.incrementAndGet();
          } else {
            failures.add(e.toString());
          }
        } catch (ServiceException | RuntimeException e) {
          failures.add(e.toString());
        }
      }
    }

    /** Waits until at least {@code calls} more calls have ended, or {@code seconds} passed. */
    void awaitCalls(int calls, int seconds) throws InterruptedException {
      int target = ok.get() + exhausted.get() + calls;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (ok.get() + exhausted.get() < target && failures.isEmpty()
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      assertFalse(thread.isAlive(), "a normal call did not end");
      assertTrue(failures.isEmpty(), () -> "normal calls failed: " + failures);
    }
  }

  /**
   * After a probe's peers are gone: the fork is alive, serves a call, and its connections, calls,
   * budget, live heap and threads come back near their baseline (bounded wait).
   */
  private void assertProbedServerRecovered(String after) throws Exception {
    probed.assertAlive();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    ForkedServer.Stats s = probed.stats();
    while ((s.connections() > 1 || s.calls() > 0 || s.memoryInUse() > 0
        || s.liveHeapBytes() - probeBaseline.liveHeapBytes() > HEAP_SLACK_BYTES
        || s.threads() > probeBaseline.threads() + THREAD_SLACK)
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
      s = probed.stats();
    }
    ForkedServer.Stats end = s;
    String figures = "after " + after + ": " + end + ", baseline " + probeBaseline;
    assertEquals(1, end.connections(), figures);
    assertEquals(0, end.calls(), figures);
    assertEquals(0, end.memoryInUse(), figures);
    assertTrue(end.liveHeapBytes() - probeBaseline.liveHeapBytes() <= HEAP_SLACK_BYTES, figures);
    assertTrue(end.threads() <= probeBaseline.threads() + THREAD_SLACK, figures);
    for (int i = 0; i < 20; i++) {
      assertEquals("after", TestService.newBlockingStub(probeClient)
          .echo(new ClientController(), echo("after", 1024)).getText(), figures);
    }
  }

  /** Opens {@code silent} connections that send nothing and {@code prefaced} that send a preface. */
  private void idleConnectionsProbe(int silent, int prefaced, String what) throws Exception {
    Assumptions.assumeTrue(runsServerProbes(), "server probes run in the server transport's suite");
    ForkedServer server = probedServer();
    byte[] preface = RawConnection.preface(1,
        RawConnection.clientFields(framings().get(0), codec()));
    List<Socket> open = new ArrayList<>(silent + prefaced);
    long started = System.nanoTime();
    try (NormalClient normal = new NormalClient()) {
      try {
        for (int i = 0; i < silent + prefaced; i++) {
          Socket s = new Socket();
          open.add(s);
          s.connect(server.address(), 10_000);
          if (i >= silent) {
            s.getOutputStream().write(preface);
          }
        }
        normal.awaitCalls(50, (int) WAIT_SECONDS);
        ForkedServer.Stats during = server.stats();
        System.out.println(what + ": opened in " + (System.nanoTime() - started) / 1_000_000
            + " ms; server: " + during);
        // silent ones opened more than the handshake timeout (10 s) ago are closed already
        int held = Math.min(silent, 100) + Math.min(prefaced, 1000);
        assertTrue(during.connections() > held,
            () -> "the server holds only " + during.connections() + " of " + what);
      } finally {
        for (Socket s : open) {
          s.close();
        }
      }
      normal.awaitCalls(10, (int) WAIT_SECONDS);
      assertTrue(normal.ok.get() >= 60, () -> normal.ok.get() + " normal calls succeeded");
      assertEquals(0, normal.exhausted.get(), "idle connections spent the memory budget");
    }
    assertProbedServerRecovered(what);
  }

  @Test
  void twoThousandSilentConnectionsCostLittleOnACappedHeap() throws Exception {
    idleConnectionsProbe(2000, 0, "2,000 silent connections");
  }

  @Test
  void twoThousandConnectionsIdleAfterAPrefaceCostLittleOnACappedHeap() throws Exception {
    idleConnectionsProbe(0, 2000, "2,000 connections idle after a preface");
  }

  /**
   * More than the default connection limit at this heap (a quarter of it at 8 KiB a connection,
   * about 8,000): the excess is refused with a reason and closed, the rest are held. The test JVM
   * and the fork each need a file descriptor per connection (`ulimit -n` is 20,000 here), so the
   * two kinds are opened one probe after the other rather than together.
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS) // 10,000 accepts: slow on a loaded machine
  void tenThousandSilentConnectionsCostLittleOnACappedHeap() throws Exception {
    idleConnectionsProbe(10_000, 0, "10,000 silent connections");
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void tenThousandConnectionsIdleAfterAPrefaceCostLittleOnACappedHeap() throws Exception {
    idleConnectionsProbe(0, 10_000, "10,000 connections idle after a preface");
  }

  @Test
  void sixtyFourConnectionsParkingNearlyWholeFramesCannotExhaustACappedHeap() throws Exception {
    Assumptions.assumeTrue(runsServerProbes(), "server probes run in the server transport's suite");
    ForkedServer server = probedServer();
    int frame = 4 << 20;
    byte[] chunk = new byte[64 * 1024];
    List<RawConnection> raws = new ArrayList<>();
    List<Thread> writers = new ArrayList<>();
    try (NormalClient normal = new NormalClient()) {
      try {
        for (int i = 0; i < 64; i++) {
          RawConnection raw = new RawConnection(server.address(), 10_000);
          raws.add(raw);
          assertEquals("ok", raw.handshake(PluginRegistry.find(Framing.class, "length"),
              PluginRegistry.find(Codec.class, codec())).get("status"));
          Thread w = new Thread(() -> {
            try {
              raw.write(ByteBuffer.allocate(4).putInt(frame).array()); // a length prefix
              for (int sent = 0; sent < frame - 1; sent += chunk.length) {
                raw.write(java.util.Arrays.copyOf(chunk, Math.min(chunk.length, frame - 1 - sent)));
              }
            } catch (IOException e) {
              // closed: by the server (memory relief) or by the test at the end
            }
          }, "parking-" + i);
          w.setDaemon(true);
          writers.add(w);
          w.start();
        }
        normal.awaitCalls(100, (int) WAIT_SECONDS);
        server.assertAlive();
      } finally {
        for (RawConnection raw : raws) {
          raw.close();
        }
        for (Thread w : writers) {
          w.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        }
      }
      normal.awaitCalls(10, (int) WAIT_SECONDS);
    }
    assertProbedServerRecovered("64 connections parked 4 MiB - 1 of a 4 MiB frame each");
  }

  @Test
  void twoHundredPipelinedCompressionBombsAreAllAnsweredOnACappedHeap() throws Exception {
    Assumptions.assumeTrue(runsServerProbes(), "server probes run in the server transport's suite");
    ForkedServer server = probedServer();
    Compressor zstd = PluginRegistry.find(Compressor.class, bombCompressor());
    // a valid request of just under the max message size, inflating from a few hundred bytes
    EchoRequest inflated = EchoRequest.newBuilder()
        .setPayload(ByteString.copyFrom(new byte[(4 << 20) - 64])).build();
    ByteBuffer bomb = zstd.compress(ByteBuffer.wrap(inflated.toByteArray()));
    assertTrue(bomb.remaining() < 2048, () -> "not a bomb: " + bomb.remaining() + " bytes");
    int calls = 200;
    int ok = 0;
    int exhausted = 0;
    try (NormalClient normal = new NormalClient();
        RawConnection raw = new RawConnection(server.address(), 30_000)) {
      assertEquals("ok", raw.handshake(PluginRegistry.find(Framing.class, "length"),
          PluginRegistry.find(Codec.class, codec()), zstd.name()).get("status"));
      for (int i = 1; i <= calls; i++) {
        raw.send(Envelope.request(i, TestService.getDescriptor().getFullName(), "Echo", 0, null,
            zstd.name(), bomb.duplicate()));
      }
      java.util.Set<Long> answered = new java.util.HashSet<>();
      for (int i = 0; i < calls; i++) {
        Envelope answer = raw.receive();
        if (answer.kind() == Envelope.Kind.GOAWAY) {
          // documented (docs/limits.md): a connection that keeps the whole budget spent for
          // 0.5 s is closed, with a go-away saying why; its unanswered bombs end with it
          assertEquals(StatusCode.RESOURCE_EXHAUSTED, answer.status().code(),
              () -> "go-away " + answer.status());
          exhausted += calls - i;
          break;
        }
        assertTrue(answered.add(answer.callId()), "answered twice: " + answer.callId());
        StatusCode code = answer.status().code();
        if (code == StatusCode.OK) {
          ok++;
        } else if (code == StatusCode.RESOURCE_EXHAUSTED) {
          exhausted++;
        } else {
          throw new AssertionError("bomb " + answer.callId() + " answered " + answer.status());
        }
      }
      normal.awaitCalls(10, (int) WAIT_SECONDS);
    }
    assertEquals(calls, ok + exhausted);
    assertTrue(ok > 0, "no bomb was served, though one fits the budget");
    assertProbedServerRecovered(calls + " pipelined " + bombCompressor() + " bombs ("
        + ok + " served, " + exhausted + " refused)");
  }

  @Test
  void aClientSendingMegabyteRequestsAndNeverReadingCannotExhaustACappedHeap() throws Exception {
    Assumptions.assumeTrue(runsServerProbes(), "server probes run in the server transport's suite");
    ForkedServer server = probedServer();
    EchoRequest big = echo("big", 1 << 20);
    AtomicInteger sent = new AtomicInteger();
    try (NormalClient normal = new NormalClient();
        RawConnection raw = new RawConnection(server.address(), 10_000)) {
      assertEquals("ok", raw.handshake(PluginRegistry.find(Framing.class, "length"),
          PluginRegistry.find(Codec.class, codec())).get("status"));
      Thread writer = new Thread(() -> {
        try {
          for (int i = 1; i <= 1000; i++) { // 1 GiB, four times the heap, if nothing stopped it
            raw.send(Envelope.request(i, TestService.getDescriptor().getFullName(), "Echo", 0,
                null, "", ByteBuffer.wrap(big.toByteArray())));
            sent.incrementAndGet();
          }
        } catch (IOException e) {
          // closed by the test at the end
        }
      }, "never-reading");
      writer.setDaemon(true);
      writer.start();
      // the server reads its share (16 MiB) before it stops: wait for the writer to get going,
      // then for it to stall (a whole second without progress)
      assertTrue(waitUntil(() -> sent.get() >= 8), () -> "the writer sent " + sent.get()
          + " requests");
      int last = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (sent.get() != last && System.nanoTime() < deadline) {
        last = sent.get();
        Thread.sleep(1000);
      }
      server.assertAlive();
      System.out.println("a peer that never reads: " + sent.get() + " requests of 1 MiB sent"
          + " before the server stopped reading; server: " + server.stats());
      // its share, plus what the kernel's socket buffers hold: far below the whole budget
      assertTrue(sent.get() < 64, () -> "the server read " + sent.get() + " MiB from a peer"
          + " that never reads; its share of the 64 MiB budget is 16 MiB");
      raw.close();
      writer.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      normal.awaitCalls(10, (int) WAIT_SECONDS);
      // one connection's share of the budget is a quarter: the others never see it spent
      assertEquals(0, normal.exhausted.get(), "one non-reading peer spent the whole budget");
    }
    assertProbedServerRecovered("a client sent " + sent.get() + " requests of 1 MiB and read "
        + "nothing");
  }
}
