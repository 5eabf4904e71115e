package io.protorpc.cli;

import com.google.protobuf.ServiceException;
import io.protorpc.RpcException;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.health.Health;
import io.protorpc.health.HealthCheckResponse.ServingStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code protorpc health HOST:PORT [SERVICE]}. */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = {"Asks the server's health service (protorpc.health.v1.Health, which servers"
        + " built with RpcServer.Builder.health() serve) for SERVICE's status, or without SERVICE"
        + " for the server's as a whole, and prints it: SERVING or NOT_SERVING.",
        "Exits 0 when serving and 3 when not, so it can serve as a container's health probe."})
final class HealthCommand extends ServerCommand {
  @Parameters(index = "1", arity = "0..1", paramLabel = "SERVICE",
      description = "A service's full name, e.g. protorpc.examples.calculator.Calculator;"
          + " default: the server as a whole.")
  String service = Health.SERVER;

  HealthCommand(Io io) {
    super(io);
  }

  @Override
  int run() throws CliException, RpcException {
    ServingStatus status;
    try {
      status = Health.check(connection(), client.controller(), service);
    } catch (RpcException e) {
      throw explained(e);
    } catch (ServiceException e) {
      throw new RpcException(Status.of(StatusCode.INTERNAL, e.toString()), e);
    }
    io().out().println(status.name());
    io().out().flush();
    return status == ServingStatus.SERVING ? ExitCodes.OK : ExitCodes.NOT_SERVING;
  }

  /** A server without the health service is said plainly. */
  private RpcException explained(RpcException e) {
    if (e.code() == StatusCode.UNIMPLEMENTED
        && e.status().message().contains(Health.SERVICE_NAME)) {
      return new RpcException(Status.of(e.code(), target + " does not serve health checks ("
          + e.status().message() + "); enable RpcServer.Builder.health() there"), e);
    }
    return e;
  }
}
