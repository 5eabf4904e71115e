package io.protorpc.codec.protobuf;

import io.protorpc.spi.Codec;
import io.protorpc.testkit.CodecConformanceSuite;

/** The {@code protobuf} codec passes the testkit's codec suite. */
class ProtobufCodecConformanceTest extends CodecConformanceSuite {
  @Override
  protected Codec codec() {
    return new ProtobufCodec();
  }
}
