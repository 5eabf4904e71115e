package io.protorpc.codec.compress;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small messages of two unrelated shapes, to train two different dictionaries. */
final class Samples {
  private Samples() {}

  /** {@code count} order-like records of about 200 bytes. */
  static List<byte[]> orders(int count, long seed) {
    Random r = new Random(seed);
    String[] statuses = {"PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"};
    String[] countries = {"DE", "FR", "NL", "US", "GB", "PL"};
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      StringBuilder sb = new StringBuilder();
      sb.append("{\"order_id\":").append(1_000_000 + r.nextInt(9_000_000))
          .append(",\"customer_id\":").append(r.nextInt(100_000))
          .append(",\"status\":\"").append(statuses[r.nextInt(statuses.length)])
          .append("\",\"currency\":\"EUR\",\"ship_to\":\"").append(countries[r.nextInt(6)])
          .append("\",\"items\":[");
      int items = 1 + r.nextInt(3);
      for (int j = 0; j < items; j++) {
        sb.append(j == 0 ? "" : ",").append("{\"sku\":\"SKU-").append(1000 + r.nextInt(9000))
            .append("\",\"qty\":").append(1 + r.nextInt(5)).append(",\"price_cents\":")
            .append(100 + r.nextInt(50_000)).append('}');
      }
      sb.append("]}");
      out.add(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  /** {@code count} log-line-like records, nothing like {@link #orders}. */
  static List<byte[]> logLines(int count, long seed) {
    Random r = new Random(seed);
    String[] levels = {"INFO", "WARN", "DEBUG", "ERROR"};
    String[] services = {"gateway", "billing", "inventory", "search", "auth"};
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String line = String.format("2024-06-%02dT%02d:%02d:%02d.%03dZ %s [%s] request %08x took"
              + " %d ms from 10.%d.%d.%d path=/api/v2/%s/%d",
          1 + r.nextInt(28), r.nextInt(24), r.nextInt(60), r.nextInt(60), r.nextInt(1000),
          levels[r.nextInt(4)], services[r.nextInt(5)], r.nextInt(), r.nextInt(2000),
          r.nextInt(256), r.nextInt(256), r.nextInt(256), services[r.nextInt(5)],
          r.nextInt(100_000));
      out.add(line.getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }
}
