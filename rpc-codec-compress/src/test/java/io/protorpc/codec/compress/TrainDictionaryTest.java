package io.protorpc.codec.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainDictionaryTest {
  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return TrainDictionary.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void trainsFromADirectoryAndFilesAndWritesALoadableDictionary() throws Exception {
    Path samples = Files.createDirectories(dir.resolve("samples/nested"));
    List<byte[]> orders = Samples.orders(1500, 4);
    for (int i = 0; i < orders.size() - 1; i++) {
      Files.write(samples.resolve("order-" + i + ".bin"), orders.get(i));
    }
    Path single = Files.write(dir.resolve("one-more.bin"), orders.get(orders.size() - 1));
    Path target = dir.resolve("dict.zstd");

    int status = run("--out", target.toString(), "--size", "4096",
        dir.resolve("samples").toString(), single.toString());

    assertEquals(0, status, err.toString());
    ZstdDictionary dictionary = ZstdDictionary.load(target);
    assertTrue(dictionary.size() <= 4096);
    assertTrue(out.toString().contains("id " + dictionary.id()), out.toString());
    assertTrue(out.toString().contains("1500 samples"), out.toString());
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, run());
    assertEquals(2, run("sample.bin"));
    assertEquals(2, run("--out", "x", "--size", "big", "s"));
    assertEquals(2, run("--out", "x", "--frobnicate", "s"));
    assertTrue(err.toString().contains("usage:"), err.toString());
  }

  @Test
  void tooFewSamplesExitWithOneAndSayWhy() throws Exception {
    Path sample = Files.write(dir.resolve("a.bin"), new byte[] {1, 2, 3});
    assertEquals(1, run("--out", dir.resolve("d").toString(), sample.toString()));
    assertTrue(err.toString().contains("more samples"), err.toString());
  }

  @Test
  void rawBytesAreNotADictionary() throws Exception {
    Path raw = Files.write(dir.resolve("raw"), new byte[100]);
    java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
        java.io.IOException.class, () -> ZstdDictionary.load(raw));
    assertTrue(e.getMessage().contains("not a zstd dictionary"), e.getMessage());
  }
}
