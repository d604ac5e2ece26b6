import { Invalid, redactUrl, urlOrNull, type Parser } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

/** Checked here rather than by the driver, whose messages never say which setting is wrong. */
const databaseUrl: Parser<string> = {
  accepts: "a `mysql://`, `mariadb://` or `sqlite:` URL",
  parse(raw, key) {
    const expected = `${key} must look like mysql://user:pass@host:3306/database (user and password percent-encoded) or sqlite:path/to/file.sqlite`;
    const refuse = (why: string) => new Invalid(`${expected}${why}; got "${redactUrl(raw)}"`);
    if (!/^(mysql|mariadb):\/\//i.test(raw)) return /^sqlite:(\/\/)?./i.test(raw) ? raw : refuse("");
    const url = urlOrNull(raw);
    if (!url) return refuse(", with a port from 1 to 65535");
    if (!url.hostname) return refuse(": the host is missing");
    try {
      decodeURIComponent(url.username);
      decodeURIComponent(url.password);
      decodeURIComponent(url.pathname);
    } catch {
      return refuse(': a "%" must start an escape such as %40 for "@"');
    }
    if (!/^\/[^/]+$/.test(url.pathname)) return refuse(": the database name is missing");
    return raw;
  },
};

export const databaseSection = section({
  title: "Database",
  settings: {
    databaseUrl: setting({
      env: "DATABASE_URL",
      parser: databaseUrl,
      default: "sqlite:data/dnsproof.sqlite",
      doc: "`mysql://user:pass@host:3306/db` (MySQL/MariaDB), `sqlite:///abs/path.sqlite` or `sqlite:relative/path.sqlite`",
    }),
  },
  build: (v): Pick<Config, "databaseUrl"> => ({ databaseUrl: v.databaseUrl }),
});
