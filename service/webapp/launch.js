// SMART launch URL: EHR launch (?iss=...&launch=...) or standalone launch (?iss=... alone, where
// the EHR's authorization server asks for the patient). Authorization code with PKCE S256.
"use strict";

(async function launch() {
  const params = new URLSearchParams(window.location.search);
  const status = document.getElementById("status");
  const error = document.getElementById("error");
  function fail(message) {
    status.hidden = true;
    error.textContent = message;
    error.hidden = false;
    document.body.dataset.state = "error";
  }
  if (!params.get("iss")) {
    fail("This page must be opened by the EHR (it needs the EHR's FHIR server address, 'iss'). " +
         "Open the app from the EHR, or add ?iss=<FHIR server URL> to start it on its own.");
    return;
  }
  let config;
  try {
    const answer = await fetch("config.json", { cache: "no-store" });
    if (!answer.ok) throw new Error(String(answer.status));
    config = await answer.json();
  } catch (e) {
    fail("The OMS decision-support service is not answering. Try again in a minute.");
    return;
  }
  try {
    await FHIR.oauth2.authorize({
      clientId: config.clientId,
      scope: params.has("launch") ? config.scope : config.standaloneScope,
      redirectUri: "index.html",
      pkceMode: "required",
    });
  } catch (e) {
    fail("The EHR's FHIR server could not be reached to sign in. It may be down: try again " +
         "later, or tell the EHR support team.");
  }
})();
