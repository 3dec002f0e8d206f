// Words for codes: the record's own words (CodeableConcept.text, the coding's display), else
// the display oms-cds's terminology gives the code (GET displays.json: the criterion, finding,
// diagnosis and agent ValueSets and the product ConceptMap), always with the code beside it,
// so a bare SNOMED CT code reads "Neuroblastoma (SNOMED CT <code>)".

const SYSTEM_NAMES = {
  "http://snomed.info/sct": "SNOMED CT",
  "http://loinc.org": "LOINC",
  "http://human-phenotype-ontology.org": "HPO",
  "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
  "http://www.whocc.no/atc": "ATC",
  "http://hl7.org/fhir/sid/icd-10": "ICD-10",
  "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
  "https://www.orpha.net": "Orphanet",
};

export class Names {
  constructor(document = {}) {
    this.displays = document.displays || {};
    this.ingredientOf = document.ingredientOf || {};
    this.aliases = document.systemAliases || {};
    this.formats = document.codeFormats || {};
    this.diagnosis = document.diagnosis || [];
  }

  /** The service's table; without it (service not answering) codes show with their system. */
  static async load() {
    try {
      const answer = await fetch("displays.json");
      return new Names(answer.ok ? await answer.json() : {});
    } catch (e) {
      return new Names();
    }
  }

  preferredSystem(system) {
    return this.aliases[system.trim()] || system.trim();
  }

  /** `system|code` as the service stores it: preferred system URI, canonical code spelling. */
  key(system, code) {
    const preferred = this.preferredSystem(system);
    let canonical = code.trim();
    const format = this.formats[preferred];
    if (format) {
      const prefix = (format.optionalPrefixes || []).find((p) => canonical.startsWith(p));
      if (prefix) canonical = canonical.slice(prefix.length);
      for (const character of format.ignored || "") canonical = canonical.split(character).join("");
    }
    return `${preferred}|${canonical}`;
  }

  lookup(coding) {
    if (!coding || typeof coding.system !== "string" || typeof coding.code !== "string") return null;
    return this.displays[this.key(coding.system, coding.code)] || null;
  }

  /** "SNOMED CT 432328008" */
  codeLabel(coding) {
    if (!coding || !coding.code) return "";
    const system = SYSTEM_NAMES[this.preferredSystem(coding.system || "")] || coding.system || "code";
    return `${system} ${coding.code}`;
  }

  /**
   * {words, code} for a CodeableConcept. The coding shown is the one the service knows (the
   * one that made it evidence or a treatment), else the first.
   */
  describe(concept) {
    const codings = ((concept && concept.coding) || []).filter((c) => c && c.code);
    const known = codings.find((c) => this.lookup(c)) || codings[0];
    const words = (concept && concept.text) || (known && known.display) ||
      (codings.find((c) => c.display) || {}).display || this.lookup(known);
    return { words: words || null, code: this.codeLabel(known) };
  }

  /** "Neuroblastoma (SNOMED CT 432328008)"; a code nobody names: "Unnamed code (RxNorm 161)". */
  label(concept) {
    const { words, code } = this.describe(concept);
    if (words && code) return `${words} (${code})`;
    return words || (code ? `Unnamed code (${code})` : "Not coded");
  }

  /**
   * An agent's name as the service gives it in the plan: the ingredient a product maps to,
   * else the agent ValueSet's name, else the record's words.
   */
  agent(concepts) {
    const codings = concepts.flatMap((c) => ((c && c.coding) || []).filter((x) => x && x.code));
    for (const coding of codings) {
      if (typeof coding.system !== "string") continue;
      const ingredient = this.ingredientOf[this.key(coding.system, coding.code)];
      if (ingredient && this.displays[ingredient]) return this.displays[ingredient];
    }
    for (const coding of codings) {
      const words = this.lookup(coding);
      if (words) return words;
    }
    const text = concepts.map((c) => c && c.text).find(Boolean);
    return text || (codings.find((c) => c.display) || {}).display || (codings[0] || {}).code || "treatment";
  }
}
