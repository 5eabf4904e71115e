package io.protorpc.testkit;

/**
 * The base of every suite: it makes a test runner that ignores the JUnit Platform fail instead of
 * reporting {@code Tests run: 0}.
 *
 * <p>The suites are JUnit Jupiter tests and need a runner of the JUnit Platform, such as
 * maven-surefire-plugin 3.x. Maven 3.8's default surefire, 2.12.4, looks for JUnit 3/4 tests and,
 * finding no JUnit 3 or 4 on the class path, runs plain objects instead: the public methods named
 * {@code test...} of public classes. It never runs a Jupiter test, so nothing in a suite can notice
 * it from within; the one thing it does run is {@link #testThatTheJUnitPlatformRunsThisSuite},
 * which fails with what to do. A test class that is not public it skips in silence, which is why
 * README asks for public test classes.
 */
public abstract class RequiresJUnitPlatform {
  /** For subclasses: the suites. */
  protected RequiresJUnitPlatform() {}

  /**
   * Not a Jupiter test (no {@code @Test}), so the JUnit Platform never runs it; only a runner
   * that ignores the platform does, and then it fails.
   *
   * @throws AssertionError always, saying which runner is needed
   */
  public void testThatTheJUnitPlatformRunsThisSuite() {
    throw new AssertionError(getClass().getName() + " is a JUnit Jupiter test suite, but this "
        + "test runner does not run the JUnit Platform, so none of its tests ran. With Maven, "
        + "use maven-surefire-plugin 3.x (Maven 3.8's default, 2.12.4, runs none of them).");
  }
}
