package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.ServerInterceptor;
import io.protorpc.health.HealthCheckResponse.ServingStatus;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A client of a target of three servers (on 127.0.0.2, .3 and .4 for IP transports; three names
 * for the in-process one): how its load balancer spreads calls, and that a server leaving — shut
 * down gracefully or killed — under 64-way load fails no call that never reached it. Part of
 * {@link TransportConformanceSuite}.
 */
public abstract class LoadBalancingSuite extends ConformanceSupport {
  private static final int SERVERS = 3;
  private static final int IN_FLIGHT = 64;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Where the suite's server number {@code host} (0, 1, 2) listens: 127.0.0.2, .3, .4 with a
   * free port for an IP transport, else {@link #listenAddress()}.
   */
  protected SocketAddress hostAddress(int host) {
    SocketAddress a = listenAddress();
    return a instanceof InetSocketAddress ? new InetSocketAddress("127.0.0." + (2 + host), 0) : a;
  }

  /** Three servers with their own services (so each counts its own calls). */
  private final class Servers {
    final List<RpcServer> servers = new ArrayList<>();
    final List<TestServiceImpl> impls = new ArrayList<>();

    Servers(Consumer<RpcServer.Builder> customize) throws IOException {
      for (int i = 0; i < SERVERS; i++) {
        TestServiceImpl impl = new TestServiceImpl();
        int host = i;
        servers.add(startServer(impl.asService(), b -> {
          b.address(hostAddress(host));
          customize.accept(b);
        }));
        impls.add(impl);
      }
    }

    long[] counts() {
      return impls.stream().mapToLong(TestServiceImpl::echoCount).toArray();
    }

    /** A client of the three, by a target of their addresses. */
    RpcClient client(String balancer) throws IOException {
      return client(balancer, b -> { });
    }

    RpcClient client(String balancer, Consumer<RpcClient.Builder> customize) throws IOException {
      RpcClient.Builder b = RpcClient.builder().target(targetOf(servers))
          .loadBalancer(balancer).transport(clientTransport()).codec(codec())
          .defaultTimeout(CALL_TIMEOUT);
      customize.accept(b);
      return closeAfterTest(b.connect());
    }
  }

  /** {@code static:///host:port,...} for IP servers, else a target of a resolver of the suite. */
  static String targetOf(List<RpcServer> servers) {
    List<SocketAddress> addresses = servers.stream().map(RpcServer::localAddress).toList();
    if (addresses.stream().allMatch(a -> a instanceof InetSocketAddress)) {
      StringBuilder b = new StringBuilder("static:///");
      for (SocketAddress a : addresses) {
        InetSocketAddress ip = (InetSocketAddress) a;
        b.append(b.length() > 10 ? "," : "").append(ip.getAddress().getHostAddress()).append(':')
            .append(ip.getPort());
      }
      return b.toString();
    }
    return ListResolver.targetOf(addresses);
  }

  /** Resolves {@code testkit-list:///N} to the N-th list given to {@link #targetOf}. */
  static final class ListResolver implements NameResolver {
    private static final Map<String, List<SocketAddress>> LISTS = new ConcurrentHashMap<>();
    private static final AtomicInteger NEXT = new AtomicInteger();

    static synchronized String targetOf(List<SocketAddress> addresses) {
      if (PluginRegistry.lookup(NameResolver.class, "testkit-list").isEmpty()) {
        PluginRegistry.register(new ListResolver());
      }
      String id = Integer.toString(NEXT.incrementAndGet());
      LISTS.put(id, List.copyOf(addresses));
      return "testkit-list:///" + id;
    }

    @Override
    public String name() {
      return "testkit-list";
    }

    @Override
    public List<SocketAddress> resolve(Target target) throws IOException {
      List<SocketAddress> list = LISTS.get(target.endpoint());
      if (list == null) {
        throw new IOException("no list " + target.endpoint());
      }
      return list;
    }
  }

  /**
   * Calls from {@value #IN_FLIGHT} at a time until {@code total} have completed, with {@code
   * midway} run once after {@code total / 3} completions; returns the failed calls' statuses.
   */
  private static List<Status> load(RpcClient client, int total, Runnable midway)
      throws InterruptedException {
    Semaphore slots = new Semaphore(IN_FLIGHT);
    List<Status> failed = new CopyOnWriteArrayList<>();
    AtomicInteger completed = new AtomicInteger();
    TestService.Stub stub = TestService.newStub(client);
    EchoRequest request = echo("balanced", 1024);
    for (int i = 0; i < total; i++) {
      if (!slots.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("a call did not end within " + WAIT_SECONDS + " s");
      }
      if (i == total / 3 && midway != null) {
        midway.run();
      }
      ClientController c = new ClientController();
      stub.echo(c, request, response -> {
        if (response == null) {
          failed.add(c.status());
        }
        completed.incrementAndGet();
        slots.release();
      });
    }
    assertTrue(slots.tryAcquire(IN_FLIGHT, WAIT_SECONDS, TimeUnit.SECONDS),
        "calls did not end within " + WAIT_SECONDS + " s");
    assertEquals(total, completed.get());
    return failed;
  }

  /** Calls until every server has taken one: so all three are connected before counting. */
  private static void warmUp(RpcClient client, Servers s) throws Exception {
    TestService.BlockingInterface stub = TestService.newBlockingStub(client);
    for (int i = 0; i < 1_000 && Arrays.stream(s.counts()).anyMatch(n -> n == 0); i++) {
      stub.echo(new ClientController(), echo("warm-up", 0));
    }
    assertTrue(Arrays.stream(s.counts()).allMatch(n -> n > 0),
        "a server took no call in 1,000: " + Arrays.toString(s.counts()));
  }

  @Test
  void roundRobinSpreadsCallsEvenlyOverThreeServers() throws Exception {
    Servers s = new Servers(b -> { });
    RpcClient client = s.client("round_robin");
    warmUp(client, s);
    long[] before = s.counts();
    assertEquals(List.of(), load(client, 3_000, null));
    long[] after = s.counts();
    for (int i = 0; i < SERVERS; i++) {
      long n = after[i] - before[i];
      assertTrue(n >= 900 && n <= 1_100, "server " + i + " took " + n + " of 3,000 calls: "
          + Arrays.toString(after));
    }
  }

  @Test
  void leastRequestSendsFewerCallsToASlowServer() throws Exception {
    ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicInteger started = new AtomicInteger();
      Servers s = new Servers(b -> {
        if (started.getAndIncrement() == 0) { // server 0 answers every call 20 ms late
          ServerInterceptor slow = (controller, request, next, done) -> delays.schedule(
              () -> next.handle(controller, request, done), 20, TimeUnit.MILLISECONDS);
          b.intercept(slow);
        }
      });
      RpcClient client = s.client("least_request");
      warmUp(client, s);
      long[] before = s.counts();
      assertEquals(List.of(), load(client, 1_500, null));
      long[] after = s.counts();
      long slow = after[0] - before[0];
      long fast = Math.min(after[1] - before[1], after[2] - before[2]);
      assertTrue(slow * 2 < fast, "the slow server took " + slow + " calls, the faster ones at "
          + "least " + fast + ": " + Arrays.toString(after));
    } finally {
      delays.shutdownNow();
    }
  }

  /** Makes calls in rounds of 30 until one round adds none to server 0 (at most 20 s). */
  private static boolean untilServerZeroGetsNone(RpcClient client, Servers s) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (System.nanoTime() < deadline) {
      long before = s.counts()[0];
      assertEquals(List.of(), load(client, 30, null));
      if (s.counts()[0] == before) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aNotServingServerGetsNoNewCallsUntilItServesAgain() throws Exception {
    String service = TestService.getDescriptor().getFullName();
    Servers s = new Servers(RpcServer.Builder::health);
    RpcClient client = s.client("round_robin",
        b -> b.healthCheck(service, Duration.ofMillis(50)));
    warmUp(client, s);
    s.servers.get(0).health().setStatus(service, ServingStatus.NOT_SERVING);
    assertTrue(untilServerZeroGetsNone(client, s), "server 0 kept taking calls");
    long at = s.counts()[0];
    assertEquals(List.of(), load(client, 600, null));
    assertEquals(at, s.counts()[0], "a NOT_SERVING server took new calls");

    s.servers.get(0).health().setStatus(service, ServingStatus.SERVING);
    assertTrue(waitUntil(() -> {
      try {
        return !load(client, 30, null).isEmpty() || s.counts()[0] > at;
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }), "server 0 took no call once SERVING again");
    assertTrue(s.counts()[0] > at);
  }

  @Test
  void aServerShutDownGracefullyUnderLoadFailsNoCall() throws Exception {
    Servers s = new Servers(b -> { });
    RpcClient client = s.client("round_robin");
    warmUp(client, s);
    List<Status> failed = load(client, 3_000, () -> s.servers.get(0).shutdown());
    assertEquals(List.of(), failed, "calls failed while a server drained");
    long[] at = s.counts();
    assertEquals(List.of(), load(client, 300, null));
    assertEquals(at[0], s.counts()[0], "the drained server took new calls");
  }

  @Test
  void aServerKilledUnderLoadFailsOnlyCallsItMayHaveHad() throws Exception {
    Servers s = new Servers(b -> { });
    RpcClient client = s.client("round_robin");
    warmUp(client, s);
    List<Status> failed = load(client, 3_000, () -> s.servers.get(0).close());
    assertTrue(failed.size() <= IN_FLIGHT, failed.size() + " calls failed: more than were in "
        + "flight when the server died");
    for (Status st : failed) {
      assertEquals(StatusCode.UNAVAILABLE, st.code(), st.toString());
    }
    // once the client has seen it go, no call fails: those not yet written went elsewhere
    assertEquals(List.of(), load(client, 600, null), "calls failed after the server was gone");
  }
}
