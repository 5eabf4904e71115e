package io.protorpc.cli;

import io.protorpc.ClientController;
import io.protorpc.Metadata;
import io.protorpc.RpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** How every command reaches the server: what each call carries, and the client's parts. */
final class ClientOptions {
  @Option(names = {"-H", "--header"}, paramLabel = "KEY:VALUE",
      description = "Request metadata for every call (reflection's too); repeatable. Keys are"
          + " lower-case.")
  List<String> headers = new ArrayList<>();

  @Option(names = "--deadline", paramLabel = "DURATION", defaultValue = "30s",
      converter = DurationConverter.class,
      description = "Each call's deadline: 250ms, 10s, 1.5m, 1h or ISO-8601 (PT10S)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration deadline;

  @Option(names = "--transport", paramLabel = "NAME", defaultValue = "socket",
      description = "socket or netty. Default: ${DEFAULT-VALUE}.")
  String transport;

  @Option(names = "--framing", paramLabel = "NAME", defaultValue = "length",
      description = "length or delimiter. Default: ${DEFAULT-VALUE}.")
  String framing;

  @Option(names = "--compressor", paramLabel = "NAME", defaultValue = "identity",
      description = "For requests: identity, zstd or gzip. Default: ${DEFAULT-VALUE}.")
  String compressor;

  @Option(names = "--tls", description = "Connect with TLS (implied by --cacert and --cert).")
  boolean tls;

  @Option(names = "--cacert", paramLabel = "FILE",
      description = "PEM certificates to trust instead of the JDK's default trust store.")
  Path caCert;

  @Option(names = "--cert", paramLabel = "FILE",
      description = "PEM certificate chain to present (mutual TLS); needs --key.")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE",
      description = "The --cert's private key: PEM, PKCS#8, unencrypted (BEGIN PRIVATE KEY).")
  Path key;

  @Option(names = {"-v", "--verbose"},
      description = "Also print each call's response metadata, as '< key: value' lines on stderr.")
  boolean verbose;

  /** A client builder for {@code target} with these options (names are checked at connect). */
  RpcClient.Builder clientBuilder(Target target) throws CliException {
    RpcClient.Builder b = RpcClient.builder().address(target.address()).transport(transport)
        .framing(framing).compressor(compressor).defaultTimeout(deadline);
    if (tls || caCert != null || cert != null) {
      b.tls(Tls.context(caCert, cert, key));
    }
    return b;
  }

  private Metadata metadata;

  /** Checks the options that cannot be checked one by one; call before anything else. */
  void check() throws CliException {
    metadata = new Metadata();
    for (String h : headers) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw CliException.usage("-H '" + h + "': give KEY:VALUE");
      }
      try {
        metadata.put(h.substring(0, colon).strip(), h.substring(colon + 1).strip());
      } catch (IllegalArgumentException e) {
        throw CliException.usage("-H '" + h + "': " + e.getMessage());
      }
    }
    if ((cert == null) != (key == null)) {
      throw CliException.usage("--cert and --key go together");
    }
  }

  /** A controller with the deadline and the metadata. */
  ClientController controller() {
    ClientController c = new ClientController().setTimeout(deadline);
    for (String k : metadata.keys()) {
      c.requestMetadata().putBytes(k, metadata.getBytes(k));
    }
    return c;
  }

  /** {@code 250ms}, {@code 10s}, {@code 1.5m}, {@code 1h}, or ISO-8601 such as {@code PT10S}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      Duration d;
      try {
        if (v.startsWith("pt")) {
          d = Duration.parse(v);
        } else {
          int unitAt = 0;
          while (unitAt < v.length() && (Character.isDigit(v.charAt(unitAt))
              || v.charAt(unitAt) == '.')) {
            unitAt++;
          }
          double n = Double.parseDouble(v.substring(0, unitAt));
          long nanosPerUnit = switch (v.substring(unitAt)) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException();
          };
          d = Duration.ofNanos(Math.round(n * nanosPerUnit));
        }
      } catch (RuntimeException e) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a duration such as 500ms, 10s, 2m or PT10S");
      }
      if (d.isNegative() || d.isZero()) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "': a deadline must be more than zero");
      }
      return d;
    }
  }
}
