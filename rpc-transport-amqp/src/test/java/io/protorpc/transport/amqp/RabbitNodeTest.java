package io.protorpc.transport.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test harness itself: a private node starts, restarts keeping durable queues, and stops leaving no process. */
@Timeout(600) // two broker starts; each about 12 s idle, much longer on a busy machine
class RabbitNodeTest {

  @Test
  void startsRestartsAndLeavesNothingBehind() throws Exception {
    List<ProcessHandle> before = ProcessHandle.current().descendants().toList();
    RabbitNode node = RabbitNode.start("harness");
    int port = node.port();
    try {
      assertTrue(ProcessHandle.current().descendants().count() > before.size(),
          "the broker and epmd run as this JVM's children");
      try (Connection c = factory(node).newConnection(); Channel ch = c.createChannel()) {
        ch.queueDeclare("harness.durable", true, false, false, null);
      }
      node.stopBroker();
      assertThrows(java.io.IOException.class, () -> new Socket().connect(
          new InetSocketAddress("127.0.0.1", port), 500), "stopped broker still listening");
      node.startBroker();
      try (Connection c = factory(node).newConnection(); Channel ch = c.createChannel()) {
        assertEquals(0, ch.queueDeclarePassive("harness.durable").getMessageCount(),
            "a durable queue survives the restart");
      }
    } finally {
      node.close();
    }
    assertEquals(before.size(), ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .count(), "no broker or epmd process left");
    assertFalse(canConnect(port), "nothing listens on the node's port after close");
  }

  private static boolean canConnect(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  static ConnectionFactory factory(RabbitNode node) throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(node.uri());
    return f;
  }
}
