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
 * A server's attachment. Declares the exchange, the topic's shared durable request queue and its
 * binding, and a queue of its own for fanouts; consumes both with manual acknowledgement and
 * prefetch limits that add up to the server's calls in flight; publishes replies on a second
 * channel.
 */
final class ServerPort extends BrokerLink implements MessagePort {
  private final MessageReceiver requests;
  private final int prefetch;
  private volatile Publisher replies;

  ServerPort(AmqpTarget target, MessageOptions options, Consumer<ConnectionFactory> customizer,
      MessageReceiver requests) {
    super(target, options, customizer, "server");
    this.requests = requests;
    this.prefetch = Math.min(options.maxUnsettled(), 65_535); // AMQP's prefetch is 16 bits
  }

  @Override
  void onConnected(Connection connection) throws IOException {
    Channel in = connection.createChannel();
    in.exchangeDeclare(target.exchange(), BuiltinExchangeType.DIRECT, true);
    in.queueDeclare(target.requestKey(), true, false, false, null);
    in.queueBind(target.requestKey(), target.exchange(), target.requestKey());
    // server-named, exclusive, auto-delete: it lives exactly as long as this connection
    String fanoutQueue = in.queueDeclare("", false, true, true, null).getQueue();
    in.queueBind(fanoutQueue, target.exchange(), target.fanoutKey());
    Channel out = connection.createChannel();
    Publisher p = new Publisher(out, target, false, null); // replies: not mandatory
    in.addShutdownListener(cause -> channelFailed(in, cause));
    out.addShutdownListener(cause -> channelFailed(out, cause));
    replies = p;
    // Requests and fanouts together never exceed the server's calls in flight. A limit per
    // consumer, split between the two: RabbitMQ's channel-wide (global) limit makes the channel
    // and the queues coordinate on every delivery, which its docs call slow. With one call in
    // flight there is nothing to split: then one limit for the channel.
    int fanoutShare = prefetch < 2 ? 0 : Math.max(1, prefetch / 16);
    if (fanoutShare == 0) {
      in.basicQos(prefetch, true);
    } else {
      in.basicQos(prefetch - fanoutShare, false); // applies to the consumers started after it
    }
    consume(in, target.requestKey(), target.describe());
    if (fanoutShare > 0) {
      in.basicQos(fanoutShare, false);
    }
    consume(in, fanoutQueue, target.describe() + " (fanout)");
  }

  private void consume(Channel ch, String queue, String origin) throws IOException {
    ch.basicConsume(queue, false, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props,
          byte[] body) {
        Delivery d = new Delivery(ch, envelope.getDeliveryTag(), body, props,
            envelope.isRedeliver(), origin);
        try {
          requests.onMessage(d);
        } catch (RuntimeException e) {
          d.reject("the server failed on it: " + e);
        }
      }
    });
  }

  @Override
  void onDisconnected(String reason) {
    replies = null;
    if (!isClosed()) {
      requests.onConnectionLost(reason);
    }
  }

  @Override
  public CompletableFuture<Void> send(OutgoingMessage message) {
    Publisher p = replies;
    if (p == null) {
      return CompletableFuture.failedFuture(new IOException("not connected to the broker at "
          + target.describe()));
    }
    return p.send(message);
  }

  @Override
  public String describe() {
    return target.describe();
  }
}
