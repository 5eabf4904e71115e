package io.protorpc.transport.amqp;

import static io.protorpc.transport.amqp.AmqpCallTest.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.testkit.TestCertificates;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.TestService;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Credentials and TLS to the broker, from the target and from the builder, on a node of its own
 * with a user other than guest and an amqps listener.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class AmqpSecurityTest {
  private static final String USER = "protorpc";
  private static final String PASSWORD = "p@ss/w0rd";
  private static final String ENCODED = "p%40ss%2Fw0rd"; // as it must appear in a URI
  private RabbitNode node;

  @BeforeAll
  void start() throws IOException {
    node = RabbitNode.start("secure", new RabbitNode.Config(USER, PASSWORD, true));
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private String target(String scheme, int port, String userInfo, String topic) {
    return scheme + "://" + userInfo + "127.0.0.1:" + port + "/?topic=" + topic;
  }

  @Test
  void credentialsFromTheTarget() throws Exception {
    String topic = AmqpCallTest.newTopic();
    String good = target("amqp", node.port(), USER + ":" + ENCODED + "@", topic);
    try (RpcServer server = RpcServer.builder().target(good)
            .addService(new TestServiceImpl().asService()).start();
        RpcClient client = RpcClient.builder().target(good).connect()) {
      assertEquals("in", TestService.newBlockingStub(client)
          .echo(within(10_000), EchoRequest.newBuilder().setText("in").build()).getText());
    }
    IOException refused = assertThrows(IOException.class, () -> RpcClient.builder()
        .target(target("amqp", node.port(), USER + ":wrong@", topic)).connect());
    assertTrue(refused.getMessage().contains("127.0.0.1:" + node.port()), refused.getMessage());
    assertFalse(refused.getMessage().contains("wrong"), "the password is not repeated");
    // guest does not exist on this node
    assertThrows(IOException.class, () -> RpcClient.builder()
        .target(target("amqp", node.port(), "", topic)).connect());
  }

  @Test
  void credentialsFromTheBuilder() throws Exception {
    String topic = AmqpCallTest.newTopic();
    String target = target("amqp", node.port(), "", topic); // no credentials in it
    AmqpTransport withCredentials = new AmqpTransport(f -> {
      f.setUsername(USER);
      f.setPassword(PASSWORD);
    });
    try (RpcServer server = RpcServer.builder().target(target).transport(withCredentials)
            .addService(new TestServiceImpl().asService()).start();
        RpcClient client = RpcClient.builder().target(target).transport(withCredentials)
            .connect()) {
      assertEquals("b", TestService.newBlockingStub(client)
          .echo(within(10_000), EchoRequest.newBuilder().setText("b").build()).getText());
    }
  }

  @Test
  void tlsToTheBroker() throws Exception {
    String topic = AmqpCallTest.newTopic();
    String target = target("amqps", node.tlsPort(), USER + ":" + ENCODED + "@", topic);
    TestCertificates certs = TestCertificates.get();
    try (RpcServer server = RpcServer.builder().target(target)
            .tls(certs.clientContextWithoutCertificate(), false)
            .addService(new TestServiceImpl().asService()).start();
        RpcClient client = RpcClient.builder().target(target)
            .tls(certs.clientContextWithoutCertificate()).connect()) {
      assertEquals("tls", TestService.newBlockingStub(client)
          .echo(within(10_000), EchoRequest.newBuilder().setText("tls").build()).getText());
    }
    // a client that does not trust the broker's certificate never gets in
    IOException untrusted = assertThrows(IOException.class, () -> RpcClient.builder()
        .target(target).tls(certs.untrustingClientContext()).connect());
    assertTrue(untrusted.getMessage().contains("cannot reach the broker"),
        untrusted.getMessage());
    // nor does one that speaks plain AMQP to the TLS port
    assertThrows(IOException.class, () -> RpcClient.builder()
        .target(target("amqp", node.tlsPort(), USER + ":" + ENCODED + "@", topic))
        .transportOptions(io.protorpc.spi.TransportOptions.builder()
            .connectTimeout(java.time.Duration.ofSeconds(5)).build())
        .connect());
  }
}
