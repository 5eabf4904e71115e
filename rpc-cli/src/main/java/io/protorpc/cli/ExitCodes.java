package io.protorpc.cli;

import io.protorpc.StatusCode;

/**
 * The command line's exit codes (docs/cli.md lists them): 0 when every call succeeded, 1 for a
 * failure here (a file, protoc, TLS material), 2 for a command line or input that cannot work, 3
 * when {@code health} found the service not serving, and 64 plus the status code's number when a call ended with that status: 67 INVALID_ARGUMENT, 68
 * DEADLINE_EXCEEDED, 69 NOT_FOUND, 78 UNAVAILABLE (also: the server cannot be reached), and so on.
 * The offset keeps a status apart from the first three, as grpcurl does.
 */
final class ExitCodes {
  static final int OK = 0;
  static final int LOCAL = 1;
  static final int USAGE = 2;
  static final int NOT_SERVING = 3;
  static final int STATUS_BASE = 64;

  private ExitCodes() {}

  static int forStatus(StatusCode code) {
    return code == StatusCode.OK ? OK : STATUS_BASE + code.number();
  }

  /** The footer of {@code protorpc --help}. */
  static final String HELP = "Exit codes:%n"
      + "  0     every call succeeded%n"
      + "  1     a failure here: a file, protoc, TLS material%n"
      + "  2     a command line or input that cannot work (bad flag, JSON, symbol)%n"
      + "  3     health: the service is not serving%n"
      + "  64+N  a call ended with status N: 65 CANCELLED, 66 UNKNOWN,%n"
      + "        67 INVALID_ARGUMENT, 68 DEADLINE_EXCEEDED, 69 NOT_FOUND,%n"
      + "        70 ALREADY_EXISTS, 71 PERMISSION_DENIED, 72 RESOURCE_EXHAUSTED,%n"
      + "        73 FAILED_PRECONDITION, 74 ABORTED, 75 OUT_OF_RANGE, 76 UNIMPLEMENTED,%n"
      + "        77 INTERNAL, 78 UNAVAILABLE (also: cannot connect), 79 DATA_LOSS,%n"
      + "        80 UNAUTHENTICATED";
}
