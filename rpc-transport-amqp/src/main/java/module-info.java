/**
 * The {@code amqp} message transport: calls, casts and fanouts to a topic through a RabbitMQ
 * broker (AMQP 0-9-1, with RabbitMQ's amqp-client, an automatic module). See docs/broker.md.
 */
module io.protorpc.transport.amqp {
  requires transitive io.protorpc;
  requires transitive com.rabbitmq.client; // AmqpTransport(Consumer<ConnectionFactory>)

  exports io.protorpc.transport.amqp;

  provides io.protorpc.spi.MessageTransport with
      io.protorpc.transport.amqp.AmqpTransport;
}
