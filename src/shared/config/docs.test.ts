import fs from "node:fs";
import { BEGIN_MARKER, configurationDocs, END_MARKER, README_FILE, withConfigurationDocs } from "./docs";

describe("the README's configuration tables", () => {
  it("are what the declarations say (if not, run `npm run config:docs`)", () => {
    const readme = fs.readFileSync(README_FILE, "utf8");
    expect(readme).toBe(withConfigurationDocs(readme));
  });

  it("replace only what lies between the markers", () => {
    const readme = `# Title\n\nProse before.\n\n${BEGIN_MARKER}\nstale table\n${END_MARKER}\n\nProse after.\n`;
    const written = withConfigurationDocs(readme, "| fresh |");
    expect(written).toBe(`# Title\n\nProse before.\n\n${BEGIN_MARKER}\n\n| fresh |\n\n${END_MARKER}\n\nProse after.\n`);
    expect(withConfigurationDocs(written, "| fresh |")).toBe(written);
    expect(() => withConfigurationDocs("# no markers\n")).toThrow(/markers/);
  });

  it("list every variable with its default and what it accepts", () => {
    const docs = configurationDocs();
    expect(docs).toContain("| `DNS_MAX_NAMESERVERS` | in authoritative mode, how many nameserver addresses are asked at most.");
    expect(docs).toMatch(/\| `DNS_MAX_NAMESERVERS` \|[^\n]*\| `8` \| whole number 1–32 \|/);
    expect(docs).toMatch(/\| `CERT_TTL_DAYS` \|[^\n]*\| `90` \| days > 0, fractions allowed, at most 397 \|/);
    expect(docs).toMatch(/\| `HOST` \|[^\n]*\| `127.0.0.1` outside production, `0.0.0.0` with `NODE_ENV=production` \|/);
  });
});
