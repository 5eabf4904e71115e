package io.protorpc.transport.amqp;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test one RabbitMQ node shared by every test class of the run ({@code @ExtendWith}, then
 * a {@link RabbitNode} parameter): it starts with the first class that asks and is closed by
 * JUnit when the whole run ends. Tests keep apart by using topics of their own. Tests that stop or
 * restart a broker start a {@link RabbitNode} of their own instead.
 */
final class SharedRabbit implements ParameterResolver {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(SharedRabbit.class);

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
    return p.getParameter().getType() == RabbitNode.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
    return c.getRoot().getStore(NS).computeIfAbsent("node", k -> {
      try {
        return RabbitNode.start("shared");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, RabbitNode.class);
  }
}
