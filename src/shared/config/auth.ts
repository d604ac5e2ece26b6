import { httpUrl, text } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

type AuthSlice = Pick<Config["auth"], "jwtSecret" | "jwksUrl" | "jwtIssuer" | "jwtAudience" | "devSecretFile">;

export const authSection = section({
  title: "Authentication",
  settings: {
    jwtSecret: setting({
      env: "JWT_SECRET",
      parser: text("a secret"),
      defaultDoc:
        "none: outside production a development secret is made (kept in `DEV_SECRET_FILE`) and a development token printed; in production start-up fails without it or `JWKS_URL`",
      doc: "HS256 secret for bearer JWTs (at least 32 characters in production; shorter ones get a warning elsewhere)",
    }),
    jwksUrl: setting({
      env: "JWKS_URL",
      parser: httpUrl((key, raw) => `${key} must be an https:// URL (http:// for a local issuer); got "${raw}"`),
      defaultDoc: "unset",
      doc:
        "verify RS256/ES256 JWTs from an identity provider (issuer and audience are checked when `JWT_ISSUER` and `JWT_AUDIENCE` are set). " +
        "In production it must be https (http only on loopback) and `JWT_AUDIENCE` is required with it. Every token needs an `exp`. " +
        "A token that verified is remembered by its text for up to a minute (never past its `exp`), so a key withdrawn from the JWKS stops counting within that minute plus the JWKS cache's own time",
    }),
    jwtIssuer: setting({ env: "JWT_ISSUER", parser: text("the issuer's `iss`"), defaultDoc: "unset", doc: "the `iss` tokens from `JWKS_URL` must carry; checked when set" }),
    jwtAudience: setting({
      env: "JWT_AUDIENCE",
      parser: text("an `aud` value"),
      defaultDoc: "unset; required with `JWKS_URL` in production",
      doc: "the `aud` tokens from `JWKS_URL` must carry; checked when set",
    }),
    devSecretFile: setting({
      env: "DEV_SECRET_FILE",
      parser: text("a file path"),
      default: "data/.dev-jwt-secret",
      doc: "where the development JWT secret is kept between restarts",
    }),
  },
  build: (v): { auth: AuthSlice } => ({ auth: v }),
});
