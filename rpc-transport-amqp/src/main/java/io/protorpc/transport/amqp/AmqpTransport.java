package io.protorpc.transport.amqp;

import com.rabbitmq.client.ConnectionFactory;
import io.protorpc.spi.MessageOptions;
import io.protorpc.spi.MessagePort;
import io.protorpc.spi.MessageReceiver;
import io.protorpc.spi.MessageTransport;
import java.io.IOException;
import java.net.URI;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@code amqp} message transport: protorpc calls through a RabbitMQ broker, for targets
 * {@code amqp://[user:password@]host[:port][/vhost]?topic=NAME} ({@code amqps://} for TLS). Found
 * by ServiceLoader; select it with {@code RpcServer.builder().target(...)} and {@code
 * RpcClient.builder().target(...)}. docs/broker.md describes the topology it declares, the
 * delivery semantics and the failure behaviour.
 *
 * <p>Credentials come from the target's user info, or, for anything else amqp-client can do
 * (a {@code CredentialsProvider}, an {@code SaslConfig}, socket settings), from a customizer given
 * to {@link #AmqpTransport(Consumer)} and passed to the builders as the transport instance. TLS:
 * {@code amqps://}, with the builder's {@code tls(SSLContext)} context or else the JDK's default
 * trust store, and host name verification unless turned off in the transport options.
 *
 * <p>Thread-safe; holds no resources itself (each client and server has its own connection).
 */
public final class AmqpTransport implements MessageTransport {
  /** The name this transport is selected by. */
  public static final String NAME = "amqp";

  private final Consumer<ConnectionFactory> customizer;

  /** The transport as ServiceLoader creates it: settings from the target only. */
  public AmqpTransport() {
    this(null);
  }

  /**
   * A transport that lets {@code customizer} adjust every connection factory after the target's
   * settings are applied, e.g. {@code f -> f.setCredentialsProvider(vault)}.
   */
  public AmqpTransport(Consumer<ConnectionFactory> customizer) {
    this.customizer = customizer;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> schemes() {
    return Set.of("amqp", "amqps");
  }

  @Override
  public MessagePort connect(URI target, MessageOptions options, MessageReceiver replies)
      throws IOException {
    ClientPort port = new ClientPort(AmqpTarget.parse(target), options, customizer, replies);
    open(port);
    return port;
  }

  @Override
  public MessagePort listen(URI target, MessageOptions options, MessageReceiver requests)
      throws IOException {
    ServerPort port = new ServerPort(AmqpTarget.parse(target), options, customizer, requests);
    open(port);
    return port;
  }

  private static void open(BrokerLink link) throws IOException {
    try {
      link.open();
    } catch (IOException | RuntimeException e) {
      link.close();
      throw e;
    }
  }
}
