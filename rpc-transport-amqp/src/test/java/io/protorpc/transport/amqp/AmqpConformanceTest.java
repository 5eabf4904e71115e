package io.protorpc.transport.amqp;

import io.protorpc.testkit.MessageTransportConformanceSuite;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The message transport conformance suite, on a real RabbitMQ node. */
@ExtendWith(SharedRabbit.class)
class AmqpConformanceTest extends MessageTransportConformanceSuite {
  private RabbitNode node;

  @BeforeAll
  @Timeout(300) // the first class of a run waits for the shared broker to start
  void broker(RabbitNode node) {
    this.node = node;
  }

  @Override
  protected String target(String topic) {
    return node.target(topic);
  }
}
