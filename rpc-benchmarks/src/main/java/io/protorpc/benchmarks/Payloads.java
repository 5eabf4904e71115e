package io.protorpc.benchmarks;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Realistic protobuf payloads, written field by field with {@link CodedOutputStream} (no protoc
 * step): an order of about 200 bytes as a typical small response, and lists of orders for the
 * larger sizes, as a list or search call would return.
 *
 * <pre>
 * message Order {
 *   int64 order_id = 1;  string customer_id = 2;  Status status = 3;  int64 created_at_ms = 4;
 *   string currency = 5;  repeated LineItem items = 6;  Address ship_to = 7;  int64 total_cents = 8;
 * }
 * message LineItem { string sku = 1; string title = 2; int32 quantity = 3; int64 unit_price_cents = 4; }
 * message Address { string country = 1; string postal_code = 2; string city = 3; }
 * message ListOrdersResponse { repeated Order orders = 1; string next_page_token = 2; }
 * </pre>
 */
public final class Payloads {
  private static final String[] TITLES = {"Blue ceramic mug 350ml", "USB-C cable 2m braided",
      "Notebook A5 dotted", "Wireless mouse, grey", "Stainless water bottle 750ml",
      "Desk lamp LED dimmable", "Paperback: The Pragmatic Programmer", "Coffee beans 1kg whole",
      "Phone case, clear", "Running socks 3-pack"};
  private static final String[][] CITIES = {{"DE", "10115", "Berlin"}, {"FR", "75002", "Paris"},
      {"NL", "1012", "Amsterdam"}, {"PL", "00-001", "Warszawa"}, {"US", "94107", "San Francisco"},
      {"GB", "EC1A 1BB", "London"}};
  private static final String[] CURRENCIES = {"EUR", "EUR", "EUR", "USD", "GBP", "PLN"};

  private Payloads() {}

  /** One order message (about 200 bytes) drawn from {@code random}. */
  public static byte[] order(Random random) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      writeOrder(out, random);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeOrder(CodedOutputStream out, Random random) throws IOException {
    out.writeInt64(1, 7_000_000_000L + random.nextInt(1_000_000_000));
    out.writeString(2, String.format("cus_%012x", random.nextLong() & 0xFFFFFFFFFFFFL));
    out.writeEnum(3, 1 + random.nextInt(5));
    out.writeInt64(4, 1_717_243_200_000L + random.nextInt(2_000_000_000));
    int place = random.nextInt(CITIES.length);
    out.writeString(5, CURRENCIES[place]);
    int items = 1 + random.nextInt(3);
    long total = 0;
    for (int i = 0; i < items; i++) {
      String sku = String.format("SKU-%06d", random.nextInt(1_000_000));
      String title = TITLES[random.nextInt(TITLES.length)];
      int quantity = 1 + random.nextInt(4);
      long price = 199 + random.nextInt(20_000);
      total += quantity * price;
      int size = CodedOutputStream.computeStringSize(1, sku)
          + CodedOutputStream.computeStringSize(2, title)
          + CodedOutputStream.computeInt32Size(3, quantity)
          + CodedOutputStream.computeInt64Size(4, price);
      out.writeTag(6, 2);
      out.writeUInt32NoTag(size);
      out.writeString(1, sku);
      out.writeString(2, title);
      out.writeInt32(3, quantity);
      out.writeInt64(4, price);
    }
    String[] city = CITIES[place];
    int size = CodedOutputStream.computeStringSize(1, city[0])
        + CodedOutputStream.computeStringSize(2, city[1])
        + CodedOutputStream.computeStringSize(3, city[2]);
    out.writeTag(7, 2);
    out.writeUInt32NoTag(size);
    out.writeString(1, city[0]);
    out.writeString(2, city[1]);
    out.writeString(3, city[2]);
    out.writeInt64(8, total);
  }

  /**
   * A ListOrdersResponse of at least {@code targetBytes}: whole orders, plus a page token. The
   * smallest size is a single order.
   */
  public static byte[] orders(int targetBytes, long seed) {
    Random random = new Random(seed);
    if (targetBytes <= 256) {
      return order(random);
    }
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(targetBytes + 256);
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      while (out.getTotalBytesWritten() < targetBytes - 40) {
        out.writeByteArray(1, order(random));
      }
      out.writeString(2, String.format("page_%016x", random.nextLong()));
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Samples to train a dictionary from: single orders from another seed than the payloads. */
  public static List<byte[]> trainingSamples(int count) {
    Random random = new Random(424242);
    List<byte[]> samples = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      samples.add(order(random));
    }
    return samples;
  }
}
