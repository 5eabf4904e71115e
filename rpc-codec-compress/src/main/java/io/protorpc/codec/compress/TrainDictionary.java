package io.protorpc.codec.compress;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Trains a zstd dictionary from sample messages (one message per file; a directory stands for
 * every regular file below it) and writes it to a file that {@link ZstdDictionary#load} reads:
 *
 * <pre>
 * java -p &lt;module path&gt; -m io.protorpc.codec.compress/io.protorpc.codec.compress.TrainDictionary \
 *     --out dict.zstd [--size 16384] samples/ more.bin ...
 * </pre>
 *
 * <p>Prints the dictionary id and size. Exit status 0 on success, 1 when training fails, 2 on a
 * usage error.
 */
public final class TrainDictionary {
  /** Dictionary size when {@code --size} is not given: zstd's usual choice. */
  public static final int DEFAULT_SIZE = 16 * 1024;

  private static final String USAGE = "usage: TrainDictionary --out FILE [--size BYTES]"
      + " SAMPLE_FILE_OR_DIRECTORY...\n"
      + "  Trains a zstd dictionary of at most BYTES (default " + DEFAULT_SIZE + ") from sample"
      + " messages, one per file\n  (a directory stands for every regular file below it), and"
      + " writes it to FILE.";

  private TrainDictionary() {}

  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** Does what {@link #main} does and returns the exit status instead of exiting. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Path target = null;
    int size = DEFAULT_SIZE;
    List<Path> inputs = new ArrayList<>();
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "-h", "--help" -> {
            out.println(USAGE);
            return 0;
          }
          case "--out" -> target = Path.of(value(args, ++i, "--out"));
          case "--size" -> size = parseSize(value(args, ++i, "--size"));
          default -> {
            if (args[i].startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + args[i]);
            }
            inputs.add(Path.of(args[i]));
          }
        }
      }
      if (target == null) {
        throw new IllegalArgumentException("--out FILE is required");
      }
      if (inputs.isEmpty()) {
        throw new IllegalArgumentException("no sample files or directories given");
      }
    } catch (IllegalArgumentException e) {
      err.println("TrainDictionary: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    try {
      List<byte[]> samples = readSamples(inputs);
      long total = samples.stream().mapToLong(s -> s.length).sum();
      ZstdDictionary dictionary = ZstdDictionary.train(samples, size);
      dictionary.save(target);
      out.println("wrote " + target + ": zstd dictionary id " + dictionary.id() + ", "
          + dictionary.size() + " bytes, trained from " + samples.size() + " samples ("
          + total + " bytes)");
      return 0;
    } catch (IOException | UncheckedIOException | IllegalArgumentException
        | IllegalStateException e) {
      err.println("TrainDictionary: " + e.getMessage());
      return 1;
    }
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  private static int parseSize(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--size must be a number of bytes, got '" + s + "'");
    }
  }

  /** Every file named, and every regular file below every directory named, in a stable order. */
  static List<byte[]> readSamples(List<Path> inputs) throws IOException {
    List<byte[]> samples = new ArrayList<>();
    for (Path input : inputs) {
      if (Files.isDirectory(input)) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(input)) {
          files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
          samples.add(Files.readAllBytes(f));
        }
      } else {
        samples.add(Files.readAllBytes(input));
      }
    }
    return samples;
  }
}
