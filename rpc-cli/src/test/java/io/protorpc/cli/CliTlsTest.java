package io.protorpc.cli;

import static io.protorpc.cli.CliTest.DIVIDE;
import static io.protorpc.cli.CliTest.assertExit;
import static io.protorpc.cli.CliTest.results;
import static io.protorpc.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.RpcServer;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.testkit.TestCertificates;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --tls}, {@code --cacert}, {@code --cert} and {@code --key} against a server that requires
 * mutual TLS. Its own class for its longer bound: making the test certificates runs keytool seven
 * times, slow on a loaded machine.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CliTlsTest {
  @Test
  void mutualTlsWithPemFiles() throws Exception {
    TestCertificates certs = TestCertificates.get();
    try (RpcServer tls = RpcServer.builder().transport("socket").tls(certs.serverContext(), true)
        .addService(CalculatorRpc.bindService(new TestCalculator())).reflection().start()) {
      check("127.0.0.1:" + tls.port(), certs);
    }
  }

  private static void check(String tlsTarget, TestCertificates certs) throws Exception {
    CliTest.Run r = run("call", tlsTarget, DIVIDE, "{\"num1\": 1, \"num2\": 2}",
        "--cacert", certs.caCertificatePem().toString(),
        "--cert", certs.clientCertificatePem().toString(),
        "--key", certs.clientKeyPem().toString());
    assertExit(0, r);
    assertEquals(List.of(0.5), results(r.out()));
    // without a client certificate the server refuses; with plain TCP too
    r = run("list", tlsTarget, "--cacert", certs.caCertificatePem().toString());
    assertExit(78, r);
    assertExit(78, run("list", tlsTarget, "--deadline", "3s"));
    r = run("list", tlsTarget, "--cert", certs.clientCertificatePem().toString());
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("--cert and --key go together"), r::toString);
    r = run("list", tlsTarget, "--tls", "--cacert", certs.caCertificatePem().toString(),
        "--cert", certs.clientCertificatePem().toString(),
        "--key", certs.clientCertificatePem().toString());
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("holds no unencrypted PKCS#8 key"), r::toString);
  }
}
