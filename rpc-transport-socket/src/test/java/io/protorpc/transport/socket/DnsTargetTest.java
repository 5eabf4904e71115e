package io.protorpc.transport.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.ClientController;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.resolver.NameResolver;
import io.protorpc.resolver.Target;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.TestService;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code dns:///localhost:port} finds every address of localhost (127.0.0.1, and ::1 where the
 * system's resolver gives it), a server listening on each of them answers there, and a client of
 * the target sends calls to each.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsTargetTest {

  @Test
  void everyAddressOfLocalhostIsFoundAndReachesItsServer() throws Exception {
    InetAddress[] all = InetAddress.getAllByName("localhost");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, all[0])) {
      port = probe.getLocalPort();
    }
    List<RpcServer> servers = new ArrayList<>();
    List<TestServiceImpl> impls = new ArrayList<>();
    try {
      for (InetAddress a : all) {
        TestServiceImpl impl = new TestServiceImpl();
        impls.add(impl);
        servers.add(RpcServer.builder().transport("socket")
            .address(new InetSocketAddress(a, port)).addService(impl.asService()).start());
      }
      Target target = Target.parse("dns:///localhost:" + port);
      List<SocketAddress> resolved =
          PluginRegistry.find(NameResolver.class, target.scheme()).resolve(target);
      Set<SocketAddress> expected = new LinkedHashSet<>();
      for (InetAddress a : all) {
        expected.add(new InetSocketAddress(a, port));
      }
      assertEquals(expected, new LinkedHashSet<>(resolved));
      for (SocketAddress address : resolved) {
        try (RpcClient client =
            RpcClient.builder().address(address).transport("socket").connect()) {
          String text = "via " + address;
          assertEquals(text, TestService.newBlockingStub(client).echo(new ClientController(),
              EchoRequest.newBuilder().setText(text).build()).getText());
        }
      }
      assertFalse(resolved.isEmpty());

      // one client of the target: round_robin uses every address, so each server answers
      try (RpcClient client = RpcClient.builder().target("dns:///localhost:" + port)
          .transport("socket").connect()) {
        TestService.BlockingInterface stub = TestService.newBlockingStub(client);
        for (int i = 0; i < 20 * all.length; i++) {
          stub.echo(new ClientController(), EchoRequest.newBuilder().setText("rr").build());
        }
      }
      for (int i = 0; i < all.length; i++) {
        assertTrue(impls.get(i).echoCount() > 1, "the server on " + all[i]
            + " took no call of the dns:/// target");
      }
    } finally {
      servers.forEach(RpcServer::close);
    }
  }
}
