package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.ServerInterceptor;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.EchoResponse;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS and mutual TLS, and what a hostile or broken peer can do: kill a call mid-way, stop reading,
 * trickle bytes, open and drop a thousand connections. After each, the server is healthy and has
 * nothing left over. Part of {@link TransportConformanceSuite}.
 */
public abstract class RobustnessSuite extends ConformanceSupport {

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
    RpcServer server = startServer(new TestServiceImpl(), false,
        b -> b.handshakeTimeout(Duration.ofMillis(300)));
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
}
