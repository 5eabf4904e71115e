package io.protorpc.transport.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.OutgoingMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes protorpc messages on one channel, mapping each envelope to AMQP properties (see
 * docs/protocol.md, "Over AMQP"). With confirms on, a send's future completes at the broker's
 * confirm and fails on a nack, on a return (unroutable: the mandatory flag is set for requests),
 * or when the channel dies first. Without, it completes once the message is written, and a
 * returned message goes to the {@link Returns} given, by its correlation id.
 *
 * <p>Thread-safe: with confirms, publishing is serialized, since a confirm's sequence number must
 * match the publish it belongs to; without, amqp-client's channel serializes the writes itself.
 */
final class Publisher {
  /** The AMQP content type of every protorpc message. */
  static final String CONTENT_TYPE = "application/x-protorpc";
  /** Header naming the codec that encoded the body. */
  static final String CODEC_HEADER = "protorpc-codec";
  /** RabbitMQ's direct reply-to pseudo queue. */
  static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

  private final Channel channel;
  private final AmqpTarget target;
  private final boolean confirms;
  private final ConcurrentNavigableMap<Long, Pending> unconfirmed = new ConcurrentSkipListMap<>();
  private final Map<String, Pending> byMessageId = new ConcurrentHashMap<>();
  private final AtomicLong nextMessageId = new AtomicLong();
  private final String idPrefix = Long.toHexString(System.nanoTime()) + "-";

  private final Returns returns;

  private record Pending(String messageId, CompletableFuture<Void> future) {}

  /** Where a publisher without confirms reports a returned (unroutable) message. */
  interface Returns {
    /** The message with this correlation id came back: {@code why} no queue took it. */
    void returned(String correlationId, String why);
  }

  /**
   * Sets the channel up for publishing: with {@code confirms}, confirm mode, and returns fail
   * their send; without, returns go to {@code returns} (null: messages are never mandatory).
   */
  Publisher(Channel channel, AmqpTarget target, boolean confirms, Returns returns)
      throws IOException {
    this.channel = channel;
    this.target = target;
    this.confirms = confirms;
    this.returns = returns;
    if (confirms || returns != null) {
      channel.addReturnListener(this::returned);
    }
    if (confirms) {
      channel.confirmSelect();
      channel.addConfirmListener(new ConfirmListener() {
        @Override
        public void handleAck(long seq, boolean multiple) {
          settle(seq, multiple, null);
        }

        @Override
        public void handleNack(long seq, boolean multiple) {
          settle(seq, multiple, "the broker refused the message (nack)");
        }
      });
    }
  }

  CompletableFuture<Void> send(OutgoingMessage m) {
    Envelope e = m.envelope();
    String exchange;
    String routingKey;
    boolean mandatory;
    switch (m.route()) {
      case ANY -> {
        exchange = target.exchange();
        routingKey = target.requestKey();
        mandatory = true;
      }
      case ALL -> {
        exchange = target.exchange();
        routingKey = target.fanoutKey();
        mandatory = true;
      }
      default -> { // a reply, through the default exchange to the requester's reply-to
        exchange = "";
        routingKey = m.replyTo();
        mandatory = false;
      }
    }
    String messageId = idPrefix + nextMessageId.incrementAndGet();
    AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder()
        .contentType(CONTENT_TYPE)
        .headers(Map.of(CODEC_HEADER, m.codec()))
        .deliveryMode(1)
        .messageId(messageId)
        .correlationId(Long.toUnsignedString(e.callId()));
    if (e.kind() == Envelope.Kind.REQUEST) {
      if (!e.isOneWay()) {
        props.replyTo(DIRECT_REPLY_TO);
      }
      if (e.timeoutMicros() > 0) {
        // a request whose caller has given up expires in the queue, never delivered
        long millis = Math.max(1, (e.timeoutMicros() + 999) / 1000);
        props.expiration(Long.toString(millis));
      }
    }
    byte[] body = concat(m.body());
    CompletableFuture<Void> future = new CompletableFuture<>();
    Pending p = new Pending(messageId, future);
    try {
      if (confirms) {
        synchronized (this) {
          long seq = channel.getNextPublishSeqNo();
          unconfirmed.put(seq, p);
          byMessageId.put(messageId, p);
          channel.basicPublish(exchange, routingKey, mandatory, props.build(), body);
        }
      } else {
        channel.basicPublish(exchange, routingKey, mandatory, props.build(), body);
        future.complete(null);
      }
    } catch (IOException | RuntimeException ex) {
      byMessageId.remove(messageId);
      future.completeExceptionally(new IOException("publishing to " + target.describe()
          + " failed: " + BrokerLink.rootMessage(ex), ex));
    }
    return future;
  }

  private void returned(Return r) {
    String why = (r.getRoutingKey().equals(target.fanoutKey())
        ? "no server is listening on topic '" + target.topic() + "' at " + target.describe()
        : "no queue for topic '" + target.topic() + "' at " + target.describe()
            + ": no server has ever listened on it") + " (" + r.getReplyText() + ")";
    if (!confirms) {
      returns.returned(r.getProperties().getCorrelationId(), why);
      return;
    }
    Pending p = r.getProperties().getMessageId() == null
        ? null : byMessageId.remove(r.getProperties().getMessageId());
    if (p != null) {
      p.future.completeExceptionally(new IOException(why));
    }
  }

  private void settle(long seq, boolean multiple, String failure) {
    Map<Long, Pending> done = multiple
        ? unconfirmed.headMap(seq, true) : singleton(seq);
    for (Long s : done.keySet().toArray(new Long[0])) {
      Pending p = unconfirmed.remove(s);
      if (p == null) {
        continue;
      }
      byMessageId.remove(p.messageId);
      if (failure == null) {
        p.future.complete(null); // no effect after a return failed it
      } else {
        p.future.completeExceptionally(new IOException(failure));
      }
    }
  }

  private Map<Long, Pending> singleton(long seq) {
    Pending p = unconfirmed.get(seq);
    return p == null ? Map.of() : Map.of(seq, p);
  }

  /** The channel is gone: what it had not confirmed will never be. */
  void failAll(String reason) {
    for (Long s : unconfirmed.keySet().toArray(new Long[0])) {
      Pending p = unconfirmed.remove(s);
      if (p != null) {
        byMessageId.remove(p.messageId);
        p.future.completeExceptionally(new IOException("lost the broker connection before it "
            + "confirmed the message: " + reason));
      }
    }
  }

  static String shutdownReason(ShutdownSignalException e) {
    return e == null ? "closed" : BrokerLink.describe(e);
  }

  private static byte[] concat(ByteBuffer[] parts) {
    int n = 0;
    for (ByteBuffer b : parts) {
      n += b.remaining();
    }
    byte[] out = new byte[n];
    int at = 0;
    for (ByteBuffer b : parts) {
      int len = b.remaining();
      b.duplicate().get(out, at, len);
      at += len;
    }
    return out;
  }
}
