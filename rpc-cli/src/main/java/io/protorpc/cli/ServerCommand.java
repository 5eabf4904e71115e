package io.protorpc.cli;

import com.google.protobuf.Any;
import com.google.protobuf.util.JsonFormat.TypeRegistry;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.reflection.ReflectionClient;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * A command that talks to one server: {@code HOST:PORT} first, then its own arguments. A new
 * command extends this, is annotated with {@code @Command}, implements {@link #run} and is added
 * to {@link Main}'s list. The server is connected to on first use; a call's failure is printed as
 * its status in JSON on stderr and ends the command with {@link ExitCodes#forStatus}.
 */
abstract class ServerCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "HOST:PORT",
      description = "The server, e.g. 127.0.0.1:9090.")
  String target;

  @Mixin
  ClientOptions client;

  @Mixin
  SchemaOptions files;

  private final Io io;
  private Target parsedTarget;
  private RpcClient connection;
  private Schema schema;

  ServerCommand(Io io) {
    this.io = io;
  }

  /** Does the command's work; returns its exit code. */
  abstract int run() throws CliException, RpcException;

  @Override
  public final Integer call() throws CliException {
    parsedTarget = Target.parse(target);
    client.check();
    try {
      return run();
    } catch (RpcException e) {
      io.err().println(Json.status(e.status(), registryFor(e.status())));
      return ExitCodes.forStatus(e.code());
    } finally {
      if (connection != null) {
        connection.close();
      }
    }
  }

  final Io io() {
    return io;
  }

  /** The descriptors: from the given files, else from the server's reflection. */
  final Schema schema() throws CliException, RpcException {
    if (schema == null) {
      schema = files.givesFiles()
          ? Schema.fromDescriptorSet(files.files(io), files.describeFiles())
          : Schema.fromReflection(new ReflectionClient(connection(), client::controller),
              parsedTarget.toString());
    }
    return schema;
  }

  /** The connection, made on first use; a server that cannot be reached is UNAVAILABLE. */
  final RpcClient connection() throws CliException, RpcException {
    if (connection == null) {
      RpcClient.Builder b = client.clientBuilder(parsedTarget);
      try {
        connection = b.connect();
      } catch (IOException e) {
        // the first cause says why ("Connection refused", the server's reason for refusing)
        Throwable why = e;
        while (why.getCause() != null && why.getCause() != why) {
          why = why.getCause();
        }
        throw new RpcException(Status.of(StatusCode.UNAVAILABLE,
            "cannot connect to " + parsedTarget + ": " + why.getMessage()), e);
      }
    }
    return connection;
  }

  /** A controller for one call, with the deadline and metadata. */
  final ClientController controller() {
    return client.controller();
  }

  /** Prints a finished call's response metadata when asked to. */
  final void printResponseMetadata(ClientController c) {
    if (client.verbose) {
      for (String key : c.responseMetadata().keys()) {
        io.err().println("< " + key + ": " + c.responseMetadata().get(key));
      }
    }
  }

  /** The type registry to print {@code status}'s details with, asking reflection for its type. */
  private TypeRegistry registryFor(Status status) {
    if (schema == null) {
      return TypeRegistry.getEmptyTypeRegistry();
    }
    status.details().map(Any::getTypeUrl)
        .map(url -> url.substring(url.lastIndexOf('/') + 1))
        .ifPresent(schema::messageType);
    return schema.typeRegistry();
  }
}
