import { boolean, Invalid, isLoopbackHost, list, text, urlOrNull, type Parser } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

type AdminSlice = Pick<Config["auth"], "adminUserIds" | "adminEmails" | "adminSecret" | "adminOidc" | "adminAllowApiKeys">;

const oidcIssuer: Parser<string> = {
  accepts: "an `https://` URL (`http://` on loopback)",
  parse(raw, key) {
    const url = urlOrNull(raw);
    if (!url) return new Invalid(`${key} must be a URL; got "${raw}"`);
    // Keys fetched over plain HTTP could be swapped on the way; only a loopback issuer (tests, sidecars) may skip TLS.
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
      return new Invalid(`${key} must be an https:// URL; got "${raw}"`);
    }
    return raw;
  },
};

const lowercase: Parser<string> = { accepts: "e-mail addresses", parse: (raw) => raw.toLowerCase() };

export const adminSection = section({
  title: "Admins",
  settings: {
    adminUserIds: setting({
      env: "ADMIN_USER_IDS",
      parser: list(text(), "comma-separated `sub` values"),
      default: "",
      defaultDoc: "empty",
      doc: "allowlist: a JWT whose `sub` is listed is an admin",
    }),
    adminEmails: setting({
      env: "ADMIN_EMAILS",
      parser: list(lowercase, "comma-separated e-mail addresses"),
      default: "",
      defaultDoc: "empty",
      doc:
        "allowlist: a JWT whose `email` is listed is an admin. An e-mail counts only with `email_verified: true` (or `\"true\"`), " +
        "compared ASCII-case-insensitively; addresses with non-ASCII characters never match",
    }),
    adminSecret: setting({
      env: "ADMIN_SECRET",
      parser: text("a secret"),
      defaultDoc: "unset (disabled)",
      doc:
        "legacy: `Authorization: Bearer <ADMIN_SECRET>` is an admin acting as account `admin` (for cron jobs); at least 32 characters in production. " +
        "Tokens naming account `admin` or an `oidc:` account are refused",
    }),
    oidcIssuer: setting({
      env: "ADMIN_OIDC_ISSUER",
      parser: oidcIssuer,
      defaultDoc: "unset (disabled)",
      doc: "OIDC issuer whose service accounts may be admins; keys come from its discovery document",
    }),
    oidcAudience: setting({ env: "ADMIN_OIDC_AUDIENCE", parser: text("an `aud` value"), defaultDoc: "unset; required with the issuer", doc: "required `aud` of those tokens" }),
    oidcServiceAccounts: setting({
      env: "ADMIN_OIDC_SERVICE_ACCOUNTS",
      parser: list(text(), "comma-separated `sub` values or e-mail addresses"),
      default: "",
      defaultDoc: "unset; required with the issuer",
      doc: "`sub` values or e-mail addresses that are admins; other accounts of that issuer are ordinary callers",
    }),
    adminAllowApiKeys: setting({
      env: "ADMIN_ALLOW_API_KEYS",
      parser: boolean,
      default: "false",
      doc: "API keys created by admins (unscoped, creator still an admin) act as admins",
    }),
  },
  build: (v): { auth: AdminSlice } => ({
    auth: {
      adminUserIds: v.adminUserIds,
      adminEmails: v.adminEmails,
      adminSecret: v.adminSecret,
      // The rules refuse a partial set: an issuer without an audience would accept tokens minted for any service.
      adminOidc:
        v.oidcIssuer && v.oidcAudience && v.oidcServiceAccounts.length > 0
          ? { issuer: v.oidcIssuer, audience: v.oidcAudience, serviceAccounts: v.oidcServiceAccounts }
          : undefined,
      adminAllowApiKeys: v.adminAllowApiKeys,
    },
  }),
});
