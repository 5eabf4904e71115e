package io.protorpc.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.protorpc.spi.TransportOptions;
import java.time.Duration;
import java.util.Map;

/**
 * The socket settings every connection gets, client or accepted, from {@link TransportOptions}:
 * {@code TCP_NODELAY} (protorpc writes whole frames and coalesces its own flushes), {@code
 * SO_KEEPALIVE} (a vanished peer is found eventually), and a write-buffer water mark of {@code
 * writeBufferBytes} (high) and half that (low).
 */
final class ChannelSetup {
  private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

  private final int connectTimeoutMillis;
  private final Map<ChannelOption<?>, Object> socketOptions;

  ChannelSetup(TransportOptions options) {
    Duration timeout = options.connectTimeout();
    this.connectTimeoutMillis = timeout.compareTo(MAX_CONNECT_TIMEOUT) >= 0
        ? Integer.MAX_VALUE : (int) Math.max(1, timeout.toMillis()); // Netty reads 0 as "never"
    int high = options.writeBufferBytes();
    this.socketOptions = Map.of(
        ChannelOption.TCP_NODELAY, true,
        ChannelOption.SO_KEEPALIVE, true,
        ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high));
  }

  int connectTimeoutMillis() {
    return connectTimeoutMillis;
  }

  /** Applies the socket settings to a client or an accepted channel. */
  void configure(Channel channel) {
    channel.config().setOptions(socketOptions);
  }
}
