package io.protorpc.cli;

import io.protorpc.RpcException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code protorpc describe HOST:PORT [SYMBOL]}. */
@Command(name = "describe", mixinStandardHelpOptions = true,
    description = {"Shows a service with its methods, a method with its request and response"
        + " messages, or a message's fields or an enum's values, in proto syntax with full type"
        + " names. Without SYMBOL, every service.",
        "With --proto or --descriptor-set, describes what those files define instead (the"
            + " server is not contacted)."})
final class DescribeCommand extends ServerCommand {
  @Parameters(index = "1", arity = "0..1", paramLabel = "SYMBOL",
      description = "pkg.Service, pkg.Service/Method, pkg.Message or pkg.Enum.")
  String symbol;

  DescribeCommand(Io io) {
    super(io);
  }

  @Override
  int run() throws CliException, RpcException {
    List<String> symbols = symbol != null ? List.of(symbol) : schema().services();
    for (int i = 0; i < symbols.size(); i++) {
      if (i > 0) {
        io().out().println();
      }
      io().out().print(Describer.describe(schema().find(symbols.get(i))));
    }
    io().out().flush();
    return ExitCodes.OK;
  }
}
