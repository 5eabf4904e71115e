package io.protorpc.cli;

import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.protorpc.RpcException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code protorpc list HOST:PORT [SERVICE]}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = {"Lists the server's services, one full name a line; with SERVICE, its methods"
        + " as SERVICE/METHOD, the form 'call' takes.",
        "With --proto or --descriptor-set, lists what those files define instead (the server is"
            + " not contacted)."})
final class ListCommand extends ServerCommand {
  @Parameters(index = "1", arity = "0..1", paramLabel = "SERVICE",
      description = "A service's full name, e.g. protorpc.examples.calculator.Calculator.")
  String service;

  ListCommand(Io io) {
    super(io);
  }

  @Override
  int run() throws CliException, RpcException {
    if (service == null) {
      schema().services().forEach(io().out()::println);
      return ExitCodes.OK;
    }
    GenericDescriptor d = schema().find(service);
    if (!(d instanceof ServiceDescriptor s)) {
      throw CliException.usage("'" + service + "' is a " + Describer.kind(d)
          + ", not a service");
    }
    s.getMethods().forEach(m -> io().out().println(s.getFullName() + "/" + m.getName()));
    return ExitCodes.OK;
  }
}
