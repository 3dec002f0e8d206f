// Health check for the hapiproject/hapi image, which is distroless: no shell, no curl, no wget,
// and a JRE without the compiler (so `java HealthCheck.java` cannot run there either). The
// Dockerfile compiles this in a JDK stage and copies the class into the image.
// Usage: java -cp /healthcheck HealthCheck [URL]  (exit 0 when URL answers a CapabilityStatement)
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

public final class HealthCheck {
  public static void main(String[] args) {
    String url = args.length > 0 ? args[0] : "http://localhost:8080/fhir/metadata";
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
      HttpRequest request = HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(8))
          .header("Accept", "application/fhir+json")
          .build();
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      boolean ok = response.statusCode() == 200 && response.body().contains("\"CapabilityStatement\"");
      System.exit(ok ? 0 : 1);
    } catch (Exception e) {
      System.exit(1);
    }
  }
}
