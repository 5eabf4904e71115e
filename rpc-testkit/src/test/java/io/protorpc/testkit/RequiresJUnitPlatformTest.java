package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What surefire 2.12.4's plain-object runner sees in every suite: a public, no-argument
 * {@code test...} method that fails with what to do, and that the JUnit Platform does not run.
 * (Checked by hand with Maven 3.8.7's default surefire: a public subclass of a suite failed the
 * build with this message; a package-private one reported {@code Tests run: 0}.)
 */
class RequiresJUnitPlatformTest {
  @Test
  void everySuiteFailsUnderARunnerOfPlainObjectsAndNotUnderThePlatform() throws Exception {
    for (Class<?> suite : List.of(FramingConformanceSuite.class, CodecConformanceSuite.class,
        CompressorConformanceSuite.class, TransportConformanceSuite.class)) {
      assertTrue(RequiresJUnitPlatform.class.isAssignableFrom(suite), suite.getName());
      Method m = suite.getMethod("testThatTheJUnitPlatformRunsThisSuite");
      assertTrue(Modifier.isPublic(m.getModifiers()) && m.getReturnType() == void.class);
      assertEquals(0, m.getAnnotations().length, "the JUnit Platform must not run it");
    }
    RequiresJUnitPlatform suite = new LengthFramingConformanceTest();
    AssertionError e = assertThrows(AssertionError.class,
        suite::testThatTheJUnitPlatformRunsThisSuite);
    assertTrue(e.getMessage().startsWith(LengthFramingConformanceTest.class.getName()
        + " is a JUnit Jupiter test suite, but this test runner does not run the JUnit Platform"),
        e.getMessage());
    assertTrue(e.getMessage().contains("maven-surefire-plugin 3.x"), e.getMessage());
  }
}
