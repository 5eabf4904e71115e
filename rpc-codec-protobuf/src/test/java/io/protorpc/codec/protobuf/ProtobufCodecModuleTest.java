package io.protorpc.codec.protobuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.protorpc.PluginRegistry;
import io.protorpc.codec.protobuf.wire.Header;
import io.protorpc.codec.protobuf.wire.Kind;
import io.protorpc.spi.Codec;
import org.junit.jupiter.api.Test;

/** The module wiring: these run on the module path, with the tests patched into the module. */
class ProtobufCodecModuleTest {

  @Test
  void serviceLoaderFindsTheCodecByName() {
    Codec codec = PluginRegistry.find(Codec.class, "protobuf");
    assertInstanceOf(ProtobufCodec.class, codec);
    assertEquals("protobuf", codec.name());
    assertTrue(codec.isAvailable());
    assertTrue(PluginRegistry.names(Codec.class).contains(ProtobufCodec.NAME));
  }

  @Test
  void runsAsANamedModuleThatHidesTheWirePackage() {
    Module module = ProtobufCodec.class.getModule();
    assertTrue(module.isNamed(), "tests run on the module path");
    assertEquals("io.protorpc.codec.protobuf", module.getName());
    assertTrue(module.isExported("io.protorpc.codec.protobuf"));
    assertFalse(module.isExported("io.protorpc.codec.protobuf.wire"),
        "the generated classes are internal");
    assertEquals(module, Header.class.getModule(), "generated code is part of the module");
  }

  @Test
  void protobufReflectionWorksOnTheGeneratedClasses() {
    // protobuf-java's reflection needs the wire package exported to it (and only to it).
    assertTrue(Header.class.getModule().isExported("io.protorpc.codec.protobuf.wire",
        Message.class.getModule()));
    Header header = Header.newBuilder().setKind(Kind.PING).setService("svc").build();
    assertTrue(header.toString().contains("svc"), header::toString);
    assertEquals(2, header.getAllFields().size());
  }
}
