package io.protorpc.cli;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.protorpc.ClientController;
import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code protorpc call HOST:PORT SERVICE/METHOD [JSON]}. */
@Command(name = "call", mixinStandardHelpOptions = true,
    description = {"Calls a method with JSON requests and prints each response as JSON on stdout."
        + " Several JSON objects, one after another, make several calls in turn over one"
        + " connection; the first failure ends the command, its status printed as JSON on"
        + " stderr."})
final class CallCommand extends ServerCommand {
  @Parameters(index = "1", paramLabel = "SERVICE/METHOD",
      description = "e.g. protorpc.examples.calculator.Calculator/Divide.")
  String method;

  @Parameters(index = "2", arity = "0..1", paramLabel = "JSON",
      description = "The request(s), e.g. '{\"num1\": 10, \"num2\": 4}'. Absent or '-': read"
          + " from stdin.")
  String json;

  CallCommand(Io io) {
    super(io);
  }

  @Override
  int run() throws CliException, RpcException {
    MethodDescriptor m = schema().method(method);
    boolean fromStdin = json == null || json.equals("-");
    if (fromStdin && System.console() != null && io().in() == System.in) {
      io().err().println("reading " + m.getInputType().getFullName()
          + " requests as JSON from stdin; end with Ctrl-D");
    }
    Reader reader = fromStdin ? new InputStreamReader(io().in(), StandardCharsets.UTF_8)
        : new StringReader(json);
    Json.Requests requests = new Json.Requests(reader);
    Message prototype = DynamicMessage.getDefaultInstance(m.getOutputType());
    int calls = 0;
    for (String text = requests.next(); text != null; text = requests.next()) {
      calls++;
      DynamicMessage request = Json.parse(text, m.getInputType(), schema().typeRegistry(), calls);
      ClientController c = controller();
      Message response;
      try {
        response = connection().callBlockingMethod(m, c, request, prototype);
      } finally {
        printResponseMetadata(c);
      }
      try {
        io().out().println(Json.print(response, schema().typeRegistry()));
      } catch (InvalidProtocolBufferException e) {
        throw new RpcException(StatusCode.INTERNAL, "the response cannot be printed as JSON: "
            + e.getMessage());
      }
      io().out().flush();
    }
    if (calls == 0) {
      throw CliException.usage("no request: give JSON after the method or on stdin ('{}' for an"
          + " empty " + m.getInputType().getFullName() + ")");
    }
    return ExitCodes.OK;
  }
}
