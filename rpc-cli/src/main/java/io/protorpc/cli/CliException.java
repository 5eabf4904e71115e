package io.protorpc.cli;

/** A failure the command line reports as {@code error: MESSAGE} and ends with {@code exitCode}. */
final class CliException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** A command line, argument or input that cannot work: {@link ExitCodes#USAGE}. */
  static CliException usage(String message) {
    return new CliException(ExitCodes.USAGE, message);
  }

  /** Something here failed (a file, protoc, TLS material): {@link ExitCodes#LOCAL}. */
  static CliException local(String message, Throwable cause) {
    return new CliException(ExitCodes.LOCAL, message, cause);
  }

  int exitCode() {
    return exitCode;
  }
}
