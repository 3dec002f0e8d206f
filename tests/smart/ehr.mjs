// A test SMART EHR: oidc-provider (a certified OpenID provider) configured as a SMART App
// Launch 2.x authorization server, in front of the sandbox FHIR server. Test code only.
//
//   node ehr.mjs PORT UPSTREAM_FHIR_BASE REDIRECT_URI
//
// Serves, on http://127.0.0.1:PORT:
//   /fhir/...                             the sandbox FHIR server, behind a bearer-token check:
//                                         the token must be live, for this audience, and every
//                                         read, search and write must stay in its patient's compartment
//   /fhir/.well-known/smart-configuration SMART discovery
//   /auth, /token, /jwks, ...             oidc-provider
//   /interaction/:uid                     the EHR's login + patient picker + allow/deny page
//   /_test/launch (POST)                  an EHR launch context {patient, need_patient_banner,
//                                         withhold: [types the EHR refuses to this launch's token]} -> {launch}
//   /_test/revoke (POST)                  revoke every access token seen so far ("expired")
//   /_test/writes (GET)                   how many POSTs of each resource type reached the FHIR server
import http from 'node:http';
import crypto from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const [port, upstreamArg, redirectUri] = process.argv.slice(2);
const ISSUER = `http://127.0.0.1:${port}`;
const FHIR_BASE = `${ISSUER}/fhir`;
const UPSTREAM = upstreamArg.replace(/\/$/, '');
const CLIENT_ID = process.env.SMART_CLIENT_ID || 'oms-cds';
const PRACTITIONER = process.env.SMART_PRACTITIONER || 'Practitioner/test-clinician';
// Searched by patient: the evidence and the treatment record.
const COMPARTMENT_TYPES = ['Condition', 'Observation', 'DiagnosticReport', 'MedicationRequest',
  'MedicationAdministration', 'MedicationStatement', 'Procedure', 'ServiceRequest'];
// Medication is in no patient compartment: read by id, as a medication record references it.
const READ_TYPES = ['Patient', 'Medication', ...COMPARTMENT_TYPES];
const WRITE_TYPES = ['RiskAssessment', 'CarePlan', 'Provenance'];
const RESOURCE_SCOPES = [
  ...READ_TYPES.map((t) => `patient/${t}.rs`),
  ...WRITE_TYPES.map((t) => `patient/${t}.c`),
];
const OIDC_SCOPES = ['openid', 'fhirUser', 'launch', 'launch/patient'];

const launches = new Map(); // launch id -> {patient, need_patient_banner}
const withheld = new Map(); // launch or grant id -> types this EHR refuses to the app (policy, or unsupported)
const grantContext = new Map(); // grant id -> {patient, need_patient_banner}
const seenTokens = new Set();
const writes = {};

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID,
    token_endpoint_auth_method: 'none',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  scopes: OIDC_SCOPES,
  claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
  conformIdTokenClaims: false, // fhirUser in the id_token, where SMART clients read it
  pkce: { required: () => true }, // S256 is the only method oidc-provider accepts
  extraParams: {
    // SMART: `aud` must name this FHIR server, so a token is never sent to another one.
    aud(ctx, value) {
      if (value !== FHIR_BASE) throw new errors.InvalidRequest('aud does not name this EHR\'s FHIR server');
    },
    launch(ctx, value) {
      if (value !== undefined && !launches.has(value)) throw new errors.InvalidRequest('unknown launch');
    },
  },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => FHIR_BASE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource) => {
        if (resource !== FHIR_BASE) throw new errors.InvalidTarget();
        return { scope: RESOURCE_SCOPES.join(' '), audience: FHIR_BASE, accessTokenTTL: 3600, accessTokenFormat: 'opaque' };
      },
    },
  },
  // Every launch asks again, so each launch's context (patient) makes its own grant.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId;
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
  extraTokenClaims: async (ctx, token) => grantContext.get(token.grantId),
  clientBasedCORS: () => true,
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, fhirUser: `${FHIR_BASE}/${PRACTITIONER}` }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 3600 },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Error</title><p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`;
  },
});
provider.proxy = false;

// SMART: the launch context goes in the token response, beside the access token.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.body?.access_token) {
    const token = await provider.AccessToken.find(ctx.body.access_token);
    const context = token && grantContext.get(token.grantId);
    if (context) Object.assign(ctx.body, context);
  }
});

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { params } = details;
  const scopes = String(params.scope || '').split(' ');
  const launch = params.launch && launches.get(params.launch);
  if (req.method === 'GET') {
    const patients = launch ? [] : await listPatients();
    const picker = launch ? '' : `<label for="patient">Patient</label>
      <select id="patient" name="patient">${patients.map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(p.name)}</option>`).join('')}</select>`;
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><html lang="en"><head><title>Test EHR sign-in</title><link rel="icon" href="data:,"></head><body><main>
      <h1>Test EHR: allow oms-cds?</h1><p>Signed in as ${escapeHtml(PRACTITIONER)}. Scopes: ${escapeHtml(scopes.join(' '))}</p>
      <form method="post">${picker}<button name="decision" value="allow">Allow</button>
      <button name="decision" value="deny">Deny</button></form></main></body></html>`);
    return;
  }
  const form = new URLSearchParams((await readBody(req)).toString());
  if (form.get('decision') !== 'allow') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied access' }, { mergeWithLastSubmission: false });
    return;
  }
  const context = launch ? { ...launch } : { patient: form.get('patient'), need_patient_banner: true };
  const grant = new provider.Grant({ accountId: 'test-clinician', clientId: params.client_id });
  grant.addOIDCScope(scopes.filter((s) => OIDC_SCOPES.includes(s)).join(' '));
  grant.addResourceScope(FHIR_BASE, scopes.filter((s) => RESOURCE_SCOPES.includes(s)).join(' '));
  const grantId = await grant.save();
  grantContext.set(grantId, context);
  if (withheld.has(params.launch)) withheld.set(grantId, withheld.get(params.launch));
  await provider.interactionFinished(req, res, { login: { accountId: 'test-clinician' }, consent: { grantId } });
}

async function listPatients() {
  const answer = await (await fetch(`${UPSTREAM}/Patient?_count=100`)).json();
  return (answer.entry || []).map(({ resource }) => ({
    id: resource.id,
    name: [resource.name?.[0]?.given?.join(' '), resource.name?.[0]?.family].filter(Boolean).join(' ') || resource.id,
  }));
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type, accept, prefer',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-expose-headers': 'location, etag',
};

function smartConfiguration() {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/auth`,
    token_endpoint: `${ISSUER}/token`,
    jwks_uri: `${ISSUER}/jwks`,
    grant_types_supported: ['authorization_code'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: [...OIDC_SCOPES, ...RESOURCE_SCOPES],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: ['launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient',
      'context-standalone-patient', 'permission-patient', 'permission-v2', 'sso-openid-connect'],
  };
}

// The patient compartment of the token and its scopes: which requests it may make.
function allowed(method, path, query, body, patient, scopes) {
  const [type, id, extra] = path.split('/').filter(Boolean);
  const ownPatient = (value) => value === patient || value === `Patient/${patient}`;
  if (method === 'GET' && !scopes.has(`patient/${type}.rs`)) return false;
  if (method === 'GET' && type === 'Patient' && id && !extra) return id === patient;
  if (method === 'GET' && type === 'Medication' && id && !extra) return true;
  if (method === 'GET' && COMPARTMENT_TYPES.includes(type) && !id) {
    return ownPatient(query.get('patient') || query.get('subject'));
  }
  if (method === 'POST' && !type && body?.resourceType === 'Bundle' && body.type === 'transaction') {
    return (body.entry || []).every(({ resource, request }) => {
      if (!WRITE_TYPES.includes(resource?.resourceType) || request?.method !== 'POST') return false;
      if (resource.resourceType === 'Provenance') {
        return (resource.target || []).every((t) => String(t.reference).startsWith('urn:uuid:'));
      }
      return ownPatient(resource.subject?.reference);
    });
  }
  return false;
}

async function fhir(req, res, path, query) {
  if (req.method === 'OPTIONS') return send(res, 204, '', CORS);
  if (path === '/.well-known/smart-configuration') return send(res, 200, smartConfiguration(), CORS);
  if (path === '/metadata') return proxy(req, res, path, query, null);
  const auth = req.headers.authorization || '';
  const token = auth.startsWith('Bearer ') ? await provider.AccessToken.find(auth.slice(7)) : undefined;
  if (!token || token.aud !== FHIR_BASE) {
    return send(res, 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'invalid or expired token' }] },
      { ...CORS, 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  seenTokens.add(token);
  const raw = req.method === 'POST' ? await readBody(req) : null;
  let body = null;
  try { body = raw ? JSON.parse(raw.toString()) : null; } catch { body = null; }
  const scopes = new Set(String(token.scope || '').split(' '));
  for (const type of withheld.get(token.grantId) || []) scopes.delete(`patient/${type}.rs`);
  if (!allowed(req.method, path, query, body, token.extra?.patient, scopes)) {
    return send(res, 403, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'outside the patient compartment' }] }, CORS);
  }
  for (const entry of body?.entry || []) writes[entry.resource.resourceType] = (writes[entry.resource.resourceType] || 0) + 1;
  return proxy(req, res, path, query, raw);
}

async function proxy(req, res, path, query, raw) {
  let answer;
  try {
    answer = await fetch(`${UPSTREAM}${path}${query.size ? `?${query}` : ''}`, {
      method: req.method,
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: raw || undefined,
    });
  } catch {
    return send(res, 503, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', diagnostics: 'FHIR server unavailable' }] }, CORS);
  }
  // Links (paging) point at the sandbox itself: point them at this proxy instead.
  const text = (await answer.text()).replaceAll(UPSTREAM, FHIR_BASE);
  send(res, answer.status, text, { ...CORS, 'content-type': answer.headers.get('content-type') || 'application/fhir+json' });
}

async function testControl(req, res, path) {
  if (path === '/_test/launch' && req.method === 'POST') {
    const context = JSON.parse((await readBody(req)).toString());
    const launch = crypto.randomBytes(12).toString('hex');
    launches.set(launch, { patient: context.patient, need_patient_banner: context.need_patient_banner ?? true });
    if (context.withhold) withheld.set(launch, context.withhold);
    return send(res, 200, { launch, iss: FHIR_BASE });
  }
  if (path === '/_test/revoke' && req.method === 'POST') {
    await Promise.all([...seenTokens].map((token) => token.destroy()));
    seenTokens.clear();
    return send(res, 200, { revoked: true });
  }
  if (path === '/_test/writes') return send(res, 200, writes);
  return send(res, 404, {});
}

const oidc = provider.callback();
http.createServer(async (req, res) => {
  const url = new URL(req.url, ISSUER);
  try {
    if (url.pathname === '/fhir' || url.pathname.startsWith('/fhir/')) {
      return await fhir(req, res, url.pathname.slice('/fhir'.length) || '/', url.searchParams);
    }
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res);
    if (url.pathname.startsWith('/_test/')) return await testControl(req, res, url.pathname);
    return oidc(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`ready ${ISSUER}`));
