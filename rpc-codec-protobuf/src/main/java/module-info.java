/**
 * The {@code protobuf} envelope codec: the call header as a protobuf message, the payload passed
 * through. Found by {@link java.util.ServiceLoader} as an {@link io.protorpc.spi.Codec} named
 * {@code "protobuf"}; {@link io.protorpc.codec.protobuf.ProtobufCodec} is exported for explicit
 * registration. The generated wire classes ({@code io.protorpc.codec.protobuf.wire}) are internal:
 * exported to protobuf-java alone.
 */
module io.protorpc.codec.protobuf {
  // transitive: ProtobufCodec's public signatures use io.protorpc.spi types
  requires transitive io.protorpc;

  exports io.protorpc.codec.protobuf;
  // Only to protobuf-java, whose reflection (toString, getAllFields, TextFormat) calls the
  // generated accessors; without this those throw IllegalAccessException. Users don't see it.
  exports io.protorpc.codec.protobuf.wire to com.google.protobuf;

  provides io.protorpc.spi.Codec with
      io.protorpc.codec.protobuf.ProtobufCodec;
}
