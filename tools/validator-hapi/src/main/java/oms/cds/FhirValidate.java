package oms.cds;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

import org.hl7.fhir.utilities.TimeTracker;
import org.hl7.fhir.utilities.http.ManagedWebAccess;
import org.hl7.fhir.validation.IgLoader;
import org.hl7.fhir.validation.ValidationEngine;
import org.hl7.fhir.validation.service.PassiveExpiringSessionCache;
import org.hl7.fhir.validation.service.ValidationService;
import org.hl7.fhir.validation.service.ValidatorWatchMode;
import org.hl7.fhir.validation.service.model.InstanceValidatorParameters;
import org.hl7.fhir.validation.service.model.ValidationContext;

/**
 * Minimal command line front end for the HL7 FHIR validator engine (ca.uhn.hapi.fhir:org.hl7.fhir.validation),
 * because the official CLI artifact (org.hl7.fhir.validation.cli) is not on Maven Central past 4.0.3 (2019).
 * Accepts a subset of validator_cli's options (R4 only):
 *   -version 4.0.1  -tx n/a|URL  -ig PATH (repeatable)  -output FILE  -txCache DIR  -no-http-access  SOURCE...
 * and drives the same ValidationService that the official CLI uses. Does not set the exit code from
 * the results: read the -output OperationOutcome / Bundle (scripts/validate-fhir does).
 */
public class FhirValidate {
  /**
   * The engine hard-codes loading hl7.terminology.r4#6.2.0 and hl7.fhir.uv.extensions.r4#5.2.0 on
   * top of the core package. Neither version is on a registry we can reach, and the versions that
   * are (npm: terminology 7.0.1, extensions 5.3.0-ballot-tc1) depend on exactly those missing
   * versions of each other. The builder skips a package whose version is null, so with the defaults
   * below only hl7.fhir.r4.core (+ the small hl7.fhir.xver-extensions) and the -ig folders are
   * loaded: codes from terminology.hl7.org systems that R4 core does not carry cannot be checked.
   * Set -Dfhir.tho.version / -Dfhir.extensions.version to load a cached version instead.
   */
  static final String THO_VERSION = System.getProperty("fhir.tho.version");
  static final String EXTENSIONS_VERSION = System.getProperty("fhir.extensions.version");

  static class OfflineValidationService extends ValidationService {
    OfflineValidationService() { super(new PassiveExpiringSessionCache()); }

    @Override
    protected ValidationEngine.ValidationEngineBuilder getValidationEngineBuilder() {
      return new Builder();
    }

    /** As the original, minus its unconditional loading of hl7.terminology / hl7.fhir.uv.extensions. */
    @Override
    protected void loadIgsAndExtensions(ValidationEngine engine, List<String> igs, boolean recursive)
        throws IOException, URISyntaxException {
      IgLoader loader = new IgLoader(engine.getPcm(), engine.getContext(), engine.getVersion(), engine.isDebug());
      for (String ig : igs) {
        loader.loadIg(engine.getIgs(), engine.getBinaries(), ig, recursive);
      }
    }
  }

  /**
   * The engine's builder is immutable (every with* returns a copy), so to override the two package
   * versions the copies must stay of this class: each with* that ValidationService calls is
   * overridden to re-adopt the copy's fields.
   */
  static class Builder extends ValidationEngine.ValidationEngineBuilder {
    private Builder adopt(ValidationEngine.ValidationEngineBuilder from) {
      try {
        for (Field f : ValidationEngine.ValidationEngineBuilder.class.getDeclaredFields()) {
          if (Modifier.isStatic(f.getModifiers())) continue;
          f.setAccessible(true);
          f.set(this, f.get(from));
        }
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
      return this;
    }
    @Override public ValidationEngine.ValidationEngineBuilder withThoVersion(String v) {
      return new Builder().adopt(super.withThoVersion(THO_VERSION));
    }
    @Override public ValidationEngine.ValidationEngineBuilder withExtensionsVersion(String v) {
      return new Builder().adopt(super.withExtensionsVersion(EXTENSIONS_VERSION));
    }
    @Override public ValidationEngine.ValidationEngineBuilder withVersion(String v) {
      return new Builder().adopt(super.withVersion(v));
    }
    @Override public ValidationEngine.ValidationEngineBuilder withTimeTracker(TimeTracker t) {
      return new Builder().adopt(super.withTimeTracker(t));
    }
    @Override public ValidationEngine.ValidationEngineBuilder withUserAgent(String a) {
      return new Builder().adopt(super.withUserAgent(a));
    }
    @Override public ValidationEngine.ValidationEngineBuilder withDefaultInstanceValidatorParameters(
        InstanceValidatorParameters p) {
      return new Builder().adopt(super.withDefaultInstanceValidatorParameters(p));
    }
  }

  public static void main(String[] args) throws Exception {
    String version = "4.0.1";
    String tx = "n/a";
    String output = null;
    String txCache = null;
    List<String> igs = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-version" -> version = args[++i];
        case "-tx" -> tx = args[++i];
        case "-ig" -> igs.add(args[++i]);
        case "-output" -> output = args[++i];
        case "-txCache" -> txCache = args[++i];
        // fail fast instead of waiting for timeouts on unreachable package / terminology servers
        case "-no-http-access" -> ManagedWebAccess.setAccessPolicy(ManagedWebAccess.WebAccessPolicy.PROHIBITED);
        default -> sources.add(args[i]);
      }
    }
    if (sources.isEmpty()) {
      System.err.println("usage: FhirValidate [-version V] [-tx n/a|URL] [-ig PATH]... [-output FILE] [-txCache DIR] [-no-http-access] SOURCE...");
      System.exit(2);
    }
    ValidationContext ctx = new ValidationContext();
    ctx.setSv(version);
    ctx.setTxServer("n/a".equals(tx) ? null : tx);
    ctx.setIgs(igs);
    ctx.setSources(sources);
    if (output != null) ctx.setOutput(output);
    if (txCache != null) ctx.setTxCache(txCache);
    String definitions = "hl7.fhir.r4.core#" + version;
    ValidationService service = new OfflineValidationService();
    ValidationEngine engine = service.initializeValidator(ctx, definitions, new TimeTracker());
    service.validateSources(ctx, engine, ValidatorWatchMode.NONE, 1000, 1000);
    System.exit(0);
  }
}
