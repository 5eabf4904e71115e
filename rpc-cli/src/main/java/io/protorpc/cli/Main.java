package io.protorpc.cli;

import io.protorpc.PluginNotFoundException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code protorpc}: lists, describes and calls the services of a protorpc server from a shell.
 * docs/cli.md shows every command with its output.
 */
@Command(name = "protorpc", mixinStandardHelpOptions = true, version = "protorpc 0.1.0",
    synopsisSubcommandLabel = "COMMAND",
    description = {"Lists, describes and calls the services of a protorpc server: JSON in, JSON"
        + " out. Types come from the server's reflection (RpcServer.Builder.reflection()), or"
        + " from --proto / --descriptor-set files.",
        "Every command takes --help."},
    footer = {"", ExitCodes.HELP})
public final class Main implements Runnable {
  @Spec
  CommandSpec spec;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, new Io(System.in, System.out, System.err, System.getenv())));
  }

  /** Runs a command line and returns its exit code ({@link ExitCodes}). */
  static int run(String[] args, Io io) {
    CommandLine cl = new CommandLine(new Main())
        .addSubcommand(new ListCommand(io))
        .addSubcommand(new DescribeCommand(io))
        .addSubcommand(new CallCommand(io))
        .addSubcommand(new HealthCommand(io))
        .addSubcommand(new HelpCommand());
    cl.setOut(writer(io.out()));
    cl.setErr(writer(io.err()));
    cl.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      if (e instanceof CliException c) {
        io.err().println("error: " + c.getMessage());
        return c.exitCode();
      }
      if (e instanceof PluginNotFoundException) {
        io.err().println("error: " + e.getMessage());
        return ExitCodes.USAGE;
      }
      throw e;
    });
    return cl.execute(args);
  }

  private static PrintWriter writer(PrintStream s) {
    return new PrintWriter(new OutputStreamWriter(s, StandardCharsets.UTF_8), true);
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "give a command: list, describe or call");
  }
}
