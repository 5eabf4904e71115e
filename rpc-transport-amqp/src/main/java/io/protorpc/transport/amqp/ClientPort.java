package io.protorpc.transport.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.protorpc.spi.MessageOptions;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageReceiver;
import io.protorpc.spi.OutgoingMessage;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A client's attachment: one channel that publishes requests (with confirms and the mandatory
 * flag) and consumes their replies from RabbitMQ's direct reply-to pseudo queue, which RabbitMQ
 * ties to the channel that published the request.
 */
final class ClientPort extends BrokerLink implements MessagePort {
  private final MessageReceiver replies;
  private volatile Publisher publisher;

  ClientPort(AmqpTarget target, MessageOptions options, Consumer<ConnectionFactory> customizer,
      MessageReceiver replies) {
    super(target, options, customizer, "client");
    this.replies = replies;
  }

  @Override
  void onConnected(Connection connection) throws IOException {
    Channel ch = connection.createChannel();
    // declared by clients too, so that a publish to it never fails the channel with a 404
    ch.exchangeDeclare(target.exchange(), BuiltinExchangeType.DIRECT, true);
    Publisher p = new Publisher(ch, target, true);
    String origin = target.describe();
    ch.basicConsume(Publisher.DIRECT_REPLY_TO, true, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props,
          byte[] body) {
        replies.onMessage(new Delivery(null, envelope.getDeliveryTag(), body, props,
            envelope.isRedeliver(), origin));
      }
    });
    ch.addShutdownListener(cause -> {
      p.failAll(Publisher.shutdownReason(cause));
      channelFailed(ch, cause);
    });
    publisher = p;
  }

  @Override
  void onDisconnected(String reason) {
    Publisher p = publisher;
    publisher = null;
    if (p != null) {
      p.failAll(reason);
    }
    if (!isClosed()) { // closing is the core's own doing: it ends its calls itself
      replies.onConnectionLost("lost the connection to the broker at " + target.describe()
          + " (" + reason + "); a reply cannot arrive any more");
    }
  }

  @Override
  public CompletableFuture<Void> send(OutgoingMessage message) {
    Publisher p = publisher;
    if (p == null || isClosed()) {
      return CompletableFuture.failedFuture(new IOException(isClosed() ? "closed"
          : "not connected to the broker at " + target.describe() + " (reconnecting)"));
    }
    return p.send(message);
  }

  @Override
  public String describe() {
    return target.describe();
  }
}
