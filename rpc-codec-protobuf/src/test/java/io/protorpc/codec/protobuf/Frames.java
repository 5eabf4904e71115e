package io.protorpc.codec.protobuf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.CodedOutputStream;
import io.protorpc.Metadata;
import io.protorpc.codec.protobuf.wire.Header;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Test helpers: frames built by hand, and buffer and metadata comparisons. */
final class Frames {
  private Frames() {}

  /** {@code varint32(header size) | header | payload}, written without the codec. */
  static byte[] frame(Header header, byte[] payload) {
    return concat(varint(header.getSerializedSize()), header.toByteArray(), payload);
  }

  /** A frame whose header is the given raw bytes. */
  static byte[] frameWithRawHeader(byte[] headerBytes, byte[] payload) {
    return concat(varint(headerBytes.length), headerBytes, payload);
  }

  static byte[] varint(int value) {
    byte[] out = new byte[CodedOutputStream.computeUInt32SizeNoTag(value)];
    try {
      CodedOutputStream cos = CodedOutputStream.newInstance(out);
      cos.writeUInt32NoTag(value);
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static void assertSameMetadata(Metadata expected, Metadata actual) {
    assertEquals(List.copyOf(expected.keys()), List.copyOf(actual.keys()), "keys in order");
    for (String key : expected.keys()) {
      assertArrayEquals(expected.getBytes(key), actual.getBytes(key), key);
    }
  }
}
