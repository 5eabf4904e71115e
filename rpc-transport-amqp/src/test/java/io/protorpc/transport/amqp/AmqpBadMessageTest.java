package io.protorpc.transport.amqp;

import static io.protorpc.transport.amqp.AmqpCallTest.newTopic;
import static io.protorpc.transport.amqp.AmqpCallTest.server;
import static io.protorpc.transport.amqp.AmqpCallTest.waitUntil;
import static io.protorpc.transport.amqp.AmqpCallTest.within;
import static io.protorpc.transport.amqp.AmqpDeliveryTest.messages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.protorpc.Metadata;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.StatusCode;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Envelope;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.EchoRequest;
import io.protorpc.testkit.proto.TestService;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile or broken messages published straight onto a topic's queue with a plain AMQP client:
 * each is rejected (never delivered again) or answered with an error, and the server's consumer
 * carries on serving.
 */
@ExtendWith(SharedRabbit.class)
@Timeout(300) // the first test of a run waits for the shared broker to start
class AmqpBadMessageTest {
  private static final Codec CODEC = PluginRegistry.find(Codec.class, "protobuf");

  @Test
  void badMessagesAreRejectedAndTheConsumerCarriesOn(RabbitNode node) throws Exception {
    String topic = newTopic();
    TestServiceImpl impl = new TestServiceImpl();
    try (RpcServer server = server(node, topic, impl);
        RpcClient client = AmqpCallTest.client(node, topic);
        Connection raw = RabbitNodeTest.factory(node).newConnection();
        Channel ch = raw.createChannel()) {
      String replies = ch.queueDeclare().getQueue(); // exclusive, for the answers we expect
      byte[] garbage = new byte[1000];
      new Random(7).nextBytes(garbage);
      byte[] echo = bytes(CODEC.encode(request("Echo", "", ByteBuffer.wrap(
          EchoRequest.newBuilder().setText("ok").build().toByteArray()), 0)));

      publish(ch, topic, props(replies, "protobuf"), garbage);                      // garbage
      publish(ch, topic, props(replies, null), echo);                               // no codec
      publish(ch, topic, props(replies, "nonesuch"), echo);                         // unknown codec
      publish(ch, topic, props(replies, "protobuf"), bytes(CODEC.encode(            // a response
          Envelope.response(1, io.protorpc.Status.OK, null, null, null))));
      publish(ch, topic, props(replies, "protobuf"), new byte[5 << 20]);            // oversize
      publish(ch, topic, props("", "protobuf"), echo);                              // no reply-to
      publish(ch, topic, props(replies, "protobuf"), truncated(echo));              // truncated

      // a decompression bomb: 16 MiB of zeros in a few KiB of zstd, over the 4 MiB limit
      Compressor zstd = PluginRegistry.find(Compressor.class, "zstd");
      ByteBuffer bomb = zstd.compress(ByteBuffer.allocate(16 << 20));
      assertTrue(bomb.remaining() < 64 << 10);
      publish(ch, topic, props(replies, "protobuf"),
          bytes(CODEC.encode(request("Echo", "zstd", bomb, 77))));

      // the consumer still serves, and nothing bad went back to the queue
      assertEquals("ok", TestService.newBlockingStub(client)
          .echo(within(10_000), EchoRequest.newBuilder().setText("ok").build()).getText());
      assertTrue(waitUntil(() -> messages(ch, topic) == 0), "nothing requeued");

      GetResponse answer = awaitMessage(ch, replies);
      assertNotNull(answer, "the bomb is answered");
      Envelope e = CODEC.decode(ByteBuffer.wrap(answer.getBody()), 1 << 16);
      assertEquals(Envelope.Kind.RESPONSE, e.kind());
      assertEquals(77, e.callId());
      assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code(), e.status().message());
      Thread.sleep(200);
      assertEquals(0, messages(ch, replies), "the rejected messages got no answer");
      assertEquals(1, impl.echoCount(), "only the good call ran");
    }
  }

  private static Envelope request(String method, String compression, ByteBuffer payload,
      long id) {
    return Envelope.request(id, TestService.getDescriptor().getFullName(), method, 5_000_000,
        Metadata.empty(), compression, payload);
  }

  private static AMQP.BasicProperties props(String replyTo, String codec) {
    AMQP.BasicProperties.Builder b = new AMQP.BasicProperties.Builder()
        .contentType("application/x-protorpc").correlationId("1");
    if (!replyTo.isEmpty()) {
      b.replyTo(replyTo);
    }
    if (codec != null) {
      b.headers(Map.of("protorpc-codec", codec));
    }
    return b.build();
  }

  private static void publish(Channel ch, String topic, AMQP.BasicProperties props, byte[] body)
      throws Exception {
    ch.basicPublish("protorpc", topic, props, body);
  }

  private static GetResponse awaitMessage(Channel ch, String queue) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() - deadline < 0) {
      GetResponse r = ch.basicGet(queue, true);
      if (r != null) {
        return r;
      }
      Thread.sleep(20);
    }
    return null;
  }

  private static byte[] truncated(byte[] b) {
    return java.util.Arrays.copyOf(b, 5); // the header claims more than follows
  }

  private static byte[] bytes(ByteBuffer[] parts) {
    int n = 0;
    for (ByteBuffer p : parts) {
      n += p.remaining();
    }
    ByteBuffer out = ByteBuffer.allocate(n);
    for (ByteBuffer p : parts) {
      out.put(p.duplicate());
    }
    return out.array();
  }
}
