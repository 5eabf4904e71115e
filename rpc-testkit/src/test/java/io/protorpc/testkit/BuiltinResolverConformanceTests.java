package io.protorpc.testkit;

import io.protorpc.PluginRegistry;
import io.protorpc.resolver.NameResolver;
import java.util.List;
import org.junit.jupiter.api.Nested;

/** The built-in resolvers against the resolver suite. */
class BuiltinResolverConformanceTests {

  @Nested
  class Passthrough extends NameResolverConformanceSuite {
    @Override
    protected NameResolver resolver() {
      return PluginRegistry.find(NameResolver.class, "passthrough");
    }

    @Override
    protected String target() {
      return "127.0.0.1:9090";
    }

    @Override
    protected List<String> malformedTargets() {
      return List.of("127.0.0.1", "host:0", "host:65536", ":80", "[::1]80", "::1:80", "h:x");
    }
  }

  @Nested
  class Dns extends NameResolverConformanceSuite {
    @Override
    protected NameResolver resolver() {
      return PluginRegistry.find(NameResolver.class, "dns");
    }

    @Override
    protected String target() {
      return "dns:///localhost:9090";
    }

    @Override
    protected List<String> malformedTargets() {
      return List.of("dns://8.8.8.8/localhost:9090", "dns:///localhost", "dns:///:9090");
    }
  }

  @Nested
  class Static extends NameResolverConformanceSuite {
    @Override
    protected NameResolver resolver() {
      return PluginRegistry.find(NameResolver.class, "static");
    }

    @Override
    protected String target() {
      return "static:///127.0.0.2:9090,127.0.0.3:9090,[::1]:9091";
    }

    @Override
    protected List<String> malformedTargets() {
      return List.of("static:///127.0.0.2:1,127.0.0.2:1", "static://x/127.0.0.2:1",
          "static:///", "static:///127.0.0.2:1,");
    }
  }

  @Nested
  class InProcess extends NameResolverConformanceSuite {
    @Override
    protected NameResolver resolver() {
      return PluginRegistry.find(NameResolver.class, "inproc");
    }

    @Override
    protected String target() {
      return "inproc://calc";
    }

    @Override
    protected List<String> malformedTargets() {
      return List.of("inproc://", "inproc://calc/more");
    }
  }
}
