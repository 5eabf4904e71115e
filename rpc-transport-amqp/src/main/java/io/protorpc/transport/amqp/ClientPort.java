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
 * A client's attachment, with two channels. Calls (requests that expect a reply) go out on one
 * without publisher confirms, and their replies come back on it from RabbitMQ's direct reply-to
 * pseudo queue, which RabbitMQ ties to the channel that published the request: the reply is
 * what proves a call's delivery, so a confirm would only cost the broker and the client a frame
 * per call. Casts and fanouts, which get no reply, go out on the other channel, in confirm mode.
 * Both publish with the mandatory flag: a request no queue takes comes back at once.
 */
final class ClientPort extends BrokerLink implements MessagePort {
  private final MessageReceiver replies;
  private volatile Publishers publishers;

  /** The two publishers of one connection. */
  private record Publishers(Publisher calls, Publisher oneWay) {
    void failAll(String reason) {
      calls.failAll(reason);
      oneWay.failAll(reason);
    }
  }

  ClientPort(AmqpTarget target, MessageOptions options, Consumer<ConnectionFactory> customizer,
      MessageReceiver replies) {
    super(target, options, customizer, "client");
    this.replies = replies;
  }

  @Override
  void onConnected(Connection connection) throws IOException {
    Channel callChannel = connection.createChannel();
    // declared by clients too, so that a publish to it never fails the channel with a 404
    callChannel.exchangeDeclare(target.exchange(), BuiltinExchangeType.DIRECT, true);
    Publisher calls = new Publisher(callChannel, target, false, this::returned);
    String origin = target.describe();
    callChannel.basicConsume(Publisher.DIRECT_REPLY_TO, true, new DefaultConsumer(callChannel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props,
          byte[] body) {
        replies.onMessage(new Delivery(null, envelope.getDeliveryTag(), body, props,
            envelope.isRedeliver(), origin));
      }
    });
    Channel oneWayChannel = connection.createChannel();
    Publisher oneWay = new Publisher(oneWayChannel, target, true, null);
    Publishers p = new Publishers(calls, oneWay);
    for (Channel ch : new Channel[] {callChannel, oneWayChannel}) {
      ch.addShutdownListener(cause -> {
        p.failAll(Publisher.shutdownReason(cause));
        channelFailed(ch, cause);
      });
    }
    publishers = p;
  }

  /** A call's request came back unroutable; its correlation id is its call id. */
  private void returned(String correlationId, String why) {
    long callId;
    try {
      callId = Long.parseUnsignedLong(correlationId);
    } catch (NumberFormatException e) {
      return; // not one of ours: every request this port sends carries its call id
    }
    replies.onReturned(callId, why);
  }

  @Override
  void onDisconnected(String reason) {
    Publishers p = publishers;
    publishers = null;
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
    Publishers p = publishers;
    if (p == null || isClosed()) {
      return CompletableFuture.failedFuture(new IOException(isClosed() ? "closed"
          : "not connected to the broker at " + target.describe() + " (reconnecting)"));
    }
    return (message.envelope().isOneWay() ? p.oneWay() : p.calls()).send(message);
  }

  @Override
  public String describe() {
    return target.describe();
  }
}
