/**
 * README.md's configuration tables, written from the declarations so the two cannot drift:
 * `npm run config:docs` rewrites what lies between the markers, and a unit test fails when
 * the README differs from what this would write.
 */
import fs from "node:fs";
import path from "node:path";
import { sections } from ".";
import type { Section, Setting } from "./setting";

export const README_FILE = path.resolve(__dirname, "../../../README.md");
export const BEGIN_MARKER = "<!-- config:begin: generated from src/shared/config by `npm run config:docs` -->";
export const END_MARKER = "<!-- config:end -->";

export function configurationDocs(declared: Section[] = sections): string {
  return declared.map(sectionTable).join("\n\n");
}

function sectionTable(section: Section): string {
  const rows = Object.values(section.settings).map(
    (variable) => `| \`${variable.env}\` | ${cell(variable.doc)} | ${cell(defaultText(variable))} | ${cell(variable.parser.accepts)} |`,
  );
  return [`### ${section.title}`, "", "| variable | meaning | default | accepts |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

function defaultText(variable: Setting): string {
  if (variable.defaultDoc !== undefined) return variable.defaultDoc;
  return variable.default === undefined ? "unset" : `\`${variable.default}\``;
}

/** A pipe would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** The README with the text between the markers replaced by the tables; the prose around them is kept. */
export function withConfigurationDocs(readme: string, docs: string = configurationDocs()): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new RangeError(`README.md must hold the markers ${BEGIN_MARKER} and ${END_MARKER}, in that order`);
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n\n${docs}\n\n${readme.slice(end)}`;
}

if (require.main === module) {
  fs.writeFileSync(README_FILE, withConfigurationDocs(fs.readFileSync(README_FILE, "utf8")));
  console.log(`wrote the configuration tables of ${path.relative(process.cwd(), README_FILE)}`);
}
