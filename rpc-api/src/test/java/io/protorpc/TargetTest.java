package io.protorpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.resolver.Target;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class TargetTest {

  @Test
  void parsesEachForm() {
    assertEquals(new Target("passthrough", "", "127.0.0.1:9090", "127.0.0.1:9090"),
        Target.parse("127.0.0.1:9090"));
    assertEquals(new Target("dns", "", "db:9090", "DNS:///db:9090"), Target.parse("DNS:///db:9090"));
    assertEquals(new Target("static", "", "a:1,b:2", "static:///a:1,b:2"),
        Target.parse("static:///a:1,b:2"));
    assertEquals(new Target("inproc", "calc", "", "inproc://calc"), Target.parse("inproc://calc"));
  }

  @Test
  void refusesWhatIsNotATarget() {
    assertThrows(IllegalArgumentException.class, () -> Target.parse(""));
    assertThrows(IllegalArgumentException.class, () -> Target.parse("a b:1"));
    assertThrows(IllegalArgumentException.class, () -> Target.parse("1dns:///a:1"));
    assertThrows(IllegalArgumentException.class, () -> Target.parse("x".repeat(4097)));
  }

  @Test
  void hostAndPortHandlesIpv6AndNamesTheTarget() {
    Target t = Target.parse("static:///[::1]:80");
    InetSocketAddress a = Target.hostAndPort("[::1]:80", t);
    assertEquals("::1", a.getHostString());
    assertEquals(80, a.getPort());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Target.hostAndPort("h:0", t));
    assertTrue(e.getMessage().startsWith("target 'static:///[::1]:80': "), e.getMessage());
  }
}
