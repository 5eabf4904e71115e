package io.protorpc.transport.inproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.ClientController;
import io.protorpc.InProcessAddress;
import io.protorpc.PluginNotFoundException;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code RpcClient.Builder.target}: the scheme picks a resolver (or a message transport), the
 * target is checked when the client is built, and errors say what is wrong in the registry's
 * words.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientTargetTest {

  @Test
  void anInprocTargetReachesTheServerOfThatName() throws Exception {
    String name = "target-" + UUID.randomUUID();
    try (RpcServer server = RpcServer.builder().address(new InProcessAddress(name))
            .addService(new TestServiceImpl().asService()).start();
        RpcClient client = RpcClient.builder().target("inproc://" + name).connect()) {
      assertEquals("inproc", client.transportName());
      assertEquals("inproc://" + name, client.target().orElseThrow());
      assertEquals(null, client.address());
      assertEquals("hi", TestService.newBlockingStub(client)
          .echo(new ClientController(), EchoRequest.newBuilder().setText("hi").build())
          .getText());
      assertTrue(client.isConnected());
      assertEquals(0, client.callsInFlight());
    }
  }

  @Test
  void anUnknownSchemeFailsInTheRegistrysNotFoundShape() {
    PluginNotFoundException e = assertThrows(PluginNotFoundException.class,
        () -> RpcClient.builder().target("nosuch:///a:1").connect().close());
    assertTrue(e.getMessage().startsWith("no NameResolver named 'nosuch' found (found: dns, "
        + "inproc, passthrough, static"), e.getMessage());
  }

  @Test
  void aMalformedTargetFailsWhenTheClientIsBuiltQuotingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RpcClient.builder().target("dns:///no-port").connect().close());
    assertTrue(e.getMessage().startsWith("target 'dns:///no-port': "), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RpcClient.builder().target("a b"));
    assertThrows(IllegalArgumentException.class,
        () -> RpcClient.builder().target("static:///h:1,h:1").connect().close());
  }

  @Test
  void aMessageTargetStillNeedsItsMessageTransport() {
    PluginNotFoundException e = assertThrows(PluginNotFoundException.class,
        () -> RpcClient.builder().target("amqp://localhost:5672/?topic=t").connect().close());
    assertTrue(e.getMessage().contains("add io.protorpc:rpc-transport-amqp"), e.getMessage());
  }

  @Test
  void aTargetWhoseServerIsAbsentFailsToConnectNamingIt() {
    String name = "absent-" + UUID.randomUUID();
    IOException e = assertThrows(IOException.class,
        () -> RpcClient.builder().target("inproc://" + name).connect().close());
    assertTrue(e.getMessage().startsWith("cannot connect to target 'inproc://" + name + "': "),
        e.getMessage());
    assertTrue(e.getMessage().contains(name), e.getMessage());
  }

  @Test
  void aFailFastCallToATargetWithoutServersFailsUnavailable() throws Exception {
    String name = "gone-" + UUID.randomUUID();
    RpcServer server = RpcServer.builder().address(new InProcessAddress(name))
        .addService(new TestServiceImpl().asService()).start();
    try (RpcClient client = RpcClient.builder().target("inproc://" + name).connect()) {
      server.close();
      for (int i = 0; i < 100; i++) { // until the client has seen the server go
        ClientController c = new ClientController();
        try {
          TestService.newBlockingStub(client).echo(c, EchoRequest.getDefaultInstance());
        } catch (com.google.protobuf.ServiceException failed) {
          assertEquals(io.protorpc.StatusCode.UNAVAILABLE, c.status().code());
          if (c.status().message().startsWith("no server of target 'inproc://" + name
              + "' is ready: ")) {
            return;
          }
        }
        Thread.sleep(10);
      }
      throw new AssertionError("calls never failed with the target's message");
    }
  }
}
