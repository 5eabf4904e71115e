package io.protorpc.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslHandler;
import io.protorpc.spi.TransportOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

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
  private final TransportOptions options;

  ChannelSetup(TransportOptions options) {
    this.options = options;
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

  /** Whether connections use TLS. */
  boolean tls() {
    return options.sslContext() != null;
  }

  /**
   * Puts TLS (the JDK's SSLEngine under Netty's SslHandler) first in the channel's pipeline, in
   * client mode for a connection to {@code peer} (checking its certificate against that address
   * unless told not to), or in server mode (asking for a client certificate when required, and
   * behind a {@link PlaintextSniffer} that answers plaintext clients with a TLS alert).
   */
  SslHandler addTls(Channel channel, InetSocketAddress peer) {
    SSLEngine engine;
    if (peer != null) {
      engine = options.sslContext().createSSLEngine(peer.getHostString(), peer.getPort());
      engine.setUseClientMode(true);
      if (options.verifyHostname()) {
        SSLParameters params = engine.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(params);
      }
    } else {
      engine = options.sslContext().createSSLEngine();
      engine.setUseClientMode(false);
      engine.setNeedClientAuth(options.requireClientAuth());
    }
    SslHandler handler = new SslHandler(engine);
    handler.setHandshakeTimeoutMillis(connectTimeoutMillis);
    channel.pipeline().addFirst("tls", handler);
    if (peer == null) {
      channel.pipeline().addFirst("plaintext-sniffer", new PlaintextSniffer());
    }
    return handler;
  }

  /** Applies the socket settings to a client or an accepted channel. */
  void configure(Channel channel) {
    channel.config().setOptions(socketOptions);
  }
}
