package io.protorpc.transport.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.protorpc.spi.IncomingMessage;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One delivered message. With manual acknowledgement, {@link #settle()} acks and {@link #reject}
 * rejects without requeueing, each at most once and only on the channel that delivered it (after
 * a reconnect its delivery tag means nothing: the broker has requeued the message already).
 */
final class Delivery implements IncomingMessage {
  private static final System.Logger LOG = System.getLogger(Delivery.class.getName());

  private final Channel channel; // null: auto-acknowledged
  private final long tag;
  private final byte[] body;
  private final AMQP.BasicProperties props;
  private final boolean redelivered;
  private final String origin;
  private final AtomicBoolean settled = new AtomicBoolean();

  Delivery(Channel channel, long tag, byte[] body, AMQP.BasicProperties props, boolean redelivered,
      String origin) {
    this.channel = channel;
    this.tag = tag;
    this.body = body;
    this.props = props;
    this.redelivered = redelivered;
    this.origin = origin;
  }

  @Override
  public ByteBuffer body() {
    return ByteBuffer.wrap(body);
  }

  @Override
  public String codec() {
    Map<String, Object> headers = props.getHeaders();
    Object codec = headers == null ? null : headers.get(Publisher.CODEC_HEADER);
    return codec == null ? "" : codec.toString(); // a LongString on the wire
  }

  @Override
  public String replyTo() {
    return props.getReplyTo() == null ? "" : props.getReplyTo();
  }

  @Override
  public boolean redelivered() {
    return redelivered;
  }

  @Override
  public String origin() {
    return origin;
  }

  @Override
  public void settle() {
    if (settled.compareAndSet(false, true) && channel != null && channel.isOpen()) {
      try {
        channel.basicAck(tag, false);
      } catch (Exception e) {
        // the channel died meanwhile: the broker requeued the message
        LOG.log(System.Logger.Level.DEBUG, "could not acknowledge a message from " + origin, e);
      }
    }
  }

  @Override
  public void reject(String reason) {
    if (!settled.compareAndSet(false, true)) {
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "rejected a message from " + origin + " (message id "
        + props.getMessageId() + ", correlation id " + props.getCorrelationId() + ", "
        + body.length + " bytes): " + reason);
    if (channel != null && channel.isOpen()) {
      try {
        channel.basicReject(tag, false);
      } catch (Exception e) {
        LOG.log(System.Logger.Level.DEBUG, "could not reject a message from " + origin, e);
      }
    }
  }
}
