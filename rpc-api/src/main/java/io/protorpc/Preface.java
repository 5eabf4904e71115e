package io.protorpc;

import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The connection preface each side sends before any frame (docs/protocol.md): {@code "PRPC"},
 * a version byte, a 2-byte big-endian body length, and a UTF-8 body of {@code key=value} lines.
 * It is independent of framing and codec because it is what chooses them, so a mismatch is refused
 * with a reason instead of misparsed.
 */
final class Preface {
  static final byte[] MAGIC = {'P', 'R', 'P', 'C'};
  static final int VERSION = 1;
  static final int HEAD_SIZE = 7;
  static final int MAX_BODY = 4096;

  static final String FRAMING = "framing";
  static final String CODEC = "codec";
  static final String COMPRESSORS = "compressors";
  static final String MAX_MESSAGE_SIZE = "max-message-size";
  static final String MAX_HEADER_SIZE = "max-header-size";
  static final String STATUS = "status";
  static final String REASON = "reason";

  private Preface() {}

  /** Encodes a preface; keys and values must not contain '=' (keys) or line breaks. */
  static ByteBuffer encode(Map<String, String> fields) {
    StringBuilder body = new StringBuilder();
    fields.forEach((k, v) -> body.append(k).append('=')
        .append(v.replace('\n', ' ').replace('\r', ' ')).append('\n'));
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    int length = Math.min(bytes.length, MAX_BODY); // only a long refusal reason could be cut
    while (length < bytes.length && length > 0 && (bytes[length] & 0xC0) == 0x80) {
      length--; // never cut inside a UTF-8 character: the peer would refuse the whole body
    }
    ByteBuffer out = ByteBuffer.allocate(HEAD_SIZE + length);
    out.put(MAGIC).put((byte) VERSION).putShort((short) length).put(bytes, 0, length);
    return out.flip();
  }

  /** An integer field, or {@code fallback} when absent or malformed. */
  static int intField(Map<String, String> fields, String key, int fallback) {
    String v = fields.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.trim());
      return n >= 0 ? n : fallback;
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** How much of a malformed line an error message quotes. */
  private static final int QUOTED_CHARS = 64;

  /** The content types of TLS records that can start a peer's bytes: neither is 'P' (0x50). */
  private static final byte TLS_HANDSHAKE = 0x16;
  private static final byte TLS_ALERT = 0x15;

  /**
   * The peer's first byte starts a TLS record where the preface belongs: it uses TLS and this side
   * does not (a TLS client on a plaintext port, or a TLS server's alert to a plaintext client).
   */
  static final class TlsRecordException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    TlsRecordException(String record) {
      super("the peer speaks TLS: a TLS " + record + " arrived where the protorpc preface belongs");
    }
  }

  /** Incremental decoder: validates each byte as it arrives, so garbage is refused at once. */
  static final class Decoder {
    private final ByteBuffer head = ByteBuffer.allocate(HEAD_SIZE);
    private ByteBuffer body;

    /**
     * Consumes preface bytes from {@code in}, leaving any bytes after the preface in it.
     *
     * @return the fields once the whole preface has arrived, else null
     */
    Map<String, String> decode(ByteBuffer in) throws ProtocolException {
      while (head.hasRemaining() && in.hasRemaining()) {
        int i = head.position();
        byte b = in.get();
        head.put(b);
        if (i == 0 && (b == TLS_HANDSHAKE || b == TLS_ALERT)) {
          throw new TlsRecordException(b == TLS_HANDSHAKE ? "handshake" : "alert");
        }
        if (i < MAGIC.length && b != MAGIC[i]) {
          throw new ProtocolException("not a protorpc peer: bad preface magic (expected \"PRPC\")");
        }
        if (i == 4 && b != VERSION) {
          throw new ProtocolException("unsupported protocol version " + (b & 0xFF)
              + "; this side speaks version " + VERSION);
        }
      }
      if (head.hasRemaining()) {
        return null;
      }
      if (body == null) {
        int length = head.getShort(5) & 0xFFFF;
        if (length > MAX_BODY) {
          throw new LimitExceededException(
              "preface body of " + length + " bytes exceeds " + MAX_BODY + " bytes");
        }
        body = ByteBuffer.allocate(length);
      }
      int take = Math.min(body.remaining(), in.remaining());
      ByteBuffer chunk = in.slice();
      chunk.limit(take);
      body.put(chunk);
      in.position(in.position() + take);
      return body.hasRemaining() ? null : parse(body.flip());
    }

    private static Map<String, String> parse(ByteBuffer body) throws ProtocolException {
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .decode(body).toString();
      } catch (CharacterCodingException e) {
        throw new ProtocolException("preface body is not valid UTF-8");
      }
      Map<String, String> fields = new LinkedHashMap<>();
      for (String line : text.split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        int eq = line.indexOf('=');
        if (eq <= 0) {
          // quote the start only: the rest is the peer's text, up to 4 KiB of it
          throw new ProtocolException("malformed preface line: '"
              + (line.length() <= QUOTED_CHARS ? line : line.substring(0, QUOTED_CHARS) + "...")
              + "'");
        }
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
      return fields;
    }
  }
}
