// A real OpenID Connect provider for the tests: panva's oidc-provider on http://127.0.0.1:PORT.
//
//   node launcher.mjs config.json
//
// config.json: {"port": N, "clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//               "users": {"alice@example.com": {"name": "Alice", "groups": ["engineering"]}}}
//
// The built-in development interactions do the sign-in: the "login" field is the user's email and any
// password is accepted; an email not in "users" is refused with access_denied. Consent is implicit.
// Prints exactly one line, `READY <issuer>`, on stdout once listening; everything else goes to stderr.
//
// oidc-provider is an ES module found outside this folder. ES imports ignore NODE_PATH, so the entry
// is resolved with CommonJS resolution (which honours NODE_PATH) or taken from OIDC_PROVIDER_MODULE
// (the package folder), then loaded by a dynamic import of its file URL.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

// The library's notices use console.info (stdout): keep stdout for the READY line alone.
console.info = console.error;
console.log = console.error;

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const entry = createRequire(import.meta.url).resolve(process.env.OIDC_PROVIDER_MODULE || "oidc-provider");
const { default: Provider } = await import(pathToFileURL(entry).href);

const issuer = `http://127.0.0.1:${config.port}`;
const users = config.users;
const scope = "openid email profile groups";
const claims = { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] };
const signingKey = {
  ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }),
  kid: "test-key",
  use: "sig",
  alg: "RS256",
};

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  claims,
  conformIdTokenClaims: false, // the ID token carries email, name and groups, not only the userinfo endpoint
  pkce: { required: () => false }, // S256 still verified when the client sends a challenge
  features: { devInteractions: { enabled: true } },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  async findAccount(_ctx, sub) {
    const user = Object.hasOwn(users, sub) ? users[sub] : undefined;
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: sub, email_verified: true, name: user.name, groups: user.groups ?? [] };
      },
    };
  },
  // Consent is implicit: every client is first-party, granted the whole scope at first sign-in.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(scope);
    grant.addOIDCClaims(Object.values(claims).flat());
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = "html";
    ctx.body = `<!DOCTYPE html><title>oidc error</title><pre id="error">${JSON.stringify(out)}</pre>`;
  },
});
provider.proxy = false;

// The development pages import a web font from Google: strip it, the tests use no network.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === "string" && ctx.response.is("html")) {
    ctx.body = ctx.body.replace(/@import url\(https:[^)]*\);?/g, "");
  }
});

// The development login form accepts any login: sign-ins are finished here instead, refusing an email
// that is not a known user with access_denied (what a real provider's login page would do).
provider.use(async (ctx, next) => {
  if (ctx.method !== "POST" || !ctx.path.startsWith("/interaction/")) return next();
  const form = new URLSearchParams(await readBody(ctx.req));
  if (form.get("prompt") !== "login") {
    ctx.req.body = form.toString(); // already read: the development interactions parse it from here
    return next();
  }
  const login = form.get("login") ?? "";
  const known = Object.hasOwn(users, login);
  if (!known) console.error(`refusing unknown user ${JSON.stringify(login)}`);
  const result = known
    ? { login: { accountId: login } }
    : { error: "access_denied", error_description: "unknown user" };
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.respond = false;
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

provider.on("server_error", (_ctx, error) => console.error("server_error", error));

const server = provider.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`READY ${issuer}\n`);
});
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
